//! Bar charts as SVG, drawn here so the bench page needs no outside service: an SVG file is
//! text, shown by every browser and by GitHub, and its diff says what changed.

use std::fmt::Write;

/// The colours of the series, in order (readable by most colour-blind readers).
pub const COLOURS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2",
];

/// One series of a grouped bar chart: a value (or none) per category.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// `&`, `<` and `>` spelled as XML wants them.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `1234` → `1.2k`, `2_500_000` → `2.5M`: short labels for bars and axes.
pub fn short(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e9 {
        (value / 1e9, "G")
    } else if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let one_decimal = format!("{scaled:.1}");
    if scaled >= 100.0 || suffix.is_empty() || one_decimal.ends_with(".0") {
        format!("{scaled:.0}{suffix}")
    } else {
        format!("{one_decimal}{suffix}")
    }
}

/// About how wide `text` is at 12 px: Chinese characters are twice as wide as Latin ones.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 7.0 } else { 13.0 })
        .sum()
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `value`: the top of a readable axis.
fn nice_top(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|top| *top >= value)
        .unwrap_or(10.0 * magnitude)
}

fn header(out: &mut String, width: u32, height: u32, title: &str) {
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{}</text>"#,
        width / 2,
        escape(title)
    );
}

/// Vertical bars grouped by category (one group per connection count, one bar per server).
/// A missing value is drawn as "n/a" on the axis, so a skipped run is visible.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[Series],
    missing: &str,
) -> String {
    let (width, height) = (760_u32, 420_u32);
    let (left, right, top, bottom) = (80.0, 20.0, 50.0, 90.0);
    let plot_w = f64::from(width) - left - right;
    let plot_h = f64::from(height) - top - bottom;
    let highest = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, &b| a.max(b));
    let y_top = nice_top(highest);
    let y = |value: f64| top + plot_h * (1.0 - value / y_top);

    let mut out = String::new();
    header(&mut out, width, height, title);
    // The axis and its grid lines.
    for tick in 0..=5 {
        let value = y_top * f64::from(tick) / 5.0;
        let at = y(value);
        let _ = writeln!(
            out,
            r##"<line x1="{left}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="#ddd"/>"##,
            left + plot_w
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 6.0,
            at + 4.0,
            short(value)
        );
    }
    let _ = writeln!(
        out,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        top + plot_h / 2.0,
        escape(y_label)
    );
    // The bars.
    let group_w = plot_w / categories.len().max(1) as f64;
    let bar_w = group_w * 0.8 / series.len().max(1) as f64;
    for (c, category) in categories.iter().enumerate() {
        let group_x = left + group_w * c as f64 + group_w * 0.1;
        for (s, one) in series.iter().enumerate() {
            let x = group_x + bar_w * s as f64;
            let colour = COLOURS[s % COLOURS.len()];
            match one.values.get(c).copied().flatten() {
                Some(value) => {
                    let _ = writeln!(
                        out,
                        r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
                        y(value),
                        bar_w - 2.0,
                        (top + plot_h - y(value)).max(0.5),
                        escape(&one.name),
                        short(value)
                    );
                    let _ = writeln!(
                        out,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10">{}</text>"#,
                        x + bar_w / 2.0 - 1.0,
                        y(value) - 4.0,
                        short(value)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="9" fill="#888">{}</text>"##,
                        x + bar_w / 2.0 - 1.0,
                        top + plot_h - 4.0,
                        escape(missing)
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            left + group_w * (c as f64 + 0.5),
            top + plot_h + 18.0,
            escape(category)
        );
    }
    let _ = writeln!(
        out,
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    // The legend, under the plot.
    let mut x = left;
    for (s, one) in series.iter().enumerate() {
        let legend_y = f64::from(height) - 30.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/>"#,
            legend_y - 10.0,
            COLOURS[s % COLOURS.len()]
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{legend_y:.1}">{}</text>"#,
            x + 16.0,
            escape(&one.name)
        );
        x += 40.0 + text_width(&one.name);
    }
    out.push_str("</svg>\n");
    out
}

/// Horizontal bars, one per row, with an optional dashed target line.
pub fn horizontal_bars(
    title: &str,
    rows: &[(String, Option<f64>)],
    target: Option<(f64, String)>,
    format: fn(f64) -> String,
    missing: &str,
) -> String {
    let row_h = 34.0;
    let (left, right, top) = (260.0, 110.0, 50.0);
    let width = 760_u32;
    let height = (top + row_h * rows.len() as f64 + 40.0) as u32;
    let plot_w = f64::from(width) - left - right;
    let highest = rows
        .iter()
        .filter_map(|(_, value)| *value)
        .chain(target.as_ref().map(|(value, _)| *value))
        .fold(0.0_f64, f64::max);
    let x_top = nice_top(highest);
    let x = |value: f64| left + plot_w * value / x_top;

    let mut out = String::new();
    header(&mut out, width, height, title);
    for (r, (name, value)) in rows.iter().enumerate() {
        let row_y = top + row_h * r as f64;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 8.0,
            row_y + row_h / 2.0 + 4.0,
            escape(name)
        );
        match value {
            Some(value) => {
                let _ = writeln!(
                    out,
                    r#"<rect x="{left}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                    row_y + 5.0,
                    (x(*value) - left).max(0.5),
                    row_h - 10.0,
                    COLOURS[r % COLOURS.len()]
                );
                let _ = writeln!(
                    out,
                    r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                    x(*value) + 6.0,
                    row_y + row_h / 2.0 + 4.0,
                    escape(&format(*value))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" fill="#888">{}</text>"##,
                    left + 6.0,
                    row_y + row_h / 2.0 + 4.0,
                    escape(missing)
                );
            }
        }
    }
    let bottom = top + row_h * rows.len() as f64;
    let _ = writeln!(
        out,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom:.1}" stroke="#333"/>"##
    );
    if let Some((value, label)) = target {
        let at = x(value);
        let _ = writeln!(
            out,
            r##"<line x1="{at:.1}" y1="{:.1}" x2="{at:.1}" y2="{:.1}" stroke="#c00" stroke-dasharray="6 4"/>"##,
            top - 6.0,
            bottom + 6.0
        );
        let _ = writeln!(
            out,
            r##"<text x="{at:.1}" y="{:.1}" text-anchor="middle" fill="#c00">{}</text>"##,
            bottom + 22.0,
            escape(&label)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(7.0), 10.0);
        assert_eq!(nice_top(120.0), 200.0);
        assert_eq!(nice_top(43_000.0), 50_000.0);
        assert_eq!(short(52_345.0), "52.3k");
        assert_eq!(short(250_000.0), "250k");
        assert_eq!(short(2_500_000_000.0), "2.5G");
        assert_eq!(short(12.0), "12");
        assert_eq!(short(20_000.0), "20k");
        assert_eq!(short(1_999_000.0), "2M");
    }

    #[test]
    fn charts_are_well_formed_svg_with_every_bar() {
        let svg = grouped_bars(
            "Round trips <per second>",
            "messages/s",
            &["1".into(), "50".into()],
            &[
                Series {
                    name: "echo-server".into(),
                    values: vec![Some(10_000.0), None],
                },
                Series {
                    name: "async & co".into(),
                    values: vec![Some(20_000.0), Some(40_000.0)],
                },
            ],
            "n/a",
        );
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert_eq!(
            svg.matches("<rect x=").count(),
            3 + 2,
            "3 bars, 2 legend keys"
        );
        assert!(svg.contains("Round trips &lt;per second&gt;"));
        assert!(svg.contains("async &amp; co"));
        assert!(svg.contains(">n/a<"));

        let svg = horizontal_bars(
            "Bulk",
            &[("1 KiB".into(), Some(3e8)), ("64 KiB".into(), None)],
            Some((2e9, "target".into())),
            |v| format!("{v}"),
            "skipped",
        );
        assert_eq!(svg.matches("<rect x=").count(), 1);
        assert!(svg.contains("stroke-dasharray") && svg.contains(">skipped<"));
    }
}
