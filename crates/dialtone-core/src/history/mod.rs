//! Call history: one row per call, in SQLite (`history.sqlite3` in the data directory).
//! A [`Tracker`] follows one call's events and yields the row when it ends, so the CLI
//! and the app record calls the same way.

use crate::call::CallEvent;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the call history at {path} cannot be used: {why}; move it aside to start a new one")]
    Open { path: String, why: String },
    #[error("the call history could not be {doing}: {why}")]
    Query { doing: &'static str, why: String },
    #[error("there is no home directory to keep the call history in")]
    NoHome,
}

/// One call as the history shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallRecord {
    pub id: i64,
    pub number: String,
    pub incoming: bool,
    /// When the call started (dialled, or rang), Unix milliseconds.
    pub started_at_ms: i64,
    /// How long it was connected; `None` if it never was.
    pub connected_ms: Option<i64>,
    /// Why it ended (Hangup, Busy, NoAnswer, Declined, ...).
    pub outcome: String,
    /// The codec the call negotiated (`opus/48000`, `PCMU/8000`), if media was set up.
    pub codec: Option<String>,
    /// The call's report (HTML), where the app keeps it.
    pub report: Option<String>,
    /// The call's recording (stereo WAV), when one was made.
    pub recording: Option<String>,
}

/// A call that just ended, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct EndedCall {
    pub number: String,
    pub incoming: bool,
    pub started_at_ms: i64,
    pub connected_ms: Option<i64>,
    pub outcome: String,
    pub codec: Option<String>,
    pub report: Option<String>,
    pub recording: Option<String>,
}

pub struct History {
    conn: rusqlite::Connection,
}

fn query(doing: &'static str) -> impl Fn(rusqlite::Error) -> HistoryError {
    move |e| HistoryError::Query {
        doing,
        why: e.to_string(),
    }
}

impl History {
    /// Where the history, and what the app keeps of each call, live.
    pub fn data_dir() -> Result<PathBuf, HistoryError> {
        directories::ProjectDirs::from("dev", "dialtone", "dialtone")
            .map(|d| d.data_dir().to_owned())
            .ok_or(HistoryError::NoHome)
    }

    pub fn default_path() -> Result<PathBuf, HistoryError> {
        Ok(Self::data_dir()?.join("history.sqlite3"))
    }

    pub fn open_default() -> Result<Self, HistoryError> {
        let path = Self::default_path()?;
        if let Some(dir) = path.parent() {
            crate::files::private_dir(dir).map_err(|e| HistoryError::Open {
                path: dir.display().to_string(),
                why: e.to_string(),
            })?;
        }
        Self::open(&path)
    }

    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let open = |why: String| HistoryError::Open {
            path: path.display().to_string(),
            why,
        };
        let conn = rusqlite::Connection::open(path).map_err(|e| open(e.to_string()))?;
        // Who called whom, and when: its owner's alone (SQLite creates it 0644).
        crate::files::restrict(path).map_err(|e| open(e.to_string()))?;
        Self::init(conn).map_err(|e| open(e.to_string()))
    }

    /// A history that lives only as long as the value (tests, `--no-history`).
    pub fn in_memory() -> Result<Self, HistoryError> {
        let conn = rusqlite::Connection::open_in_memory().map_err(query("opened"))?;
        Self::init(conn).map_err(query("opened"))
    }

    fn init(conn: rusqlite::Connection) -> rusqlite::Result<Self> {
        // Two processes (the app and the CLI) may write at once.
        conn.busy_timeout(std::time::Duration::from_secs(2))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS calls (
                id INTEGER PRIMARY KEY,
                number TEXT NOT NULL,
                incoming INTEGER NOT NULL,
                started_at_ms INTEGER NOT NULL,
                connected_ms INTEGER,
                outcome TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS calls_by_start ON calls (started_at_ms);",
        )?;
        // Histories written before these were kept gain the columns (empty for old rows).
        for column in ["codec", "report", "recording"] {
            let has = conn
                .prepare("SELECT 1 FROM pragma_table_info('calls') WHERE name = ?1")?
                .exists([column])?;
            if !has {
                conn.execute_batch(&format!("ALTER TABLE calls ADD COLUMN {column} TEXT"))?;
            }
        }
        Ok(Self { conn })
    }

    pub fn record(&self, call: &EndedCall) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO calls (number, incoming, started_at_ms, connected_ms, outcome, codec, report, recording)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    call.number,
                    call.incoming,
                    call.started_at_ms,
                    call.connected_ms,
                    call.outcome,
                    call.codec,
                    call.report,
                    call.recording
                ],
            )
            .map_err(query("saved"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The latest calls first.
    pub fn recent(&self, limit: usize) -> Result<Vec<CallRecord>, HistoryError> {
        self.select(
            "ORDER BY started_at_ms DESC, id DESC LIMIT ?1",
            i64::try_from(limit).unwrap_or(i64::MAX),
        )
    }

    /// The row `id`, if there is one.
    pub fn get(&self, id: i64) -> Result<Option<CallRecord>, HistoryError> {
        Ok(self.select("WHERE id = ?1", id)?.pop())
    }

    fn select(&self, rest: &str, param: i64) -> Result<Vec<CallRecord>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id, number, incoming, started_at_ms, connected_ms, outcome, codec, report, recording
                 FROM calls {rest}"
            ))
            .map_err(query("read"))?;
        let rows = stmt
            .query_map([param], |r| {
                Ok(CallRecord {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    incoming: r.get(2)?,
                    started_at_ms: r.get(3)?,
                    connected_ms: r.get(4)?,
                    outcome: r.get(5)?,
                    codec: r.get(6)?,
                    report: r.get(7)?,
                    recording: r.get(8)?,
                })
            })
            .map_err(query("read"))?;
        rows.collect::<Result<_, _>>().map_err(query("read"))
    }

    pub fn clear(&self) -> Result<(), HistoryError> {
        self.conn
            .execute("DELETE FROM calls", [])
            .map_err(query("cleared"))?;
        Ok(())
    }
}

fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Follows one call's events; yields the history row when the call ends.
#[derive(Debug)]
pub struct Tracker {
    number: Option<String>,
    incoming: bool,
    started: SystemTime,
    connected: Option<Instant>,
    codec: Option<String>,
}

impl Tracker {
    /// A call we are placing to `number`.
    pub fn outgoing(number: &str) -> Self {
        Self {
            number: Some(number.to_owned()),
            incoming: false,
            started: SystemTime::now(),
            connected: None,
            codec: None,
        }
    }

    /// Waiting for a call to come in (the number arrives with the invitation).
    pub fn incoming() -> Self {
        Self {
            number: None,
            incoming: true,
            started: SystemTime::now(),
            connected: None,
            codec: None,
        }
    }

    pub fn on_event(&mut self, event: &CallEvent) -> Option<EndedCall> {
        match event {
            // A listener sees one call after another: each starts afresh.
            CallEvent::Incoming { from } => {
                *self = Self::incoming();
                self.number = Some(from.clone());
            }
            // Connected time runs from the first Connected (hold included) to the end.
            CallEvent::State { state, .. } if state == "Connected" && self.connected.is_none() => {
                self.connected = Some(Instant::now());
            }
            CallEvent::Stats { codec: Some(c), .. } | CallEvent::Media { codec: Some(c), .. } => {
                self.codec = Some(c.clone());
            }
            CallEvent::Ended { reason } => {
                let number = self.number.take()?;
                return Some(EndedCall {
                    number,
                    incoming: self.incoming,
                    started_at_ms: unix_ms(self.started),
                    connected_ms: self
                        .connected
                        .take()
                        .map(|c| i64::try_from(c.elapsed().as_millis()).unwrap_or(i64::MAX)),
                    outcome: reason.clone(),
                    codec: self.codec.take(),
                    report: None,
                    recording: None,
                });
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(s: &str) -> CallEvent {
        CallEvent::State {
            state: s.into(),
            reason: None,
            active: false,
            established: false,
            allowed: Default::default(),
        }
    }

    fn ended(reason: &str) -> CallEvent {
        CallEvent::Ended {
            reason: reason.into(),
        }
    }

    #[test]
    fn an_answered_call_is_recorded_with_its_connected_time() {
        let mut t = Tracker::outgoing("+15550100");
        for e in [state("Dialing"), state("Ringing"), state("Connected")] {
            assert_eq!(t.on_event(&e), None);
        }
        std::thread::sleep(std::time::Duration::from_millis(30));
        t.on_event(&state("Held"));
        t.on_event(&state("Connected"));
        let call = t.on_event(&ended("Hangup")).expect("row");
        assert_eq!(call.number, "+15550100");
        assert!(!call.incoming);
        assert!(call.connected_ms.is_some_and(|ms| ms >= 30), "{call:?}");
        assert_eq!(call.outcome, "Hangup");
    }

    #[test]
    fn a_busy_call_has_no_connected_time_and_an_incoming_one_takes_the_caller() {
        let mut t = Tracker::outgoing("+15550102");
        let busy = t.on_event(&ended("Busy")).expect("row");
        assert_eq!((busy.connected_ms, busy.outcome.as_str()), (None, "Busy"));

        let mut t = Tracker::incoming();
        assert_eq!(
            t.on_event(&ended("Hangup")),
            None,
            "nothing rang: nothing to record"
        );
        t.on_event(&CallEvent::Incoming {
            from: "+15550199".into(),
        });
        let declined = t.on_event(&ended("Declined")).expect("row");
        assert!(declined.incoming);
        assert_eq!(declined.number, "+15550199");
    }

    #[test]
    fn rows_come_back_latest_first_and_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("dialtone-history-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("history.sqlite3");
        {
            let h = History::open(&path).expect("open");
            for (i, n) in ["+15550100", "+15550102", "+15550101"].iter().enumerate() {
                h.record(&EndedCall {
                    number: (*n).into(),
                    incoming: false,
                    started_at_ms: 1_000 + i as i64,
                    connected_ms: Some(5),
                    outcome: "Hangup".into(),
                    codec: Some("PCMU/8000".into()),
                    report: (i == 2).then(|| "/tmp/report-1.html".into()),
                    recording: None,
                })
                .expect("record");
            }
        }
        let h = History::open(&path).expect("reopen");
        let rows = h.recent(2).expect("recent");
        let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers, ["+15550101", "+15550102"]);
        assert_eq!(rows[0].codec.as_deref(), Some("PCMU/8000"));
        assert_eq!(rows[0].report.as_deref(), Some("/tmp/report-1.html"));
        assert_eq!(h.get(rows[0].id).expect("get"), Some(rows[0].clone()));
        assert_eq!(h.get(-1).expect("get"), None);
        h.clear().expect("clear");
        assert!(h.recent(10).expect("recent").is_empty());
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error_and_is_left_alone() {
        let dir = std::env::temp_dir().join(format!("dialtone-history-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("history.sqlite3");
        std::fs::write(&path, b"not a database, just text that is long enough to matter").expect("write");
        let err = History::open(&path).err().expect("refused");
        assert!(err.to_string().contains("move it aside"), "{err}");
        assert!(
            std::fs::read(&path)
                .expect("still there")
                .starts_with(b"not a database")
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_history_from_before_codecs_and_reports_were_kept_gains_the_columns() {
        let dir = std::env::temp_dir().join(format!("dialtone-history-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("history.sqlite3");
        {
            let old = rusqlite::Connection::open(&path).expect("old");
            old.execute_batch(
                "CREATE TABLE calls (id INTEGER PRIMARY KEY, number TEXT NOT NULL, incoming INTEGER NOT NULL,
                 started_at_ms INTEGER NOT NULL, connected_ms INTEGER, outcome TEXT NOT NULL);
                 INSERT INTO calls (number, incoming, started_at_ms, outcome) VALUES ('+15550100', 0, 1, 'Busy');",
            )
            .expect("old schema");
        }
        let h = History::open(&path).expect("open");
        let rows = h.recent(5).expect("recent");
        assert_eq!(
            (
                rows[0].number.as_str(),
                rows[0].codec.as_deref(),
                rows[0].report.as_deref()
            ),
            ("+15550100", None, None)
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_call_too_short_for_stats_still_records_its_codec() {
        let mut t = Tracker::outgoing("+15550100");
        t.on_event(&state("Connected"));
        t.on_event(&CallEvent::Media {
            direction: None,
            rtp_sent: 0,
            rtp_received: 0,
            codec: Some("PCMA/8000".into()),
        });
        assert_eq!(
            t.on_event(&ended("Hangup")).expect("row").codec.as_deref(),
            Some("PCMA/8000")
        );
    }

    #[test]
    fn the_tracker_keeps_the_negotiated_codec() {
        let mut t = Tracker::outgoing("+15550100");
        t.on_event(&state("Connected"));
        t.on_event(&CallEvent::Stats {
            rtt_ms: None,
            jitter_ms: 0.0,
            loss_pct: 0.0,
            codec: Some("PCMU/8000".into()),
            jitter_buffer_ms: 20.0,
            fec_pct: 0,
            quality: crate::call::quality::assess(None, 0.0, 0.0),
        });
        assert_eq!(
            t.on_event(&ended("Hangup")).expect("row").codec.as_deref(),
            Some("PCMU/8000")
        );
    }
}
