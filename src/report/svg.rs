//! The report's charts as inline SVG strings: horizontal bars, paired bars, a line with points,
//! vertical histogram bars, grouped columns, multi-series lines and a heatmap. Fixed `viewBox` sizes scaled by the page's CSS; every
//! label is escaped, since category and segment names come from user data.

use std::fmt::Write;

/// Escapes text for HTML and SVG content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WIDTH: f64 = 960.0;
const FONT: &str = r#"font-family="system-ui, sans-serif" font-size="12""#;
pub(crate) const BLUE: &str = "#2563eb";
pub(crate) const ORANGE: &str = "#ea580c";

fn open(out: &mut String, height: f64, label: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" {FONT}>"#,
        escape(label)
    );
}

/// Ends a chart: its x-axis title centred at (`x`, `y`), then the closing tag.
fn close(mut out: String, x: f64, y: f64, x_title: &str) -> String {
    let _ = write!(out, r#"<text x="{x}" y="{y}" text-anchor="middle">{}</text>"#, escape(x_title));
    out.push_str("</svg>");
    out
}

/// Clamps a share into [0, 1] (and NaN to 0) so a bad figure draws an empty bar, not garbage.
fn unit(v: f64) -> f64 {
    if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 }
}

/// One bar per row, length `fraction` of the plot width, with `text` to its right.
pub(crate) fn bars(label: &str, rows: &[(String, f64, String)], color: &str) -> String {
    let (row_h, left, right) = (22.0, 170.0, 150.0);
    let plot = WIDTH - left - right;
    let mut out = String::new();
    open(&mut out, row_h * rows.len() as f64 + 8.0, label);
    for (i, (name, fraction, text)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let w = plot * unit(*fraction);
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{left}" y="{}" width="{w:.1}" height="{}" fill="{color}"><title>{}: {}</title></rect><text x="{}" y="{}">{}</text>"#,
            left - 8.0,
            y + 15.0,
            escape(name),
            y + 3.0,
            row_h - 6.0,
            escape(name),
            escape(text),
            left + w + 6.0,
            y + 15.0,
            escape(text),
        );
    }
    out.push_str("</svg>");
    out
}

/// Two bars per row (shares in [0, 1]) with a legend: for example customers and revenue per segment.
pub(crate) fn paired_bars(label: &str, rows: &[(String, f64, f64)], legend: [&str; 2]) -> String {
    let (row_h, left, top) = (30.0, 170.0, 24.0);
    let plot = WIDTH - left - 80.0;
    let mut out = String::new();
    open(&mut out, top + row_h * rows.len() as f64 + 6.0, label);
    for (k, (name, color)) in legend.iter().zip([BLUE, ORANGE]).enumerate() {
        let x = left + k as f64 * 160.0;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="4" width="12" height="12" fill="{color}"/><text x="{}" y="14">{}</text>"#,
            x + 18.0,
            escape(name)
        );
    }
    for (i, (name, a, b)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let _ = write!(out, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, left - 8.0, y + 17.0, escape(name));
        for (k, (v, color)) in [(*a, BLUE), (*b, ORANGE)].into_iter().enumerate() {
            let w = plot * unit(v);
            let yy = y + 3.0 + k as f64 * 12.0;
            let _ = write!(
                out,
                r#"<rect x="{left}" y="{yy}" width="{w:.1}" height="11" fill="{color}"><title>{}: {:.1}%</title></rect><text x="{}" y="{}" font-size="10">{:.1}%</text>"#,
                escape(name),
                100.0 * v,
                left + w + 4.0,
                yy + 9.5,
                100.0 * v,
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A line through `points` (x labels, values in [0, 1] or missing) on a 0–100% axis.
pub(crate) fn percent_line(label: &str, points: &[(String, Option<f64>)], x_title: &str) -> String {
    let (height, left, bottom, top) = (300.0, 60.0, 40.0, 16.0);
    let plot_h = height - bottom - top;
    let plot_w = WIDTH - left - 30.0;
    let step = plot_w / points.len().max(1) as f64;
    let mut out = String::new();
    open(&mut out, height, label);
    for tick in 0..=4 {
        let y = top + plot_h * (1.0 - tick as f64 / 4.0);
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#e5e7eb"/><text x="{}" y="{}" text-anchor="end">{}%</text>"##,
            WIDTH - 30.0,
            left - 6.0,
            y + 4.0,
            tick * 25
        );
    }
    let xy = |i: usize, v: f64| (left + step * (i as f64 + 0.5), top + plot_h * (1.0 - unit(v)));
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| xy(i, v)))
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    if path.len() > 1 {
        let _ = write!(out, r#"<polyline points="{}" fill="none" stroke="{BLUE}" stroke-width="2"/>"#, path.join(" "));
    }
    for (i, (name, v)) in points.iter().enumerate() {
        let (x, _) = xy(i, 0.0);
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
            height - bottom + 16.0,
            escape(name)
        );
        if let Some(v) = v {
            let (x, y) = xy(i, *v);
            let _ = write!(
                out,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{BLUE}"><title>{}: {:.1}%</title></circle><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="11">{:.0}%</text>"#,
                escape(name),
                100.0 * v,
                y - 8.0,
                100.0 * v,
            );
        }
    }
    close(out, left + plot_w / 2.0, height - 6.0, x_title)
}

