//! `--pcap`: the call's RTP and RTCP in the clear with STUN and DTLS as on the wire, on
//! the real ports, read back by Debian's tshark (a reader we did not write) and by a
//! pcapng parser that decodes our G.711 back to its tone; a path that cannot be written
//! stops the run before any call.

use dialtone_core::media::analysis::{peak_frequency, rms_dbfs};
use dialtone_core::media::codec::ulaw_to_linear;
use dialtone_e2e::cli::{Cli, json_lines};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

/// tshark on `path` with the RTP heuristic on (Wireshark gives a 5-tuple that carried STUN
/// to its STUN dissector otherwise); its stdout.
fn tshark(path: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args(["-o", "rtp.heuristic_rtp:TRUE", "-r"])
        .arg(path)
        .args(args)
        .output()
        .expect("tshark runs (scripts/setup.sh test installs it)");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One line of `-z rtp,streams`.
#[derive(Debug)]
struct Stream {
    src_port: u16,
    dst_port: u16,
    payload: String,
    packets: u64,
    lost: i64,
}

fn rtp_streams(path: &Path) -> Vec<Stream> {
    tshark(path, &["-q", "-z", "rtp,streams"])
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // start end src sport dst dport ssrc payload pkts lost ...
            (f.len() >= 10 && f[6].starts_with("0x")).then(|| Stream {
                src_port: f[3].parse().expect("port"),
                dst_port: f[5].parse().expect("port"),
                payload: f[7].to_owned(),
                packets: f[8].parse().expect("packets"),
                lost: f[9].parse().expect("lost"),
            })
        })
        .collect()
}

/// (source port, destination port) of each frame tshark shows for `filter`.
fn ports(path: &Path, filter: &str) -> Vec<(u16, u16)> {
    tshark(
        path,
        &[
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
        ],
    )
    .lines()
    .filter_map(|l| {
        let (a, b) = l.split_once('\t')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    })
    .collect()
}

/// The G.711 µ-law payloads of the RTP packets from `src_port`, decoded, in order.
fn decoded_from(path: &Path, src_port: u16) -> Vec<i16> {
    let bytes = std::fs::read(path).expect("the capture");
    let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).expect("pcapng");
    let mut pcm = Vec::new();
    while let Some(block) = reader.next_block() {
        let pcap_file::pcapng::Block::EnhancedPacket(p) = block.expect("a block") else {
            continue;
        };
        let ip = etherparse::SlicedPacket::from_ip(&p.data).expect("an IP packet");
        let Some(etherparse::TransportSlice::Udp(udp)) = ip.transport else {
            panic!("not UDP")
        };
        let rtp = udp.payload();
        // RTP (not RTCP) with payload type 0, from that port.
        if udp.source_port() == src_port && rtp.len() > 12 && rtp[0] >> 6 == 2 && rtp[1] & 0x7f == 0 {
            pcm.extend(rtp[12..].iter().map(|&b| ulaw_to_linear(b)));
        }
    }
    pcm
}

/// The source port of the first packet marked outbound (pcapng's direction flags: 2).
fn our_port(path: &Path) -> u16 {
    let bytes = std::fs::read(path).expect("the capture");
    let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).expect("pcapng");
    while let Some(block) = reader.next_block() {
        let pcap_file::pcapng::Block::EnhancedPacket(p) = block.expect("a block") else {
            continue;
        };
        let outbound = p.options.iter().any(|o| {
            matches!(o, pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption::Flags(f) if f & 3 == 2)
        });
        if outbound {
            let ip = etherparse::SlicedPacket::from_ip(&p.data).expect("an IP packet");
            let Some(etherparse::TransportSlice::Udp(udp)) = ip.transport else {
                panic!("not UDP")
            };
            return udp.source_port();
        }
    }
    panic!("no packet marked outbound")
}

fn event<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == name)
        .unwrap_or_else(|| panic!("no {name} event in {events:?}"))
}

