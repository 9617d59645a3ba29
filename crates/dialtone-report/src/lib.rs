//! A call report, for QA tickets: what the call did (facts, a timeline of packets, levels
//! and quality with holds shaded, the signaling transcript and every SDP with what each
//! re-offer changed) and whether each hold and resume worked (verdicts).
//!
//! [`Collector`] is fed while the call runs (sans-IO: the caller brings the clock);
//! [`WireTap`] captures the transcript from `tracing`; [`CallReport`] is the JSON twin
//! and [`html::render`] the page.

mod capture;
mod collect;
pub mod html;
mod model;
mod svg;
pub mod verdict;

pub use capture::WireTap;
pub use collect::Collector;
pub use model::*;

/// The format a report path asks for, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
}

impl Format {
    /// `.json` is JSON; `.html`/`.htm` (or anything else) HTML.
    pub fn of(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Html,
        }
    }
}

impl CallReport {
    /// The report in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Html => html::render(self),
            Format::Json => serde_json::to_string_pretty(self).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests;
