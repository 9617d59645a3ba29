//! Scenarios that need a private environment (an unlocked keyring, a PulseAudio server
//! with null devices) run inside the wrapper scripts in `scripts/`. A test started
//! outside re-runs itself inside and asserts that it passed there, so plain
//! `cargo test` runs them too.

use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone, Copy)]
pub enum Wrapper {
    /// `scripts/with-keyring.sh`: D-Bus session with an unlocked gnome-keyring.
    Keyring,
    /// `scripts/with-pulse.sh`: PulseAudio with null sinks `speaker` and `mic`.
    Pulse,
}

impl Wrapper {
    fn script(self) -> &'static str {
        match self {
            Wrapper::Keyring => "with-keyring.sh",
            Wrapper::Pulse => "with-pulse.sh",
        }
    }

    fn marker(self) -> &'static str {
        match self {
            Wrapper::Keyring => "DIALTONE_IN_KEYRING_SESSION",
            Wrapper::Pulse => "DIALTONE_IN_PULSE_SESSION",
        }
    }
}

/// One wrapped run at a time: parallel PulseAudio servers on 2 cores starve each other's
/// timers, and the rate checks then measure the machine, not Dialtone.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// True when this process runs inside `wrapper`. Otherwise runs the one test `name` of
/// this test binary there, asserts that it passed, and returns false.
pub fn inside(wrapper: Wrapper, name: &str) -> bool {
    if std::env::var_os(wrapper.marker()).is_some() {
        return true;
    }
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(wrapper.script());
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(script)
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .output()
        .expect("run the wrapper script");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "in {}:\n{text}", wrapper.script());
    assert!(
        text.contains("1 passed"),
        "the test did not run in {}:\n{text}",
        wrapper.script()
    );
    false
}
