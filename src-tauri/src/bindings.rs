//! The window contract: TypeScript declarations of every event payload and command result
//! the window reads, generated from the Rust types into `ui/bindings.d.ts`, which `ui/`
//! imports (JSDoc). A stale file fails this test; `UPDATE_BINDINGS=1 cargo test -p
//! dialtone-app bindings` writes it again.

use ts_rs::{Config, TS};

fn decl<T: TS>(cfg: &Config) -> String {
    format!("export {}\n", T::decl(cfg))
}

/// The whole file, in a fixed order.
fn bindings() -> String {
    // JSON numbers, whatever their width in Rust.
    let cfg = Config::new().with_large_int("number");
    let states = dialtone_core::call::CallState::NAMES
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(" | ");
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs: do not edit.\n\
         // UPDATE_BINDINGS=1 cargo test -p dialtone-app bindings writes it again.\n\n",
    );
    out.push_str(&format!("export type CallStateName = {states};\n"));
    for d in [
        decl::<dialtone_core::call::LineEvent>(&cfg),
        decl::<dialtone_core::call::CallEvent>(&cfg),
        decl::<dialtone_core::call::LineCall>(&cfg),
        decl::<dialtone_core::call::LineAllowed>(&cfg),
        decl::<dialtone_core::call::Allowed>(&cfg),
        decl::<dialtone_core::call::Quality>(&cfg),
        decl::<dialtone_core::call::QualityWarning>(&cfg),
        decl::<dialtone_core::media::Direction>(&cfg),
        decl::<dialtone_core::audio::AudioEvent>(&cfg),
        decl::<dialtone_core::audio::DeviceKind>(&cfg),
        decl::<dialtone_core::audio::DeviceInfo>(&cfg),
        decl::<dialtone_core::audio::VoiceSettings>(&cfg),
        decl::<dialtone_core::history::CallRecord>(&cfg),
        decl::<dialtone_core::AppInfo>(&cfg),
        decl::<dialtone_phone::Network>(&cfg),
        decl::<dialtone_phone::LineSource>(&cfg),
        decl::<dialtone_phone::RecordingNews>(&cfg),
        decl::<dialtone_core::call::number::Caution>(&cfg),
        decl::<dialtone_phone::LinkOffer>(&cfg),
        decl::<dialtone_phone::LinkPrefs>(&cfg),
        decl::<dialtone_phone::preflight::Phase>(&cfg),
        decl::<dialtone_phone::preflight::Preflight>(&cfg),
        decl::<crate::phone::LineInfo>(&cfg),
        decl::<crate::phone::Levels>(&cfg),
        decl::<crate::phone::HistorySaved>(&cfg),
        decl::<crate::phone::Dialing>(&cfg),
        decl::<crate::commands::CommandError>(&cfg),
        decl::<crate::commands::CallAction>(&cfg),
        decl::<crate::commands::Accounts>(&cfg),
        decl::<crate::commands::NetworkPreset>(&cfg),
        decl::<crate::commands::NumberCheck>(&cfg),
        decl::<crate::commands::DirectoryEntry>(&cfg),
        decl::<crate::commands::HistoryRow>(&cfg),
        decl::<crate::commands::Devices>(&cfg),
    ] {
        out.push('\n');
        out.push_str(&d);
    }
    out
}

#[test]
fn the_window_bindings_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/bindings.d.ts");
    let generated = bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write ui/bindings.d.ts");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "ui/bindings.d.ts is stale: run UPDATE_BINDINGS=1 cargo test -p dialtone-app bindings"
    );
}
