//! The microphone reaches the bot through the real audio pipeline: cpal on a 48 kHz
//! PulseAudio device, resampled to 8 kHz, sent as 320-byte LPCM chunks; and the bot's
//! speech comes out of the speaker device.

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::media::analysis::{dominant_frequency, rms_dbfs};
use dialtone_core::signaling::lex::Mode;
use dialtone_e2e::line::{lex_line, sandbox};
use dialtone_e2e::pulse;
use dialtone_e2e::session::{Wrapper, inside};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1khz_tone_from_a_48khz_microphone_reaches_the_bot_as_1khz_in_320_byte_chunks() {
    if !inside(
        Wrapper::Pulse,
        "a_1khz_tone_from_a_48khz_microphone_reaches_the_bot_as_1khz_in_320_byte_chunks",
    ) {
        return;
    }
    assert_eq!(pulse::sample_rate("mic"), 48_000, "the microphone runs at 48 kHz");
    let sb = sandbox(Default::default()).await;
    let backend = pulse::tone_devices(None, None);
    let _mic = pulse::play_tone("mic", 1000.0, 0.3, 30.0);
    let line = lex_line(&sb, Mode::Audio, backend).await;
    line.dial("lex:DEMOBOT001").await;
    line.wait("Connected", Duration::from_secs(10)).await;
    // The greeting comes out of the speaker device while the tone goes in.
    let heard = pulse::record("speaker.monitor", 1.5);
    tokio::time::sleep(Duration::from_secs(1)).await;
    line.call.command(Command::Hangup).await.expect("hang up");
    line.wait("Ended", Duration::from_secs(5)).await;

    let v = &sb.lex_conversations()[0];
    assert_eq!(
        v.chunk_sizes,
        [320],
        "every AudioInputEvent is 20 ms of 8 kHz 16-bit audio"
    );
    assert_eq!(
        v.audio_content_types,
        ["audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false"]
    );
    assert!(
        v.audio_events >= 50,
        "{} audio events in about 2.5 s",
        v.audio_events
    );
    // The last second, past the device's start-up.
    let tail = &v.audio[v.audio.len().saturating_sub(8000)..];
    let candidates = [500.0, 800.0, 1000.0, 1200.0, 2000.0, 3000.0];
    let (freq, share) = dominant_frequency(tail, 8000, &candidates).expect("audio at the bot");
    let level = rms_dbfs(tail);
    println!(
        "at the bot: {freq} Hz, {:.0} % of the power, {level:.1} dBFS",
        share * 100.0
    );
    assert_eq!(freq, 1000.0, "the tone arrives at its pitch");
    assert!(share > 0.9, "and clean: {share}");
    assert!(level > -25.0, "and at its level: {level} dBFS");
    // The bot heard a voice and barged in on its own greeting.
    assert!(line.events().contains(&CallEvent::Interrupted {
        reason: "VOICE_START_DETECTED".into()
    }));
    let spoke = rms_dbfs(&heard);
    println!("speaker device during the greeting: {spoke:.1} dBFS");
    assert!(
        spoke > -45.0,
        "the greeting played on the speaker device: {spoke} dBFS"
    );
}
