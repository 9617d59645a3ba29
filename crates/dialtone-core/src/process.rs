//! What this process holds (memory, file descriptors, threads, tasks): the figures a soak
//! compares before and after hundreds of calls, where growth beyond noise is a leak. The
//! CLI's `process` script step and the app's `process_figures` command report them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ProcessFigures {
    pub pid: u32,
    /// Resident set size.
    pub rss_kib: u64,
    /// Open file descriptors (sockets included).
    pub fds: u64,
    pub threads: u64,
    /// Tasks alive on the calling Tokio runtime; `None` outside one.
    pub tasks: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read this process's figures from /proc ({0}); they are read on Linux only")]
pub struct ProcessFiguresError(#[from] std::io::Error);

impl ProcessFigures {
    /// The figures now, read from `/proc/self`.
    pub fn now() -> Result<Self, ProcessFiguresError> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.split_whitespace().next()?.parse().ok())
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("no {name} in /proc/self/status"),
                    )
                })
        };
        let fds = std::fs::read_dir("/proc/self/fd")?.count() as u64;
        Ok(ProcessFigures {
            pid: std::process::id(),
            rss_kib: field("VmRSS:")?,
            // Less the descriptor read_dir held open while counting.
            fds: fds.saturating_sub(1),
            threads: field("Threads:")?,
            tasks: tokio::runtime::Handle::try_current()
                .ok()
                .map(|h| h.metrics().num_alive_tasks() as u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn figures_count_a_new_descriptor_thread_and_task() {
        let before = ProcessFigures::now().expect("figures");
        let file = std::fs::File::open("/proc/self/status").expect("a file");
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || stopped.recv().ok());
        let task = tokio::spawn(std::future::pending::<()>());
        let during = ProcessFigures::now().expect("figures");
        // Other tests in this binary open files and threads at the same time: at least ours.
        assert!(during.fds > before.fds, "{before:?} {during:?}");
        assert!(during.threads > before.threads, "{before:?} {during:?}");
        assert_eq!(during.tasks, before.tasks.map(|t| t + 1), "{before:?} {during:?}");
        assert!(during.rss_kib > 0 && during.pid == std::process::id());
        drop(file);
        stop.send(()).expect("stop");
        thread.join().expect("joined");
        task.abort();
    }

    #[test]
    fn outside_a_runtime_there_are_no_tasks_to_count() {
        assert_eq!(ProcessFigures::now().expect("figures").tasks, None);
    }
}
