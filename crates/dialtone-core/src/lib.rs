//! Dialtone's core: everything a softphone does that is not a window.
//! It knows nothing of Tauri; the desktop shell and the CLI are thin layers over it.

pub mod media;
