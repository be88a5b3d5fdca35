//! Targets stated as ratios: a server against a baseline measured in the same run.
//!
//! A rate measured today on a shared machine says little about a rate measured tomorrow, but
//! two servers measured in turns, in the same minutes, share the same luck. So every target of
//! the bench is a ratio: "deliveries/s: 2.30× Python (target ≥ 2×) ✓". With several rounds the
//! ratio is that of the means, and the page shows the lowest and highest single-round ratio
//! beside it: how far to trust it.

use crate::lang::Lang;

/// One run of one server, as a comparison needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Operations per second: round trips, deliveries, bytes or datagrams.
    pub rate: f64,
    /// The server's CPU seconds and the operations they were spent on, if measured.
    pub cpu: Option<(f64, f64)>,
}

/// What a ratio must be.
#[derive(Debug, Clone, Copy, PartialEq)]
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

    fn text(self, lang: Lang) -> String {
        let (sign, goal) = match self {
            Goal::AtLeast(goal) => ("≥", goal),
            Goal::AtMost(goal) => ("≤", goal),
        };
        match lang {
            Lang::En => format!("target {sign} {}×", factor(goal)),
            Lang::Zh => format!("目标 {sign} {} 倍", factor(goal)),
        }
    }
}

/// `2` → `2`, `1.0` → `1.0`, `0.9` → `0.9`: goals as the issue states them.
fn factor(goal: f64) -> String {
    if goal >= 2.0 && goal.fract() == 0.0 {
        format!("{goal:.0}")
    } else {
        format!("{goal:.1}")
    }
}

/// One ratio, judged: `deliveries/s: 2.30× Python (target ≥ 2×) ✓`.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// What is compared, in English and in Chinese: `deliveries/s`, `CPU per delivery`.
    pub what: (&'static str, &'static str),
    /// What it is compared with: `Python`, `reference-echo`.
    pub baseline: String,
    /// The server's number divided by the baseline's (none if either was not measured).
    pub ratio: Option<f64>,
    /// The lowest and the highest ratio of a single round, with several rounds.
    pub range: Option<(f64, f64)>,
    pub goal: Goal,
}

impl Check {
    /// Whether the goal is met; `None` if nothing was measured.
    pub fn met(&self) -> Option<bool> {
        self.ratio.map(|ratio| self.goal.met_by(ratio))
    }

    /// The check as the page states it.
    pub fn text(&self, lang: Lang) -> String {
        let what = lang.t(self.what.0, self.what.1);
        let Some(ratio) = self.ratio else {
            return match lang {
                Lang::En => format!("{what}: not measured ({})", self.goal.text(lang)),
                Lang::Zh => format!("{what}：未测量（{}）", self.goal.text(lang)),
            };
        };
        let mark = if self.goal.met_by(ratio) {
            "✓"
        } else {
            "✗"
        };
        let range = self.range.map_or(String::new(), |(low, high)| match lang {
            Lang::En => format!(", rounds {low:.2}–{high:.2}×"),
            Lang::Zh => format!("，各轮 {low:.2}–{high:.2} 倍"),
        });
        match lang {
            Lang::En => format!(
                "{what}: {ratio:.2}× {} ({}{range}) {mark}",
                self.baseline,
                self.goal.text(lang)
            ),
            Lang::Zh => format!(
                "{what}：{} 的 {ratio:.2} 倍（{}{range}）{mark}",
                self.baseline,
                self.goal.text(lang)
            ),
        }
    }

    /// By how much a missed goal was missed: `17% short of 2×`, `35% over 1.0×`.
    pub fn shortfall(&self, lang: Lang) -> Option<String> {
        let ratio = self.ratio?;
        if self.goal.met_by(ratio) {
            return None;
        }
        let what = lang.t(self.what.0, self.what.1);
        Some(match (self.goal, lang) {
            (Goal::AtLeast(goal), Lang::En) => format!(
                "{what} {:.0}% short of {}× {} ({ratio:.2}×)",
                (1.0 - ratio / goal) * 100.0,
                factor(goal),
                self.baseline
            ),
            (Goal::AtLeast(goal), Lang::Zh) => format!(
                "{what}比 {} 的 {} 倍低 {:.0}%（{ratio:.2} 倍）",
                self.baseline,
                factor(goal),
                (1.0 - ratio / goal) * 100.0
            ),
            (Goal::AtMost(goal), Lang::En) => format!(
                "{what} {:.0}% over {}× {} ({ratio:.2}×)",
                (ratio / goal - 1.0) * 100.0,
                factor(goal),
                self.baseline
            ),
            (Goal::AtMost(goal), Lang::Zh) => format!(
                "{what}比 {} 的 {} 倍高 {:.0}%（{ratio:.2} 倍）",
                self.baseline,
                factor(goal),
                (ratio / goal - 1.0) * 100.0
            ),
        })
    }
}

