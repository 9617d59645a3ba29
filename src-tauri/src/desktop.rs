//! The desktop around the window: `tel:`/`callto:` links, the tray icon showing the
//! call state, and a notification when a call comes in.

use crate::phone::Phone;
use dialtone_core::call::CallEvent;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

const TRAY_ID: &str = "dialtone";

/// The call links among command-line arguments (`dialtone-app tel:+15550100`).
pub fn links(args: &[String]) -> Vec<String> {
    args.iter()
        .filter(|a| {
            let lower = a.to_ascii_lowercase();
            lower.starts_with("tel:") || lower.starts_with("callto:")
        })
        .cloned()
        .collect()
}

/// Offers a link (from a second instance, the deep-link plugin or our own argv) in the
/// window, or dials it if Settings say links dial at once, and brings the window forward.
pub fn open_link<R: Runtime>(app: &AppHandle<R>, link: String) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let phone = app.state::<Phone>();
        let prefs = dialtone_phone::LinkPrefs::load();
        if let Err(e) = phone.open_link(&app, &link, prefs).await {
            tracing::warn!(%link, error = %e.message, "link not dialled");
            let _ = tauri::Emitter::emit(
                &app,
                crate::phone::events::CALL,
                CallEvent::Error {
                    code: e.code.into(),
                    message: format!("cannot dial the link {link}: {}", e.message),
                },
            );
        }
    });
}

/// The tray icon: its tooltip follows the call; its menu shows the window or quits.
pub fn tray<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Dialtone", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Dialtone: idle")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.show();
                    let _ = w.set_focus();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// Keeps the tray in step with the call and announces incoming calls.
pub fn on_call_event<R: Runtime>(app: &AppHandle<R>, event: &CallEvent) {
    let tooltip = match event {
        CallEvent::State { state, .. } if state == "Idle" => Some("Dialtone: idle".to_owned()),
        CallEvent::State { state, .. } => Some(format!("Dialtone: {state}")),
        CallEvent::Incoming { from } => Some(format!("Dialtone: call from {from}")),
        _ => None,
    };
    if let Some(t) = tooltip
        && let Some(tray) = app.tray_by_id(TRAY_ID)
    {
        let _ = tray.set_tooltip(Some(&t));
    }
    // Without the plugin (the command tests) there is nothing to notify with.
    let can_notify = app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_some();
    if let CallEvent::Incoming { from } = event
        && can_notify
    {
        let shown = dialtone_core::call::Address::parse(from).map_or_else(|_| from.clone(), |n| n.pretty());
        // Notification servers read the body as markup: a caller ID is text.
        let shown = markup_text(&shown);
        // No notification daemon (a bare CI session) is not an error worth showing.
        if let Err(e) = app
            .notification()
            .builder()
            .title("Incoming call")
            .body(format!("{shown} is calling"))
            .show()
        {
            tracing::info!(error = %e, "no desktop notification");
        }
    }
}

/// `text` for a freedesktop notification body, which servers read as a subset of markup
/// (`<b>`, `<a href>`, `<img>`): escaped as HTML text is.
fn markup_text(text: &str) -> String {
    dialtone_report::html::esc(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_caller_id_is_shown_as_text_in_a_notification_not_as_markup() {
        assert_eq!(
            super::markup_text("<a href='x'>Bank</a> & co"),
            "&lt;a href=&#39;x&#39;&gt;Bank&lt;/a&gt; &amp; co"
        );
        assert_eq!(super::markup_text("+1 555 0100"), "+1 555 0100");
    }
}
