fn main() {
    // tauri.conf.json lives at the repository root; declaring our commands makes the
    // ACL check them too (only what the capability grants can be called).
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"]));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
