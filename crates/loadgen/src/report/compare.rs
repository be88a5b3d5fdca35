//! Targets stated as ratios: a server against a baseline measured in the same run.
//!
//! A rate measured today on a shared machine says little about a rate measured tomorrow, but
//! two servers measured in turns, in the same minutes, share the same luck. So every target of
//! the bench is a ratio: "deliveries/s: 2.30× Python (target ≥ 2×) ✓". With several rounds the
//! ratio is that of the means, and the page shows the lowest and highest single-round ratio
//! beside it: how far to trust it.
//!
//! A [`Check`] is data: the templates put it in words (`check` and `shortfall` macros).

use serde::Serialize;

/// One run of one server, as a comparison needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Operations per second: round trips, deliveries, bytes or datagrams.
    pub rate: f64,
    /// The server's CPU seconds and the operations they were spent on, if measured.
    pub cpu: Option<(f64, f64)>,
    /// Of those CPU seconds, the system time (the kernel's), if measured.
    pub system: Option<f64>,
}

/// What a ratio must be: `{"at_least": 2.0}` or `{"at_most": 1.1}` to a template.
#[derive(Serialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    AtLeast(f64),
    AtMost(f64),
}

impl Goal {
    fn met_by(self, ratio: f64) -> bool {
        match self {
            Goal::AtLeast(goal) => ratio >= goal,
            Goal::AtMost(goal) => ratio <= goal,
        }
    }

    /// By how much `ratio` misses the goal, in percent of it: 17 for 1.66 against ≥ 2.
    fn miss_percent(self, ratio: f64) -> Option<f64> {
        match self {
            _ if self.met_by(ratio) => None,
            Goal::AtLeast(goal) => Some((1.0 - ratio / goal) * 100.0),
            Goal::AtMost(goal) => Some((ratio / goal - 1.0) * 100.0),
        }
    }
}

/// What a check compares; the templates name each in their language.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    RoundTripsPerS,
    CpuPerRoundTrip,
    DeliveriesPerS,
    CpuPerDelivery,
    MbPerS,
    CpuPerDatagram,
}

/// One ratio, judged: what the page states as `deliveries/s: 2.30× Python (target ≥ 2×) ✓`.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Check {
    pub what: Measure,
    /// What it is compared with: `Python`, `reference-echo`.
    pub baseline: String,
    /// The server's number divided by the baseline's (none if either was not measured).
    pub ratio: Option<f64>,
    /// The lowest and the highest ratio of a single round, with several rounds.
    pub range: Option<(f64, f64)>,
    pub goal: Goal,
    /// Whether the goal is met; `None` if nothing was measured.
    pub met: Option<bool>,
    /// By how much a missed goal was missed, in percent of the goal.
    pub miss_percent: Option<f64>,
}

impl Check {
    fn new(what: Measure, baseline: &str, ratio: Option<f64>, rounds: &[f64], goal: Goal) -> Check {
        Check {
            what,
            baseline: baseline.to_string(),
            ratio,
            range: range(rounds),
            goal,
            met: ratio.map(|ratio| goal.met_by(ratio)),
            miss_percent: ratio.and_then(|ratio| goal.miss_percent(ratio)),
        }
    }

    /// Whether the goal is met; `None` if nothing was measured.
    pub fn met(&self) -> Option<bool> {
        self.met
    }
}

/// Rates compared: the mean of the server's runs over the mean of the baseline's.
pub fn rate_check(
    ours: &[Sample],
    base: &[Sample],
    goal: Goal,
    what: Measure,
    baseline: &str,
) -> Check {
    let mean = |samples: &[Sample]| {
        (!samples.is_empty())
            .then(|| samples.iter().map(|s| s.rate).sum::<f64>() / samples.len() as f64)
            .filter(|rate| *rate > 0.0)
    };
    let ratio = mean(ours).zip(mean(base)).map(|(ours, base)| ours / base);
    let rounds: Vec<f64> = ours
        .iter()
        .zip(base)
        .filter(|(_, base)| base.rate > 0.0)
        .map(|(ours, base)| ours.rate / base.rate)
        .collect();
    Check::new(what, baseline, ratio, &rounds, goal)
}

