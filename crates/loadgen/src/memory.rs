//! The server's threads and memory per connection: what a thread per client costs, and what
//! one event loop for every client saves (the non-blocking lesson's bench).
//!
//! With `--server-pid PID`, loadgen reads `Threads:` and `VmRSS:` from `/proc/PID/status`
//! before anyone connects and again once every client has joined. The difference in resident
//! memory, divided by the clients, is what one more connection costs the server: its thread's
//! stack pages actually touched, its buffers, its bookkeeping. (The kernel's socket buffers
//! are not in it: they are the kernel's memory, not the process's.)

use std::fs;

use crate::results::MemoryUse;

/// Threads and resident memory of a process at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    threads: u64,
    rss_kib: u64,
}

/// The server's threads and memory before the clients connect.
pub struct MemoryWatch {
    pid: u32,
    before: Result<Sample, String>,
}

impl MemoryWatch {
    /// Reads `pid`'s threads and memory now, if a pid was given.
    pub fn start(pid: Option<u32>) -> Option<MemoryWatch> {
        let pid = pid?;
        Some(MemoryWatch {
            pid,
            before: sample(pid),
        })
    }

    /// Reads them again now that `clients` are connected, and compares.
    pub fn connected(self, clients: u64) -> MemoryUse {
        let after = sample(self.pid);
        match (self.before, after) {
            (Ok(before), Ok(after)) => MemoryUse {
                pid: self.pid,
                clients,
                threads_before: Some(before.threads),
                threads_connected: Some(after.threads),
                rss_before_kib: Some(before.rss_kib),
                rss_connected_kib: Some(after.rss_kib),
                rss_per_client_kib: (clients > 0)
                    .then(|| after.rss_kib.saturating_sub(before.rss_kib) as f64 / clients as f64),
                unavailable: None,
            },
            (Err(why), _) | (_, Err(why)) => MemoryUse {
                pid: self.pid,
                clients,
                unavailable: Some(why),
                ..MemoryUse::default()
            },
        }
    }
}

/// `Threads:` and `VmRSS:` of process `pid`.
fn sample(pid: u32) -> Result<Sample, String> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|error| {
        if fs::metadata("/proc/self").is_err() {
            "this system has no /proc (it is not Linux), so memory is not measured".to_string()
        } else {
            format!("cannot read {path}: {}", common::describe(&error))
        }
    })?;
    parse_status(&text).ok_or_else(|| format!("{path} does not read as expected"))
}

/// The `Threads:` count and `VmRSS:` (in KiB) from the text of `/proc/PID/status`.
fn parse_status(text: &str) -> Option<Sample> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|line| line.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(Sample {
        threads: field("Threads:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// One line for loadgen's summary: `server mem  ...`.
pub fn summary_line(memory: &MemoryUse) -> String {
    match (
        memory.threads_connected,
        memory.rss_connected_kib,
        memory.rss_per_client_kib,
    ) {
        (Some(threads), Some(rss), Some(per_client)) => format!(
            "server mem  {threads} threads and {:.1} MiB resident with {} clients \
             (before: {} threads, {:.1} MiB): {per_client:.1} KiB per client\n",
            rss as f64 / 1024.0,
            memory.clients,
            memory.threads_before.unwrap_or(0),
            memory.rss_before_kib.unwrap_or(0) as f64 / 1024.0,
        ),
        _ => format!(
            "server mem  not measured: {}\n",
            memory.unavailable.as_deref().unwrap_or("no clients")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_and_resident_memory_are_read_from_status() {
        let status = "Name:\tchat-server\nVmPeak:\t  20000 kB\nVmRSS:\t    3172 kB\n\
                      Threads:\t3\nSigQ:\t0/1000\n";
        assert_eq!(
            parse_status(status),
            Some(Sample {
                threads: 3,
                rss_kib: 3172
            })
        );
        assert_eq!(parse_status("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_can_be_measured() {
        if fs::metadata("/proc/self").is_err() {
            return; // not Linux
        }
        let watch = MemoryWatch::start(Some(std::process::id())).expect("a pid was given");
        let memory = watch.connected(10);
        assert!(memory.threads_connected.is_some_and(|threads| threads >= 1));
        assert!(memory.rss_connected_kib.is_some_and(|rss| rss > 0));
        assert!(summary_line(&memory).contains("KiB per client"));
    }
}