/// Vertical bars for a histogram: `(bin label, count)`, heights relative to the largest count.
pub(crate) fn histogram(label: &str, bins: &[(String, u64)], x_title: &str) -> String {
    let (height, left, bottom, top) = (280.0, 60.0, 56.0, 20.0);
    let plot_h = height - bottom - top;
    let plot_w = WIDTH - left - 20.0;
    let step = plot_w / bins.len().max(1) as f64;
    let max = bins.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let mut out = String::new();
    open(&mut out, height, label);
    for (i, (name, n)) in bins.iter().enumerate() {
        let h = plot_h * *n as f64 / max;
        let x = left + step * i as f64;
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{BLUE}"><title>{}: {n} customers</title></rect>"#,
            x + 1.0,
            top + plot_h - h,
            (step - 2.0).max(1.0),
            escape(name),
        );
        // Every other label when bins are narrow, so they do not overlap.
        if bins.len() <= 12 || i % 2 == 0 {
            let (cx, cy) = (x + step / 2.0, height - bottom + 14.0);
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{cy}" text-anchor="end" font-size="10" transform="rotate(-35 {cx:.1} {cy})">{}</text>"#,
                escape(name)
            );
        }
    }
    let _ = write!(
        out,
        r##"<line x1="{left}" x2="{}" y1="{}" y2="{}" stroke="#9ca3af"/>"##,
        WIDTH - 20.0,
        top + plot_h,
        top + plot_h
    );
    let _ = write!(out, r#"<text x="8" y="{}">{}</text>"#, top + 4.0, max as u64);
    close(out, left + plot_w / 2.0, height - 4.0, x_title)
}

/// Colours of the series of a multi-series chart: the actual data first, then the models.
pub(crate) const SERIES: [&str; 4] = ["#111827", BLUE, ORANGE, "#16a34a"];

/// A legend row of named colour swatches.
fn legend(out: &mut String, left: f64, names: &[&str]) {
    for (k, name) in names.iter().enumerate() {
        let x = left + k as f64 * 150.0;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="4" width="12" height="12" fill="{}"/><text x="{}" y="14">{}</text>"#,
            SERIES[k % SERIES.len()],
            x + 18.0,
            escape(name)
        );
    }
}

