//! The window's commands about `tel:`/`callto:` links: the offer waiting to be confirmed,
//! whether links dial at once, and making Dialtone the desktop's handler.

use crate::commands::{Answer, CommandError};
use crate::phone::Phone;
use dialtone_phone::{LinkOffer, LinkPrefs};
use tauri::{AppHandle, Manager, Runtime, State};

/// The link waiting for the person to dial it (one that came before the window listened).
#[tauri::command]
pub fn take_link_offer(phone: State<'_, Phone>) -> Option<LinkOffer> {
    phone.take_link_offer()
}

#[tauri::command]
pub fn link_prefs() -> LinkPrefs {
    LinkPrefs::load()
}

/// Settings → Links: dial links at once (MicroSIP's way) or ask first (the default).
#[tauri::command]
pub fn set_link_prefs(prefs: LinkPrefs) -> Answer<()> {
    prefs.save().map_err(|e| {
        CommandError::new(
            "SETTINGS",
            format!("the link setting could not be remembered: {e}"),
        )
    })
}

/// Makes Dialtone the desktop's handler for `tel:` and `callto:` links. The installed
/// package declares it in its desktop file; a build run from source asks for it here,
/// once, instead of taking the links over at every start.
#[tauri::command]
pub fn register_link_handler<R: Runtime>(app: AppHandle<R>) -> Answer<()> {
    #[cfg(any(target_os = "linux", windows))]
    {
        use tauri_plugin_deep_link::DeepLinkExt;
        if app.try_state::<tauri_plugin_deep_link::DeepLink<R>>().is_none() {
            return Err(CommandError::new("LINKS", "this build cannot take links"));
        }
        app.deep_link().register_all().map_err(|e| {
            CommandError::new(
                "LINKS",
                format!("the desktop did not take Dialtone as the handler of tel: links: {e}"),
            )
        })?;
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::phone::{Opened, Phone};
    use crate::tests::{close, invoke, open_sandbox, wait_state, window, window_events};
    use dialtone_phone::LinkPrefs;
    use serde_json::json;
    use std::time::Duration;
    use tauri::Manager;

    fn open_link(app: &tauri::App<tauri::test::MockRuntime>, link: &str, dial_at_once: bool) -> Opened {
        let handle = app.handle().clone();
        let link = link.to_owned();
        tauri::async_runtime::block_on(async move {
            let phone = handle.state::<Phone>();
            phone.open_link(&handle, &link, LinkPrefs { dial_at_once }).await
        })
        .expect("a link with a number")
    }

    #[test]
    fn a_link_fills_in_its_number_and_asks_and_dials_at_once_only_when_settings_say_so() {
        let (app, w) = window();
        let offers = window_events(&app, crate::phone::events::LINK);
        open_sandbox(&app);

        // Asked by default: the window is told, and nothing is dialled.
        let Opened::Offered(offer) = open_link(&app, "tel:+44-909-879-0000", false) else {
            panic!("a link dialled without asking");
        };
        assert_eq!(offer.pretty, "+44 909 879 0000");
        assert_eq!(
            offer.caution.as_ref().map(|c| c.kind.as_str()),
            Some("premium-rate")
        );
        let told = offers
            .recv_timeout(Duration::from_secs(2))
            .expect("the window is told");
        assert_eq!(told["number"], "+449098790000");
        std::thread::sleep(Duration::from_millis(300));
        let state = invoke(&w, "call_state", json!({})).expect("state");
        assert_eq!(state["state"], "Idle", "nothing dialled: {state}");
        // A window that starts after the link finds it waiting, once.
        let waiting = invoke(&w, "take_link_offer", json!({})).expect("offer");
        assert_eq!(waiting["number"], "+449098790000");
        assert_eq!(
            invoke(&w, "take_link_offer", json!({})).expect("none"),
            json!(null)
        );

        // A bad link is refused with the number's reason, and still dials nothing.
        let handle = app.handle().clone();
        let bad = tauri::async_runtime::block_on(async move {
            let phone = handle.state::<Phone>();
            phone
                .open_link(&handle, "tel:555-0100", LinkPrefs::default())
                .await
        });
        assert_eq!(bad.map_err(|e| e.code), Err("INVALID_NUMBER"));

        // The person dials what was offered: the offer is answered.
        open_link(&app, "tel:+1-555-0100", false);
        invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
        assert_eq!(
            invoke(&w, "take_link_offer", json!({})).expect("none"),
            json!(null)
        );
        wait_state(&w, "Connected", Duration::from_secs(15));
        invoke(&w, "hangup", json!({})).expect("hang up");
        wait_state(&w, "Ended", Duration::from_secs(5));

        // MicroSIP's way, when chosen: the link dials at once.
        let Opened::Dialled(number) = open_link(&app, "callto:+15550100", true) else {
            panic!("dial at once only offered the link");
        };
        assert_eq!(number, "+15550100");
        wait_state(&w, "Connected", Duration::from_secs(15));
        invoke(&w, "hangup", json!({})).expect("hang up");
        wait_state(&w, "Ended", Duration::from_secs(5));
        close(&app);
    }

    #[test]
    fn the_link_setting_is_remembered_and_a_missing_argument_is_refused() {
        let (_app, w) = window();
        assert!(invoke(&w, "set_link_prefs", json!({})).is_err(), "no prefs given");
        assert!(invoke(&w, "set_link_prefs", json!({"prefs": {"dial_at_once": "yes"}})).is_err());
        invoke(&w, "set_link_prefs", json!({"prefs": {"dial_at_once": true}})).expect("save");
        assert_eq!(
            invoke(&w, "link_prefs", json!({})).expect("prefs")["dial_at_once"],
            true
        );
        invoke(&w, "set_link_prefs", json!({"prefs": {"dial_at_once": false}})).expect("save");
        assert_eq!(
            invoke(&w, "link_prefs", json!({})).expect("prefs")["dial_at_once"],
            false
        );
    }
}
