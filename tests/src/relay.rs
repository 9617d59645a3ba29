//! A UDP relay that impairs what crosses it, for stacks whose sockets we cannot wrap
//! (Chromium): every host candidate of an SDP is replaced by a relay port on 127.0.0.1
//! that forwards to it, both ways, through the same [`Impairer`] Dialtone's sockets use.
//! Each packet of the call crosses one relay once, so each direction meets the impairment
//! once, as with `--impair` on Dialtone's own sockets.

use crate::chromium::Chromium;
use dialtone_core::media::impair::{Impairer, Impairment, Way};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

pub struct Relay {
    impairer: Arc<Impairer>,
    tasks: Vec<JoinHandle<()>>,
}

impl Relay {
    pub fn new(impairment: Impairment) -> Relay {
        Relay {
            impairer: Arc::new(Impairer::new(impairment)),
            tasks: Vec::new(),
        }
    }

    /// `sdp` with each 127.0.0.1 UDP host candidate moved to a relay port of its own (and
    /// `m=`/`c=` to the first); other candidates are dropped, so all traffic crosses us.
    pub async fn route(&mut self, sdp: &str) -> String {
        let mut out = Vec::new();
        let mut first: Option<u16> = None;
        for line in sdp.split("\r\n") {
            let Some(rest) = line.strip_prefix("a=candidate:") else {
                out.push(line.to_owned());
                continue;
            };
            let f: Vec<&str> = rest.split(' ').collect();
            // foundation component transport priority address port typ host ...
            let ok = f.len() >= 8 && f[2].eq_ignore_ascii_case("udp") && f[7] == "host";
            let target = ok
                .then(|| format!("{}:{}", f[4], f[5]).parse::<SocketAddr>().ok())
                .flatten()
                .filter(|a| a.ip().is_loopback() && a.is_ipv4());
            let Some(target) = target else { continue };
            let port = self.forward_to(target).await;
            first.get_or_insert(port);
            let mut g: Vec<String> = f.iter().map(|s| (*s).to_owned()).collect();
            g[4] = "127.0.0.1".into();
            g[5] = port.to_string();
            out.push(format!("a=candidate:{}", g.join(" ")));
        }
        let mut sdp = out.join("\r\n");
        if let Some(port) = first {
            sdp = sdp
                .split("\r\n")
                .map(|l| match l.strip_prefix("m=audio ") {
                    Some(rest) => {
                        let tail = rest.split_once(' ').map_or("", |(_, t)| t);
                        format!("m=audio {port} {tail}")
                    }
                    None if l.starts_with("c=IN IP4 ") => "c=IN IP4 127.0.0.1".into(),
                    None => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\r\n");
        }
        sdp
    }

    /// A socket that forwards what it gets to `target`, and what `target` sends back to
    /// whoever wrote last.
    async fn forward_to(&mut self, target: SocketAddr) -> u16 {
        let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("relay socket"));
        let port = sock.local_addr().expect("relay addr").port();
        let impairer = self.impairer.clone();
        let peer: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        self.tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let (to, way) = if from == target {
                    match *peer.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
                        Some(p) => (p, Way::In),
                        None => continue,
                    }
                } else {
                    *peer.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(from);
                    (target, Way::Out)
                };
                let Some(delay) = impairer.decide(way, &buf[..n]) else {
                    continue;
                };
                let packet = buf[..n].to_vec();
                if delay.is_zero() {
                    let _ = sock.send_to(&packet, to).await;
                } else {
                    let sock = sock.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = sock.send_to(&packet, to).await;
                    });
                }
            }
        }));
        port
    }
}

/// Connects the two peer connections of `tests/src/pesq_page.html` (`dt.offer`,
/// `dt.answer`, `dt.accept`) with their SDP routed over `relay`.
pub async fn connect_page_peers(chrome: &Chromium, relay: &mut Relay) {
    let js = |sdp: &str| serde_json::to_string(sdp).unwrap_or_default();
    let offer = chrome.eval("return await dt.offer();").await;
    let offer = relay.route(offer.as_str().unwrap_or_default()).await;
    let answer = chrome
        .eval(&format!("return await dt.answer({});", js(&offer)))
        .await;
    let answer = relay.route(answer.as_str().unwrap_or_default()).await;
    chrome.eval(&format!("await dt.accept({});", js(&answer))).await;
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