/// CPU per operation compared: all the server's CPU over all its operations, against the
/// same for the baseline.
pub fn cpu_check(
    ours: &[Sample],
    base: &[Sample],
    goal: Goal,
    what: Measure,
    baseline: &str,
) -> Check {
    let per_operation = |samples: &[Sample]| {
        let measured: Vec<(f64, f64)> = samples.iter().filter_map(|s| s.cpu).collect();
        let (seconds, operations) = measured
            .iter()
            .fold((0.0, 0.0), |(s, o), (seconds, ops)| (s + seconds, o + ops));
        (!measured.is_empty() && operations > 0.0 && seconds > 0.0).then(|| seconds / operations)
    };
    let ratio = per_operation(ours)
        .zip(per_operation(base))
        .map(|(ours, base)| ours / base);
    let rounds: Vec<f64> = ours
        .iter()
        .zip(base)
        .filter_map(|(ours, base)| {
            let ((ours_s, ours_ops), (base_s, base_ops)) = (ours.cpu?, base.cpu?);
            (ours_ops > 0.0 && base_ops > 0.0 && base_s > 0.0)
                .then(|| (ours_s / ours_ops) / (base_s / base_ops))
        })
        .collect();
    Check::new(what, baseline, ratio, &rounds, goal)
}

/// The lowest and highest of several single-round ratios.
fn range(rounds: &[f64]) -> Option<(f64, f64)> {
    if rounds.len() < 2 {
        return None;
    }
    let low = rounds.iter().copied().fold(f64::MAX, f64::min);
    let high = rounds.iter().copied().fold(f64::MIN, f64::max);
    Some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rate: f64, cpu_s: f64, operations: f64) -> Sample {
        Sample {
            rate,
            cpu: Some((cpu_s, operations)),
            system: None,
        }
    }

    // How the page words these checks: `render.rs`'s `checks_read_as_the_page_states_them`.

    #[test]
    fn ratios_are_of_means_and_of_totals() {
        let ours = [sample(300.0, 1.0, 1000.0), sample(100.0, 1.0, 3000.0)];
        let base = [sample(100.0, 2.0, 1000.0), sample(100.0, 2.0, 1000.0)];
        let rate = rate_check(
            &ours,
            &base,
            Goal::AtLeast(2.0),
            Measure::DeliveriesPerS,
            "Python",
        );
        assert_eq!(rate.ratio, Some(2.0));
        assert_eq!(rate.range, Some((1.0, 3.0)));
        assert_eq!(rate.met(), Some(true));
        assert_eq!(rate.miss_percent, None);
        // 2 s for 4,000 operations against 4 s for 2,000: a quarter of the CPU per operation.
        let cpu = cpu_check(
            &ours,
            &base,
            Goal::AtMost(1.0),
            Measure::CpuPerDelivery,
            "Python",
        );
        assert_eq!(cpu.ratio, Some(0.25));
        assert_eq!(cpu.miss_percent, None);
    }

    #[test]
    fn a_miss_says_by_how_much() {
        let check = rate_check(
            &[sample(150.0, 1.0, 1.0)],
            &[sample(100.0, 1.0, 1.0)],
            Goal::AtLeast(2.0),
            Measure::DeliveriesPerS,
            "Python",
        );
        assert_eq!(check.met(), Some(false));
        assert_eq!(check.ratio, Some(1.5));
        assert_eq!(check.range, None, "one round has no range");
        assert_eq!(check.miss_percent.map(f64::round), Some(25.0));
        let over = cpu_check(
            &[sample(1.0, 1.3, 1.0)],
            &[sample(1.0, 1.0, 1.0)],
            Goal::AtMost(1.1),
            Measure::CpuPerRoundTrip,
            "reference-echo",
        );
        assert_eq!(over.met(), Some(false));
        assert_eq!(over.miss_percent.map(f64::round), Some(18.0));
    }

    #[test]
    fn nothing_measured_is_no_verdict() {
        let none = Sample {
            rate: 5.0,
            cpu: None,
            system: None,
        };
        let check = cpu_check(
            &[none],
            &[],
            Goal::AtMost(1.0),
            Measure::CpuPerDelivery,
            "Python",
        );
        assert_eq!(check.ratio, None);
        assert_eq!(check.met(), None);
        assert_eq!(check.miss_percent, None);
    }
}
