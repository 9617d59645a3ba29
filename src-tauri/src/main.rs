//! The desktop shell: commands in, events out, no call logic. The line (an operator
//! account, or the sandbox run in-process) comes from `dialtone-phone`.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(test)]
mod bindings;
mod commands;
mod desktop;
mod links;
mod phone;

use phone::Phone;
use tauri::Manager;

/// Our commands and state; shared by the real app and the command tests.
fn app<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .manage(Phone::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::line_info,
            commands::open_line,
            commands::network_presets,
            commands::accounts,
            commands::check_number,
            commands::dial,
            commands::answer,
            commands::decline,
            commands::hangup,
            commands::hold,
            commands::resume,
            commands::mute,
            commands::dtmf,
            commands::send_text,
            commands::call_action,
            commands::call_state,
            commands::call_me,
            commands::directory,
            commands::history,
            commands::clear_history,
            commands::export_report,
            commands::record,
            commands::preflight,
            commands::devices,
            commands::set_audio,
            commands::process_figures,
            links::take_link_offer,
            links::link_prefs,
            links::set_link_prefs,
            links::register_link_handler,
        ])
}

/// Opens the line in the background; the window shows "opening" until it is up.
fn open_line<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let phone = app.state::<Phone>();
        if let Err(e) = phone.open(&app, None, Default::default()).await {
            tracing::error!(error = %e, "the line did not open");
        }
    });
}

fn init_logging() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,pulseaudio=off"));
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter);
    // Each call's report carries its signaling transcript, whatever the log shows.
    let tap = dialtone_report::WireTap::global().layer(dialtone_core::net::wire::TARGET);
    let _ = tracing_subscriber::registry().with(log).with(tap).try_init();
}

/// glibc's malloc arenas (up to 8 per core, one for each thread that allocated) kept what
/// each call's threads freed: the app process grew 34 MB over 10 calls, 21 MB over 30
/// with two arenas (`make bench`, the app's memory).
fn lighten() {
    // WebKit's GPU compositing: a GL context and its buffers in the web process (software
    // GL without a GPU), 68 MB of PSS idle for a window of forms and meters. A user's own
    // setting stands.
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: the first thing main does; no other thread exists yet to read the
        // environment.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets a tunable of the allocator before any thread allocates; nothing else.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() {
    lighten();
    init_logging();
    let context = tauri::generate_context!("../tauri.conf.json");
    // A second `dialtone-app tel:…` hands its link to this instance and exits
    // (single-instance must be the first plugin).
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            for link in desktop::links(&argv) {
                desktop::open_link(app, link);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let handle = app.handle();
            if let Err(e) = desktop::tray(handle) {
                tracing::warn!(error = %e, "no tray icon");
            }
            // Links are registered by the package's desktop file, or once from Settings;
            // never at start, where they would follow whichever build ran last.
            open_line(handle);
            // The number plan loads on first use (about 0.1 s, measured by a release probe):
            // load it now, not on the first key typed into the number field.
            std::thread::spawn(|| dialtone_core::call::format_as_typed("+44"));
            let args: Vec<String> = std::env::args().skip(1).collect();
            for link in desktop::links(&args) {
                desktop::open_link(handle, link);
            }
            Ok(())
        });
    let built = app(builder).build(context);
    match built {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::ExitRequested { .. } = event {
                // Hang up and unregister before the process goes.
                let phone = app.state::<Phone>();
                tauri::async_runtime::block_on(phone.close());
            }
        }),
        Err(e) => {
            eprintln!("Dialtone could not start its window: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests;
