//! The report's charts as small, dependency-free SVG files: daily cost with the seasonal
//! baseline band and anomalous days marked, and weekly cost by service.

use std::fmt::Write as _;

use crate::render::money_2dp;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

/// One day of the daily chart.
#[derive(Clone, Debug)]
pub struct DailyPoint {
    pub day: String,
    pub cost: f64,
    /// The seasonal baseline's band (expected ± 3 robust σ), where it exists.
    pub band: Option<(f64, f64)>,
    pub anomalous: bool,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn frame(title: &str, max: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        out,
        "<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"white\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"14\" font-size=\"13\">{}</text>",
        escape(title)
    );
    let base = HEIGHT - BOTTOM;
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#888\"/>",
        WIDTH - RIGHT
    );
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\" stroke=\"#888\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        LEFT - 4.0,
        TOP + 4.0,
        money_2dp(max)
    );
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0
    );
    out
}

fn y_of(v: f64, max: f64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    HEIGHT - BOTTOM - plot * (v.max(0.0) / max)
}

/// Daily cost line, baseline band, anomalous days as red dots.
pub fn daily_chart(title: &str, points: &[DailyPoint]) -> String {
    let max = points
        .iter()
        .map(|p| p.cost.max(p.band.map_or(0.0, |b| b.1)))
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.05;
    let mut out = frame(title, max);
    let n = points.len().max(2) as f64;
    let x_of = |i: usize| LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / (n - 1.0);
    let band: Vec<(usize, (f64, f64))> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.band.map(|b| (i, b)))
        .collect();
    if band.len() > 1 {
        let upper: Vec<String> = band
            .iter()
            .map(|(i, b)| format!("{:.1},{:.1}", x_of(*i), y_of(b.1, max)))
            .collect();
        let lower: Vec<String> = band
            .iter()
            .rev()
            .map(|(i, b)| format!("{:.1},{:.1}", x_of(*i), y_of(b.0, max)))
            .collect();
        let _ = writeln!(
            out,
            "<polygon points=\"{} {}\" fill=\"#cfe3f7\" stroke=\"none\"><title>seasonal baseline ± 3 robust σ</title></polygon>",
            upper.join(" "),
            lower.join(" ")
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x_of(i), y_of(p.cost, max)))
        .collect();
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>",
        line.join(" ")
    );
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.anomalous) {
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#c0392b\"><title>{} anomalous: {}</title></circle>",
            x_of(i),
            y_of(p.cost, max),
            escape(&p.day),
            money_2dp(p.cost)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let base = HEIGHT - BOTTOM + 16.0;
        let _ = writeln!(
            out,
            "<text x=\"{LEFT}\" y=\"{base}\">{}</text>",
            escape(&first.day)
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{base}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            escape(&last.day)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Stacked weekly bars: `weeks` labels, `series` of (name, cost per week).
pub fn weekly_stacked(title: &str, weeks: &[String], series: &[(String, Vec<f64>)]) -> String {
    const COLORS: [&str; 7] = [
        "#1f5fa8", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d",
    ];
    let totals: Vec<f64> = (0..weeks.len())
        .map(|w| series.iter().map(|(_, v)| v[w].max(0.0)).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.05;
    let mut out = frame(title, max);
    let slot = (WIDTH - LEFT - RIGHT - 160.0) / weeks.len().max(1) as f64;
    for (w, label) in weeks.iter().enumerate() {
        let x = LEFT + slot * w as f64 + slot * 0.15;
        let mut top = HEIGHT - BOTTOM;
        for (k, (name, values)) in series.iter().enumerate() {
            let h = (HEIGHT - TOP - BOTTOM) * values[w].max(0.0) / max;
            top -= h;
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                slot * 0.7,
                COLORS[k % COLORS.len()],
                escape(label),
                escape(name),
                money_2dp(values[w])
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x + slot * 0.35,
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        );
    }
    for (k, (name, _)) in series.iter().enumerate() {
        let y = TOP + 16.0 * k as f64 + 10.0;
        let x = WIDTH - RIGHT - 150.0;
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>",
            y - 9.0,
            COLORS[k % COLORS.len()]
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{y}\">{}</text>",
            x + 14.0,
            escape(name)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_wellformed_and_escape_names() {
        let points: Vec<DailyPoint> = (0..10)
            .map(|i| DailyPoint {
                day: format!("d{i}"),
                cost: i as f64,
                band: (i > 3).then_some((1.0, 9.0)),
                anomalous: i == 7,
            })
            .collect();
        let svg = daily_chart("daily <cost>", &points);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("daily &lt;cost&gt;"));
        assert_eq!(svg.matches("<circle").count(), 1);
        let weekly = weekly_stacked(
            "by service",
            &["W1".into(), "W2".into()],
            &[("a<b".into(), vec![1.0, 2.0])],
        );
        assert!(weekly.contains("a&lt;b"));
        assert_eq!(weekly.matches("<rect x=").count(), 3);
    }
}
