//! Which dialect an operator speaks, found without credentials: a CAMARA gateway answers
//! a route it serves with 401 (no token) and a route it does not serve with 404. Each
//! dialect's events path is probed (it is the one path that differs between all three),
//! next to a path no dialect has, so a gateway that answers 401 to everything is
//! recognised as telling nothing.

use super::Dialect;
use std::time::Duration;

/// A dialect and how it was found, to show the person who added the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub dialect: Dialect,
    pub how: String,
    /// False when nothing could be learned and `dialect` is the default.
    pub certain: bool,
}

/// The root of the three APIs from a URL that is a root or one of the documented base
/// paths (`https://op.example/camara/webrtc-registration/v0.3` → `https://op.example/camara`).
pub fn api_root(url: &str) -> String {
    let url = url.trim_end_matches('/');
    for api in [
        "/webrtc-registration/",
        "/webrtc-call-handling/",
        "/webrtc-events-subscriptions/",
        "/webrtc-events/",
    ] {
        if let Some(i) = url.find(api) {
            return url[..i].to_owned();
        }
    }
    url.to_owned()
}

/// Probes `root` (see the module's comment). Never fails: when nothing can be learned
/// the published release, r2.2, is assumed and `how` says so.
pub async fn detect(url: &str, timeout: Duration) -> Detection {
    if let Some(dialect) = Dialect::from_path(url) {
        return Detection {
            dialect,
            how: format!("the URL names {dialect}'s base path"),
            certain: true,
        };
    }
    let root = api_root(url);
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .build()
    {
        Ok(h) => h,
        Err(e) => return fallback(format!("no HTTP client ({e})")),
    };
    let serves = |path: String| {
        let http = http.clone();
        let url = format!("{root}{path}/subscriptions");
        async move {
            match http.get(&url).send().await {
                Ok(r) => Ok(r.status().as_u16() != 404),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    match serves("/webrtc-events/v0-dialtone-probe".into()).await {
        Err(e) => return fallback(format!("the operator could not be reached ({e})")),
        Ok(true) => return fallback("the operator answers every path alike".into()),
        Ok(false) => {}
    }
    let mut found = Vec::new();
    for d in Dialect::ALL {
        if serves(d.events_base().to_owned()).await == Ok(true) {
            found.push(d);
        }
    }
    match found.as_slice() {
        [] => fallback(format!("{root} serves none of the three events paths")),
        [one] => Detection {
            dialect: *one,
            how: format!("the operator serves {}", one.events_base()),
            certain: true,
        },
        // Several at once: the published release is the one meant to stay.
        many => {
            let dialect = if many.contains(&Dialect::R2_2) {
                Dialect::R2_2
            } else {
                many[0]
            };
            let names: Vec<&str> = many.iter().map(|d| d.name()).collect();
            Detection {
                dialect,
                how: format!("the operator serves {}; {dialect} chosen", names.join(", ")),
                certain: true,
            }
        }
    }
}

fn fallback(why: String) -> Detection {
    Detection {
        dialect: Dialect::R2_2,
        how: format!("{why}: assuming the published release, r2.2 (override with --camara)"),
        certain: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_path_is_cut_back_to_the_api_root() {
        assert_eq!(
            api_root("https://op.example/camara/webrtc-registration/v0.3/"),
            "https://op.example/camara"
        );
        assert_eq!(
            api_root("https://op.example/webrtc-events-subscriptions/vwip"),
            "https://op.example"
        );
        assert_eq!(api_root("http://127.0.0.1:7300/"), "http://127.0.0.1:7300");
    }
}