#[test]
fn tshark_finds_both_rtp_streams_in_the_clear_on_the_ports_that_carried_stun_and_dtls() {
    let cli = cli();
    std::fs::create_dir_all(cli.data_dir()).expect("data dir");
    let path = cli.data_dir().join("call.pcapng");
    let out = cli.run(&[
        "call",
        "+15550101",
        "--json",
        "--audio",
        "tone",
        "--codec",
        "pcmu",
        "--pcap",
        path.to_str().expect("utf-8"),
        "--script",
        "wait 2s; hold; wait 1s; resume; wait 1s; hangup",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    // The last media event has the call's totals.
    let media = events
        .iter()
        .rev()
        .find(|e| e["event"] == "media")
        .expect("a media event");
    let saved = events
        .iter()
        .find(|e| e["event"] == "capture" && e["state"] == "saved")
        .expect("the capture is saved");
    assert_eq!(saved["failed"], Value::Null);

    // The DTLS handshake, as it went, tells which ports are ours and theirs.
    let dtls = ports(&path, "dtls.handshake");
    assert!(
        dtls.len() >= 4,
        "a DTLS handshake has at least 4 flights: {dtls:?}"
    );
    let stun = ports(&path, "stun.type == 0x0001");
    assert!(!stun.is_empty(), "no STUN binding request");
    let ours = our_port(&path);
    let theirs = dtls
        .iter()
        .map(|&(a, b)| if a == ours { b } else { a })
        .next()
        .expect("a DTLS flight");
    assert!(
        dtls.iter().all(|&p| p == (ours, theirs) || p == (theirs, ours)),
        "DTLS went on {ours}<->{theirs} only: {dtls:?}"
    );
    assert!(stun.contains(&(ours, theirs)), "our checks on the pair");

    let streams = rtp_streams(&path);
    assert_eq!(streams.len(), 2, "one stream each way: {streams:?}");
    let sent = streams.iter().find(|s| s.src_port == ours).expect("our stream");
    let heard = streams
        .iter()
        .find(|s| s.src_port == theirs)
        .expect("their stream");
    assert_eq!((sent.dst_port, heard.dst_port), (theirs, ours));
    for s in [sent, heard] {
        assert_eq!(s.payload, "g711U", "{s:?}");
        assert_eq!(s.lost, 0, "{s:?}");
    }
    // Every packet the call counted is in the capture (held, we sent nothing).
    assert_eq!(Some(sent.packets), media["rtp_sent"].as_u64(), "{media}");
    assert_eq!(Some(heard.packets), media["rtp_received"].as_u64(), "{media}");

    // In the clear: our payloads decode to our 1 kHz tone, theirs to 440 Hz, then the
    // hold's 880 Hz (SRTP payloads would decode to noise).
    let ours_pcm = decoded_from(&path, ours);
    let theirs_pcm = decoded_from(&path, theirs);
    assert!(rms_dbfs(&ours_pcm[..8000]) > -30.0);
    assert_eq!(peak_frequency(&ours_pcm[..8000], 8_000, 200.0, 2000.0), 1000.0);
    assert_eq!(peak_frequency(&theirs_pcm[..8000], 8_000, 200.0, 2000.0), 440.0);
    assert!(
        theirs_pcm
            .chunks(4000)
            .any(|c| c.len() == 4000 && peak_frequency(c, 8_000, 200.0, 2000.0) == 880.0),
        "the far end's hold tone is in the capture"
    );
}

#[test]
fn a_capture_path_that_cannot_be_written_stops_the_run_before_any_call() {
    let cli = cli();
    let out = cli.run(&[
        "call",
        "+15550101",
        "--json",
        "--pcap",
        "/nonexistent-dir/call.pcapng",
        "--script",
        "hangup",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&out.stdout);
    let error = event(&events, "error");
    assert_eq!(error["code"], "INVALID_CAPTURE", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("/nonexistent-dir/call.pcapng")),
        "{error}"
    );
    assert!(
        !events.iter().any(|e| e["event"] == "state"),
        "nothing was dialled: {events:?}"
    );
}
