//! The arguments every call takes (`call`, `listen`, `verify-hold`), and what a run
//! prepares from them before it dials.

use crate::output::Reporter;
use crate::report;
use crate::script::{self, Step};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub(crate) struct CallArgs {
    /// Steps to run once the call is up, such as "wait 2s; hold; wait 2s; resume; dtmf 12#; hangup".
    /// A script that does not hang up hangs up when it runs out.
    #[arg(long)]
    pub(crate) script: Option<String>,
    /// One JSON object per line on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Where the call's audio goes: `devices` (microphone and speaker; the default when a
    /// sound server runs) or `tone` (a 1 kHz test tone, nothing played; or the WAV files).
    #[arg(long, value_enum)]
    pub(crate) audio: Option<AudioMode>,
    /// Microphone by name (`dialtone devices`); remembered for later calls.
    #[arg(long, value_name = "NAME")]
    pub(crate) input_device: Option<String>,
    /// Speaker by name; remembered for later calls.
    #[arg(long, value_name = "NAME")]
    pub(crate) output_device: Option<String>,
    /// Voice processing on the microphone with devices: `on`, `off`, or a list of
    /// `aec` (echo cancellation), `ns` (noise suppression), `agc` (gain control).
    /// Remembered for later calls; on by default.
    #[arg(long, value_name = "on|off|aec,ns,agc")]
    pub(crate) voice_processing: Option<dialtone_core::audio::VoiceSettings>,
    /// WAV file to send as the microphone (default: a 1 kHz test tone).
    #[arg(long, value_name = "FILE")]
    pub(crate) audio_in: Option<PathBuf>,
    /// WAV file to record what the far end sends (48 kHz, whatever the codec).
    #[arg(long, value_name = "FILE")]
    pub(crate) audio_out: Option<PathBuf>,
    /// Codecs in order of preference, such as `opus,pcmu,pcma`; one name allows only that
    /// codec.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_codec)]
    pub(crate) codec: Option<Vec<dialtone_core::media::CodecName>>,
    /// Impair every media packet (STUN, DTLS, RTP, RTCP; both ways; never the signaling):
    /// a named network (4g, 3g, edge, satellite, high-jitter, lossy, very-lossy), or
    /// "loss=5%,delay=20ms,jitter=30ms,seed=7", or both ("3g,seed=7"). Also: drop=dtls:2 (the 2nd DTLS
    /// datagram; dtls-out:1, stun-in:3, ...), blackout=3s+5s (everything, from 3 s for 5 s),
    /// only=rtp+rtcp (random loss and delay on those classes only).
    #[arg(long, value_name = "SPEC")]
    pub(crate) impair: Option<dialtone_core::media::impair::Impairment>,
    /// End the call (reason MediaTimeout) when no audio arrives for this long while the
    /// far end should be sending, such as 30s (the default).
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    pub(crate) media_timeout: Option<Duration>,
    /// Use a sandbox already running at this URL (from `dialtone sandbox`) instead of an
    /// embedded one.
    #[arg(long, value_name = "URL", conflicts_with = "account")]
    pub(crate) sandbox: Option<String>,
    /// The CAMARA version of the sandbox: the embedded one speaks it (default wip); one
    /// at --sandbox is found to speak one unless given (r2.2, wip or next).
    #[arg(long, value_name = "VERSION", value_parser = crate::accounts::parse_dialect, conflicts_with = "account")]
    pub(crate) camara: Option<dialtone_core::signaling::camara::Dialect>,
    /// The name an Alexa device shows for us when we call it (InitiateInboundCall's
    /// customParams.callerName). Default: the account's, or none.
    #[arg(long, value_name = "NAME")]
    pub(crate) caller_name: Option<String>,
    /// The operator account to use (`dialtone accounts list`); `sandbox` means the
    /// built-in sandbox. Default: the default account, or the sandbox when there is none.
    #[arg(long, value_name = "NAME")]
    pub(crate) account: Option<String>,
    /// The network: `camara` (phone numbers), `alexa` (Alexa devices) or `lex` (bots).
    /// Default: what the address calls for (`alexa:<name>` is Alexa, `lex:<botId>` Lex),
    /// CAMARA for `listen`.
    #[arg(long, value_enum)]
    pub(crate) network: Option<NetworkArg>,
    /// Bot calls: `audio` (speech, keys and text) or `text` (typed text only).
    #[arg(long, value_enum, default_value = "audio")]
    pub(crate) lex_mode: LexModeArg,
    /// Bot calls: a welcome message the bot says first.
    #[arg(long, value_name = "TEXT")]
    pub(crate) lex_welcome: Option<String>,
    /// Bot calls: Lex does not wait for the client to play its prompts.
    #[arg(long)]
    pub(crate) lex_disable_playback: bool,
    /// Write a call report when the call ends: one self-contained HTML page (a timeline
    /// plot with holds shaded, verdicts on each hold and resume, the signaling transcript
    /// and every SDP), or its JSON twin for a path ending in .json.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Record the call to a stereo WAV (48 kHz): left what we sent, right what we heard,
    /// on one clock through holds. Script steps 'record stop' and 'record start' pause it.
    #[arg(long, value_name = "FILE")]
    pub(crate) record: Option<PathBuf>,
    /// Capture the call's packets to a pcapng file Wireshark decodes: RTP and RTCP in the
    /// clear (after SRTP decryption, before encryption), STUN and DTLS as on the wire,
    /// with the real addresses and ports.
    #[arg(long, value_name = "FILE")]
    pub(crate) pcap: Option<PathBuf>,
}

