//! Dialtone's own files (settings, the account book, history, reports, recordings): readable
//! by their owner only. They hold numbers called, who called, and what was said.

use std::io::Write;
use std::path::Path;

/// Creates `dir` (and its parents) and makes `dir` itself owner-only (0700).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` as an owner-only file (0600), through a temporary file renamed
/// into place, so a crash never leaves half a file.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    // A file left by an older version keeps its mode on open: set it.
    restrict(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// A settings file of ours as `T`; a missing one is the defaults, and so is an unreadable
/// one, with a warning naming `what` it held.
pub fn read_json_or_default<T: serde::de::DeserializeOwned + Default>(path: &Path, what: &str) -> T {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, path = %path.display(), "ignoring unreadable {what}");
            T::default()
        }),
        Err(_) => T::default(),
    }
}

/// Makes an existing file owner-only (0600).
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn settings_are_written_owner_only_even_over_a_world_readable_file() {
        let dir = std::env::temp_dir().join(format!("dialtone-files-{}", std::process::id()));
        let p = dir.join("config").join("audio.json");
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(&p, b"old").expect("old");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&p, b"{}").expect("write");
        assert_eq!(std::fs::read(&p).expect("read"), b"{}");
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(p.parent().expect("parent")), 0o700);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