/// A y axis from 0 to `max` with at most five gridlines a 1-2-2.5-5 step apart; returns the
/// axis' top value.
fn y_axis(out: &mut String, left: f64, top: f64, plot_h: f64, max: f64) -> f64 {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let magnitude = 10f64.powf((max / 5.0).log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| max / s <= 5.0).unwrap_or(max);
    let ticks = ((max / step).ceil() as u32).max(1);
    let top_value = step * ticks as f64;
    for tick in 0..=ticks {
        let y = top + plot_h * (1.0 - tick as f64 / ticks as f64);
        let value = step * tick as f64;
        let text = if step >= 1.0 { format!("{value:.0}") } else { format!("{value:.2}") };
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" text-anchor="end">{text}</text>"##,
            WIDTH - 20.0,
            left - 6.0,
            y + 4.0,
        );
    }
    top_value
}

/// Opens a chart of named series: the legend and a y axis up to the largest finite value; returns
/// the axis' top value.
fn series_frame(
    out: &mut String,
    label: &str,
    height: f64,
    (left, top, plot_h): (f64, f64, f64),
    series: &[(&str, Vec<f64>)],
) -> f64 {
    open(out, height, label);
    let names: Vec<&str> = series.iter().map(|s| s.0).collect();
    legend(out, left, &names);
    let max = series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    y_axis(out, left, top, plot_h, max)
}

/// Grouped vertical columns: one group per category, one column per series (actual first).
pub(crate) fn columns(label: &str, categories: &[String], series: &[(&str, Vec<f64>)], x_title: &str) -> String {
    let (height, left, bottom, top) = (300.0, 60.0, 40.0, 28.0);
    let plot_h = height - bottom - top;
    let plot_w = WIDTH - left - 20.0;
    let step = plot_w / categories.len().max(1) as f64;
    let mut out = String::new();
    let top_value = series_frame(&mut out, label, height, (left, top, plot_h), series);
    let width = (step - 8.0).max(2.0) / series.len().max(1) as f64;
    for (i, category) in categories.iter().enumerate() {
        let x0 = left + step * i as f64 + 4.0;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0).max(0.0);
            let h = plot_h * (v / top_value).min(1.0);
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{}, {}: {v:.1}</title></rect>"#,
                x0 + width * k as f64,
                top + plot_h - h,
                (width - 1.0).max(1.0),
                SERIES[k % SERIES.len()],
                escape(category),
                escape(name),
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            left + step * (i as f64 + 0.5),
            height - bottom + 16.0,
            escape(category)
        );
    }
    close(out, left + plot_w / 2.0, height - 4.0, x_title)
}

/// Lines over a shared x axis (actual first), with a dashed vertical marker before point
/// `marker` (the end of the calibration period) and about a dozen x labels.
pub(crate) fn lines(
    label: &str,
    x_labels: &[String],
    series: &[(&str, Vec<f64>)],
    marker: Option<(usize, &str)>,
    x_title: &str,
) -> String {
    let (height, left, bottom, top) = (320.0, 60.0, 48.0, 28.0);
    let plot_h = height - bottom - top;
    let plot_w = WIDTH - left - 20.0;
    let n = x_labels.len().max(2);
    let step = plot_w / (n - 1) as f64;
    let mut out = String::new();
    let top_value = series_frame(&mut out, label, height, (left, top, plot_h), series);
    let xy = |i: usize, v: f64| (left + step * i as f64, top + plot_h * (1.0 - (v.max(0.0) / top_value).min(1.0)));
    if let Some((at, text)) = marker {
        let x = left + step * (at as f64 - 0.5).max(0.0);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{top}" y2="{}" stroke="#6b7280" stroke-dasharray="4 4"/><text x="{:.1}" y="{}" font-size="11" fill="#6b7280">{}</text>"##,
            top + plot_h,
            x + 4.0,
            top + 12.0,
            escape(text)
        );
    }
    for (k, (_, values)) in series.iter().enumerate() {
        let path: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| {
                let (x, y) = xy(i, *v);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let dash = if k == 0 { "" } else { r#" stroke-dasharray="6 3""# };
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
            path.join(" "),
            SERIES[k % SERIES.len()]
        );
    }
    let every = x_labels.len().div_ceil(12).max(1);
    for (i, text) in x_labels.iter().enumerate().step_by(every) {
        let (x, _) = xy(i, 0.0);
        // A centred label this close to the right edge would run off it.
        if x > WIDTH - 60.0 && i > 0 {
            continue;
        }
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{}" text-anchor="middle" font-size="10">{}</text>"#,
            height - bottom + 16.0,
            escape(text)
        );
    }
    close(out, left + plot_w / 2.0, height - 4.0, x_title)
}

