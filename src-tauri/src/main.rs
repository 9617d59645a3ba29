//! The desktop shell: commands in, events out, no call logic.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use dialtone_core::AppInfo;

/// What the window shows about the build.
#[tauri::command]
fn app_info() -> AppInfo {
    dialtone_core::app_info()
}

fn app<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![app_info])
}

fn main() {
    let context = tauri::generate_context!("../tauri.conf.json");
    if let Err(e) = app(tauri::Builder::default()).run(context) {
        eprintln!("Dialtone could not start its window: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    #[test]
    fn app_info_command_reports_the_core_version() {
        let app = super::app(mock_builder())
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");
        let response = get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "app_info".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .expect("app_info answers");
        let info: serde_json::Value = response.deserialize().expect("json");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert!(info["codecs"].as_array().is_some_and(|c| !c.is_empty()));
    }
}
