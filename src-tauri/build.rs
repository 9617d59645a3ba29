/// Every command the window may call; `capabilities/main.json` grants them.
const COMMANDS: &[&str] = &[
    "app_info",
    "line_info",
    "open_line",
    "network_presets",
    "accounts",
    "check_number",
    "dial",
    "answer",
    "decline",
    "hangup",
    "hold",
    "resume",
    "mute",
    "dtmf",
    "send_text",
    "call_action",
    "call_state",
    "call_me",
    "directory",
    "history",
    "clear_history",
    "export_report",
    "record",
    "preflight",
    "devices",
    "set_audio",
    "take_link_offer",
    "link_prefs",
    "set_link_prefs",
    "register_link_handler",
    "process_figures",
];

fn main() {
    // tauri.conf.json lives at the repository root; declaring our commands makes the
    // ACL check them too (only what the capability grants can be called).
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
