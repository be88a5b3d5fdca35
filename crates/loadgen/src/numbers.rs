//! How numbers read, in the summaries loadgen prints and on the bench page: `12,345`,
//! `1.25 ms`, `1.51 GB/s`. The same in English and in Chinese, so they are made here, once;
//! the page's templates call these as filters (`{{ count | thousands }}`).

/// `12345678` → `12,345,678`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1 connection`, `50 connections`: counts in the English summaries a run prints.
pub fn count_of(count: u64, what: &str) -> String {
    if count == 1 {
        format!("1 {what}")
    } else {
        format!("{} {what}s", thousands(count))
    }
}

/// Microseconds as a short human value: `850 µs`, `1.25 ms`, `2.10 s`.
pub fn micros(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{:.2} s", us / 1_000_000.0)
    }
}

/// Bytes per second as `1.23 GB/s` or `456.7 MB/s` (powers of 1,000, like network speeds).
pub fn bytes_rate(bytes_per_s: f64) -> String {
    if bytes_per_s >= 1e9 {
        format!("{:.2} GB/s", bytes_per_s / 1e9)
    } else {
        format!("{:.1} MB/s", bytes_per_s / 1e6)
    }
}

/// Seconds of CPU as a short value: `850 µs`, `12.3 ms`, `1.25 s`.
pub fn cpu_time(seconds: f64) -> String {
    let three_digits = |value: f64, unit: &str| {
        if value >= 100.0 {
            format!("{value:.0} {unit}")
        } else if value >= 10.0 {
            format!("{value:.1} {unit}")
        } else {
            format!("{value:.2} {unit}")
        }
    };
    if seconds >= 1.0 {
        three_digits(seconds, "s")
    } else if seconds >= 1e-3 {
        three_digits(seconds * 1e3, "ms")
    } else {
        three_digits(seconds * 1e6, "µs")
    }
}

/// Calls per operation, to two significant digits or so: `2.1`, `0.41`, `0.0031`.
pub fn per_op(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else if value >= 1.0 {
        format!("{value:.1}")
    } else if value >= 0.01 {
        format!("{value:.2}")
    } else {
        format!("{value:.4}")
    }
}

/// A buffer size: `64 KiB`, or `1,000 B` when it is not a whole number of KiB.
pub fn kib(bytes: u64) -> String {
    if bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{} B", thousands(bytes))
    }
}

/// A ratio goal as the project states it: `2` → `2`, `1.0` → `1.0`, `0.9` → `0.9`.
pub fn factor(goal: f64) -> String {
    if goal >= 2.0 && goal.fract() == 0.0 {
        format!("{goal:.0}")
    } else {
        format!("{goal:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(count_of(1, "socket"), "1 socket");
        assert_eq!(count_of(10_000, "socket"), "10,000 sockets");
        assert_eq!(micros(850.0), "850 µs");
        assert_eq!(micros(1_250.0), "1.25 ms");
        assert_eq!(bytes_rate(2.5e9), "2.50 GB/s");
        assert_eq!(bytes_rate(456.7e6), "456.7 MB/s");
        assert_eq!(kib(65_536), "64 KiB");
        assert_eq!(kib(1_000), "1,000 B");
        assert_eq!(per_op(0.0031), "0.0031");
        assert_eq!(per_op(2.14), "2.1");
        assert_eq!(
            (factor(2.0), factor(1.0), factor(0.9)),
            ("2".into(), "1.0".into(), "0.9".into())
        );
    }

    #[test]
    fn cpu_seconds_read_well() {
        assert_eq!(cpu_time(1.254), "1.25 s");
        assert_eq!(cpu_time(0.0123), "12.3 ms");
        assert_eq!(cpu_time(0.000_85), "850 µs");
        assert_eq!(cpu_time(0.000_004_7), "4.70 µs");
    }
}