/// A heatmap of shares in [0, 1]: one row per label, one column per period. Colour runs from white
/// to blue on a square-root scale of the row-independent maximum outside column 0 (column 0 is
/// 100% by definition for cohorts and would wash out the rest).
pub(crate) fn heatmap(label: &str, rows: &[(String, Vec<Option<f64>>)], x_title: &str) -> String {
    let columns = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(1);
    let (left, top, row_h) = (90.0, 26.0, 20.0);
    let cell_w = (WIDTH - left - 10.0) / columns as f64;
    let height = top + row_h * rows.len() as f64 + 30.0;
    let max = rows.iter().flat_map(|r| r.1.iter().skip(1).flatten()).fold(0.0f64, |m, &v| m.max(unit(v)));
    let mut out = String::new();
    open(&mut out, height, label);
    for k in 0..columns {
        if columns <= 24 || k % 2 == 0 {
            let x = left + cell_w * (k as f64 + 0.5);
            let _ = write!(out, r#"<text x="{x:.1}" y="{}" text-anchor="middle" font-size="10">{k}</text>"#, top - 8.0);
        }
    }
    for (i, (name, cells)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>"#,
            left - 6.0,
            y + 14.0,
            escape(name)
        );
        for (k, v) in cells.iter().enumerate() {
            let Some(v) = v.map(unit) else { continue };
            let t = if max > 0.0 { (v / max).min(1.0).sqrt() } else { 0.0 };
            // White (255, 255, 255) to #1d4ed8 (29, 78, 216).
            let mix = |hi: f64, lo: f64| (hi + (lo - hi) * t).round() as u8;
            let fill = format!("#{:02x}{:02x}{:02x}", mix(255.0, 29.0), mix(255.0, 78.0), mix(255.0, 216.0));
            let x = left + cell_w * k as f64;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y}" width="{:.1}" height="{}" fill="{fill}"><title>{}, {k}: {:.1}%</title></rect>"#,
                cell_w - 1.0,
                row_h - 1.0,
                escape(name),
                100.0 * v,
            );
            if cell_w >= 26.0 {
                let ink = if t > 0.55 { "#ffffff" } else { "#111827" };
                let _ = write!(
                    out,
                    r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="9" fill="{ink}">{:.0}</text>"#,
                    x + cell_w / 2.0,
                    y + 13.0,
                    100.0 * v
                );
            }
        }
    }
    close(out, left + (WIDTH - left) / 2.0, height - 8.0, x_title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape(r#"<b>"Tom & Jerry's"</b>"#), "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;");
        let svg = bars("x", &[("<script>".into(), 0.5, "50%".into())], BLUE);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn bad_figures_draw_empty_not_garbage() {
        let svg = bars("x", &[("a".into(), f64::NAN, String::new()), ("b".into(), 7.0, String::new())], BLUE);
        assert!(svg.contains(r#"width="0.0""#) && svg.contains(r#"width="640.0""#), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn heatmap_scales_outside_column_zero() {
        let rows = vec![
            ("2024-01".to_string(), vec![Some(1.0), Some(0.2), None]),
            ("2024-02".into(), vec![Some(1.0), Some(0.1)]),
        ];
        let svg = heatmap("h", &rows, "months");
        // 0.2 is the darkest cell outside column 0, drawn at full colour like column 0.
        assert_eq!(svg.matches("#1d4ed8").count(), 3);
        assert_eq!(svg.matches("<rect").count(), 4, "missing cells are not drawn");
    }
}