/// Rates compared: the mean of the server's runs over the mean of the baseline's.
pub fn rate_check(
    ours: &[Sample],
    base: &[Sample],
    goal: Goal,
    what: (&'static str, &'static str),
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
    Check {
        what,
        baseline: baseline.to_string(),
        ratio,
        range: range(&rounds),
        goal,
    }
}

/// CPU per operation compared: all the server's CPU over all its operations, against the
/// same for the baseline.
pub fn cpu_check(
    ours: &[Sample],
    base: &[Sample],
    goal: Goal,
    what: (&'static str, &'static str),
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
    Check {
        what,
        baseline: baseline.to_string(),
        ratio,
        range: range(&rounds),
        goal,
    }
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
        }
    }

    #[test]
    fn ratios_are_of_means_and_of_totals() {
        let ours = [sample(300.0, 1.0, 1000.0), sample(100.0, 1.0, 3000.0)];
        let base = [sample(100.0, 2.0, 1000.0), sample(100.0, 2.0, 1000.0)];
        let rate = rate_check(&ours, &base, Goal::AtLeast(2.0), ("rate", "速率"), "Python");
        assert_eq!(rate.ratio, Some(2.0));
        assert_eq!(rate.range, Some((1.0, 3.0)));
        assert_eq!(rate.met(), Some(true));
        assert_eq!(
            rate.text(Lang::En),
            "rate: 2.00× Python (target ≥ 2×, rounds 1.00–3.00×) ✓"
        );
        // 2 s for 4,000 operations against 4 s for 2,000: a quarter of the CPU per operation.
        let cpu = cpu_check(&ours, &base, Goal::AtMost(1.0), ("CPU", "CPU"), "Python");
        assert_eq!(cpu.ratio, Some(0.25));
        assert_eq!(cpu.shortfall(Lang::En), None);
    }

    #[test]
    fn a_miss_says_by_how_much() {
        let check = rate_check(
            &[sample(150.0, 1.0, 1.0)],
            &[sample(100.0, 1.0, 1.0)],
            Goal::AtLeast(2.0),
            ("deliveries/s", "每秒送达"),
            "Python",
        );
        assert_eq!(check.met(), Some(false));
        assert_eq!(
            check.text(Lang::En),
            "deliveries/s: 1.50× Python (target ≥ 2×) ✗"
        );
        assert_eq!(
            check.shortfall(Lang::En).as_deref(),
            Some("deliveries/s 25% short of 2× Python (1.50×)")
        );
        assert_eq!(
            check.text(Lang::Zh),
            "每秒送达：Python 的 1.50 倍（目标 ≥ 2 倍）✗"
        );
        let over = cpu_check(
            &[sample(1.0, 1.3, 1.0)],
            &[sample(1.0, 1.0, 1.0)],
            Goal::AtMost(1.1),
            ("CPU per round trip", "每次往返的 CPU"),
            "reference-echo",
        );
        assert_eq!(
            over.shortfall(Lang::En).as_deref(),
            Some("CPU per round trip 18% over 1.1× reference-echo (1.30×)")
        );
    }

    #[test]
    fn nothing_measured_is_no_verdict() {
        let none = Sample {
            rate: 5.0,
            cpu: None,
        };
        let check = cpu_check(&[none], &[], Goal::AtMost(1.0), ("CPU", "CPU"), "Python");
        assert_eq!(check.ratio, None);
        assert_eq!(check.met(), None);
        assert_eq!(check.text(Lang::En), "CPU: not measured (target ≤ 1.0×)");
    }
}
