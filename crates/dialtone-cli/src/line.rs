//! The CLI's arguments turned into a phone line (`dialtone-phone`), whose notes it prints.

use crate::output::Reporter;
use crate::{AudioMode, CallArgs};
use dialtone_core::media::capture::PacketCapture;
use dialtone_phone::{AudioChoice, Line, LineOptions, Network};

/// Devices when asked (or by default when a sound server runs and no file is given),
/// otherwise WAV files and the test tone.
fn audio_choice(args: &CallArgs, out: &Reporter) -> anyhow::Result<AudioChoice> {
    let files = args.audio_in.is_some() || args.audio_out.is_some();
    let mode = match args.audio {
        Some(m) => m,
        None if !files && dialtone_core::audio::sound_server_available() => AudioMode::Devices,
        None => AudioMode::Tone,
    };
    if mode == AudioMode::Tone {
        if args.voice_processing.is_some() {
            out.note("--voice-processing applies to devices only; the test tone and WAV files are sent as they are");
        }
        return Ok(AudioChoice::Files {
            input: args.audio_in.clone(),
            output: args.audio_out.clone(),
        });
    }
    anyhow::ensure!(
        !files,
        "--audio devices cannot be combined with --audio-in/--audio-out"
    );
    Ok(AudioChoice::Devices {
        input: args.input_device.clone(),
        output: args.output_device.clone(),
        voice: args.voice_processing,
    })
}

pub async fn open(
    args: &CallArgs,
    out: &Reporter,
    network: Network,
    capture: Option<PacketCapture>,
) -> anyhow::Result<Line> {
    open_with(args, out, network, None, capture).await
}

/// The same line with the caller's own audio ends, when given (`verify-hold`'s tones).
pub async fn open_with(
    args: &CallArgs,
    out: &Reporter,
    network: Network,
    audio: Option<std::sync::Arc<dyn dialtone_core::audio::AudioBackend>>,
    capture: Option<PacketCapture>,
) -> anyhow::Result<Line> {
    let options = LineOptions {
        network,
        account: args.account.clone(),
        sandbox_url: args.sandbox.clone(),
        audio: audio_choice(args, out)?,
        lex: dialtone_core::signaling::lex::LexCallOptions {
            mode: args.lex_mode.into(),
            welcome: args.lex_welcome.clone(),
            disable_playback: args.lex_disable_playback,
        },
        codecs: args.codec.clone(),
        impairment: args.impair.clone(),
        media_timeout: args.media_timeout,
        camara: args.camara,
        caller_name: args.caller_name.clone(),
        capture,
        sandbox_control_token: None,
    };
    let line = match audio {
        Some(audio) => Line::open_with_audio(&options, audio).await?,
        None => Line::open(&options).await?,
    };
    for note in &line.notes {
        out.note(note);
    }
    Ok(line)
}
