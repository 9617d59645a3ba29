// Shows what the core reports about this build.
const invoke = window.__TAURI__?.core?.invoke;

async function showInfo() {
  const error = document.getElementById("error");
  if (!invoke) {
    error.textContent = "This page must run inside the Dialtone app.";
    error.hidden = false;
    return;
  }
  try {
    const info = await invoke("app_info");
    document.getElementById("version").textContent = info.version;
    document.getElementById("codecs").textContent = info.codecs.join(", ");
    await window.__TAURI__.window.getCurrentWindow().setTitle(`Dialtone ${info.version}`);
  } catch (e) {
    error.textContent = `Could not read the app version: ${e}`;
    error.hidden = false;
  }
}

showInfo();
