//! CPU time per operation: how much work the server did for what loadgen measured.
//!
//! On a machine shared with other work, throughput moves from run to run (another program
//! takes a core for a second, and the rate drops). The CPU time a server spends on each round
//! trip or delivery moves far less: it is the work itself, whenever it got done. So with
//! `--server-pid PID` loadgen reads the server's CPU time (user + system, all its threads,
//! also those that already ended) from `/proc/PID/stat` before and after the measured phase,
//! and reports CPU seconds per 1,000 operations. It reads its own the same way, from
//! `/proc/self/stat`, because loadgen shares the cores with the server.
//!
//! `/proc` exists on Linux only. Elsewhere the results say why there is no number, instead of
//! a number.

use std::fs;
use std::process::Command;

use crate::numbers::cpu_time;
use crate::results::CpuUse;

/// Linux counts CPU time in clock ticks of 1/100 s on every architecture it runs on today
/// (`USER_HZ`); `getconf CLK_TCK` says so, and is asked first.
const USUAL_CLOCK_TICKS: f64 = 100.0;

/// CPU times read at the start of the measured phase.
pub struct CpuWatch {
    pid: u32,
    ticks_per_s: f64,
    server: Result<Ticks, String>,
    loadgen: Result<Ticks, String>,
}

impl CpuWatch {
    /// Starts watching `pid`, if one was given.
    pub fn start(pid: Option<u32>) -> Option<CpuWatch> {
        let pid = pid?;
        Some(CpuWatch {
            pid,
            ticks_per_s: clock_ticks(),
            server: ticks_of(&pid.to_string()),
            loadgen: ticks_of("self"),
        })
    }

    /// The CPU used since [`CpuWatch::start`], for `operations` of kind `operation`.
    pub fn finish(self, operations: f64, operation: &str) -> CpuUse {
        let ticks_per_s = self.ticks_per_s;
        // (user + system, system) seconds since the start.
        let seconds = |before: Result<Ticks, String>, who: &str| -> Result<(f64, f64), String> {
            let (before, after) = (before?, ticks_of(who)?);
            let user = after.user.saturating_sub(before.user) as f64 / ticks_per_s;
            let system = after.system.saturating_sub(before.system) as f64 / ticks_per_s;
            Ok((user + system, system))
        };
        let server = seconds(self.server, &self.pid.to_string());
        let loadgen = seconds(self.loadgen, "self").ok().map(|(all, _)| all);
        let per_1000 = |seconds: f64| (operations > 0.0).then(|| seconds * 1000.0 / operations);
        let server_all = server.as_ref().ok().map(|&(all, _)| all);
        CpuUse {
            pid: self.pid,
            operation: operation.to_string(),
            operations,
            server_s: server_all,
            server_system_s: server.as_ref().ok().map(|&(_, system)| system),
            server_per_1000_s: server_all.and_then(per_1000),
            loadgen_s: loadgen,
            unavailable: server.err(),
        }
    }
}

/// Clock ticks per second, as `getconf CLK_TCK` prints it (asking the C library would need
/// `unsafe` code, which this workspace forbids).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(USUAL_CLOCK_TICKS)
}

/// A process's CPU time so far, in clock ticks: in its own code, and in the kernel's on its
/// behalf (system calls).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ticks {
    user: u64,
    system: u64,
}

/// User and system time of process `who` (a pid, or `self`), in clock ticks.
fn ticks_of(who: &str) -> Result<Ticks, String> {
    let path = format!("/proc/{who}/stat");
    let text = fs::read_to_string(&path).map_err(|error| {
        if error.kind() != std::io::ErrorKind::NotFound {
            format!("cannot read {path}: {}", common::describe(&error))
        } else if fs::metadata("/proc/self").is_err() {
            "this system has no /proc (it is not Linux), so CPU time is not measured".to_string()
        } else {
            format!("there is no process {who} (has the server exited?)")
        }
    })?;
    parse_stat(&text).ok_or_else(|| format!("{path} does not read as expected"))
}

/// utime and stime from the text of `/proc/PID/stat`: fields 14 and 15 (see `man 5 proc`).
/// Field 2 is the program's name in parentheses, which may itself hold spaces and
/// parentheses, so the fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Ticks> {
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11); // field 3 (state) is the first
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Ticks { user, system })
}

/// `round trip` → `round trips`, `delivery` → `deliveries`, `MB` → `MB`.
fn plural(operation: &str) -> String {
    match operation {
        "MB" => operation.to_string(),
        "delivery" => "deliveries".to_string(),
        _ => format!("{operation}s"),
    }
}

/// The `server CPU` line of a human summary.
pub fn summary_line(cpu: &CpuUse) -> String {
    let Some(server) = cpu.server_s else {
        return format!(
            "server CPU  not measured: {}\n",
            cpu.unavailable.as_deref().unwrap_or("unknown")
        );
    };
    let per = cpu.server_per_1000_s.map_or_else(
        || "no operations to divide by".to_string(),
        |per| format!("{} per 1,000 {}", cpu_time(per), plural(&cpu.operation)),
    );
    let loadgen = cpu
        .loadgen_s
        .map_or_else(String::new, |s| format!("; loadgen used {}", cpu_time(s)));
    format!(
        "server CPU  {} (pid {}, user + system): {per}{loadgen}\n",
        cpu_time(server),
        cpu.pid
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_after_the_name() {
        let stat = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 96 0 0 0 \
                    250 37 0 0 20 0 3 0 123456 1000 200 18446744073709551615";
        assert_eq!(
            parse_stat(stat),
            Some(Ticks {
                user: 250,
                system: 37
            })
        );
        assert_eq!(parse_stat("4242 (cut short) S 1 2"), None);
        assert_eq!(parse_stat("no name at all"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_where_there_is_proc() {
        if fs::metadata("/proc/self/stat").is_err() {
            let error = ticks_of("self").expect_err("no /proc");
            assert!(error.contains("no /proc"), "{error}");
            return;
        }
        assert!(ticks_of("self").is_ok());
        let watch = CpuWatch::start(Some(std::process::id())).expect("a pid was given");
        let cpu = watch.finish(2_000.0, "round trip");
        assert_eq!(cpu.unavailable, None);
        let (server, per) = (cpu.server_s.expect("seconds"), cpu.server_per_1000_s);
        assert_eq!(per, Some(server / 2.0));
    }

    #[test]
    fn cpu_times_read_well() {
        assert_eq!(cpu_time(1.254), "1.25 s");
        assert_eq!(cpu_time(0.0123), "12.3 ms");
        assert_eq!(cpu_time(0.000_85), "850 µs");
        assert_eq!(cpu_time(0.000_004_7), "4.70 µs");
        let cpu = CpuUse {
            pid: 7,
            operation: "MB".into(),
            operations: 2_000.0,
            server_s: Some(1.5),
            server_system_s: Some(1.0),
            server_per_1000_s: Some(0.75),
            loadgen_s: Some(2.0),
            unavailable: None,
        };
        assert_eq!(
            summary_line(&cpu),
            "server CPU  1.50 s (pid 7, user + system): 750 ms per 1,000 MB; loadgen used 2.00 s\n"
        );
    }
}