pub(crate) type Prepared = (Option<report::Report>, report::Watch);

impl CallArgs {
    /// What a run needs before it dials: the report's file, the watch on the call (and
    /// its recording and capture), `out` feeding it levels; refused (exit 2) when a file cannot be
    /// written or a script records without `--record`. A script that changes the network
    /// mid-call gets the impairment layer from the start (clean unless `--impair` says).
    pub(crate) fn prepare(
        &mut self,
        out: &mut Reporter,
        steps: Option<&[Step]>,
    ) -> Result<Prepared, (&'static str, String)> {
        if self.record.is_none() && steps.is_some_and(|s| s.iter().any(Step::records)) {
            return Err((
                "INVALID_SCRIPT",
                "'record start' and 'record stop' need --record FILE".into(),
            ));
        }
        let report = report::Report::open(self.report.as_deref()).map_err(|e| ("INVALID_REPORT", e))?;
        let watch = report::Watch::new(out, self.record.as_deref(), self.pcap.as_deref())?;
        out.set_report(Some(watch.collector()));
        if self.impair.is_none() && steps.is_some_and(|s| s.iter().any(Step::impairs)) {
            self.impair = Some(Default::default());
        }
        Ok((report, watch))
    }
}

impl CallArgs {
    /// Runs that bring their own steps and tones (`verify-hold`, `preflight`) refuse
    /// arguments that would replace them; `what` says what the run brings.
    pub(crate) fn refuse_own_audio(&self, what: &str) -> Result<(), (&'static str, String)> {
        if self.script.is_some() || self.audio.is_some() || self.audio_in.is_some() {
            return Err((
                "INVALID_ARGUMENT",
                format!("{what}: leave out --script, --audio and --audio-in"),
            ));
        }
        Ok(())
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetworkArg {
    Camara,
    Alexa,
    Lex,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LexModeArg {
    Audio,
    Text,
}

impl From<LexModeArg> for dialtone_core::signaling::lex::Mode {
    fn from(m: LexModeArg) -> Self {
        match m {
            LexModeArg::Audio => Self::Audio,
            LexModeArg::Text => Self::Text,
        }
    }
}

impl From<NetworkArg> for dialtone_phone::Network {
    fn from(n: NetworkArg) -> Self {
        match n {
            NetworkArg::Camara => dialtone_phone::Network::Camara,
            NetworkArg::Alexa => dialtone_phone::Network::Alexa,
            NetworkArg::Lex => dialtone_phone::Network::Lex,
        }
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioMode {
    Devices,
    Tone,
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    script::parse_duration(s.trim())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("'{s}' is not a time such as 30s or 500ms"))
}

pub(crate) fn parse_codec(name: &str) -> Result<dialtone_core::media::CodecName, String> {
    dialtone_core::media::CodecName::parse(name.trim()).map_err(|e| format!("{e}; use opus, pcmu or pcma"))
}
