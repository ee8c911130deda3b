//! The report: its figures are the library's own (JSON), and its HTML is one well-formed,
//! self-contained page with a chart per section. The pixels are checked by
//! `scripts/report_screenshot.sh` in headless Chromium.

use retention::actions::Programme;
use retention::clv::{FitOptions, ModelKind, TimeUnit};
use retention::metrics::{CohortPeriod, MetricsOptions};
use retention::report::ReportOptions;
use retention::{Day, IngestOptions, Preset, Store};

use crate::common::{fixture, ingest_str, temp_store};

/// Checks that every tag is closed in order (void and self-closed tags aside) and returns the
/// opening tags' names in document order.
fn well_formed(html: &str) -> Vec<String> {
    const VOID: [&str; 2] = ["meta", "br"];
    let mut stack: Vec<String> = Vec::new();
    let mut opened = Vec::new();
    let mut rest = html.strip_prefix("<!DOCTYPE html>\n").expect("doctype first");
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("unterminated tag") + start;
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "'<' inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing tag out of order");
        } else {
            let name = tag.split([' ', '/']).next().unwrap().to_string();
            opened.push(name.clone());
            if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert!(!rest.contains('>'), "stray '>' in text");
    opened
}

/// Nothing the page could fetch: no scripts, links, images, frames, CSS imports or URLs (the SVG
/// namespace is a name, not a fetch).
fn self_contained(html: &str) {
    let without_ns = html.replace(r#"xmlns="http://www.w3.org/2000/svg""#, "");
    for banned in ["<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http:", "https:"] {
        assert!(!without_ns.contains(banned), "the page must not fetch anything: found {banned}");
    }
}

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!(r#"<section id="{id}">"#)).unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

fn cdnow_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = temp_store();
    let options = IngestOptions::default().preset(Preset::Cdnow);
    store.ingest_files(&[fixture("cdnow/CDNOW_master.txt")], &options).unwrap();
    (dir, store)
}

#[test]
fn cdnow_report_has_the_library_figures_and_renders_every_section() {
    let (_dir, store) = cdnow_store();
    let as_of = Day::from_ymd(1998, 6, 30);
    let programme = Programme::parse(
        "points_per_unit = 1\n[[reward]]\npoints = 250\nvalue = \"5.00\"\n[[tier]]\nname = \"Silver\"\nmin_spend = \"100\"\n\
         [[tier]]\nname = \"Gold & <Co>\"\nmin_spend = \"500\"\n",
        "p.toml",
        &store.currency(),
    )
    .unwrap();
    // No CLV model yet: the section says why.
    let options = ReportOptions::default().as_of(as_of.unwrap()).programme(programme);
    let report = store.report(&options).unwrap();
    assert!(report.clv.is_none());
    assert!(report.clv_note.as_deref().unwrap().contains("clv fit"));
    let html = report.to_html();
    assert!(section(&html, "clv").contains("run `retention clv fit`"));

    let model = store.fit_clv(as_of, ModelKind::BgNbd, TimeUnit::Weeks, &FitOptions::default()).unwrap();
    store.save_clv(&model).unwrap();
    let report = store.report(&options).unwrap();
    // The figures are the library's own.
    let metrics = store.period_metrics(&MetricsOptions::default().as_of(as_of.unwrap()), None).unwrap();
    assert_eq!(report.metrics, metrics);
    assert_eq!(report.cohorts, store.cohorts(CohortPeriod::Month, as_of).unwrap());
    assert_eq!(report.stats, store.stats().unwrap());
    let clv = report.clv.as_ref().expect("a fresh model gives a CLV section");
    assert_eq!(clv.customers, 23_570);
    assert_eq!(clv.bins.iter().map(|b| b.customers).sum::<u64>(), 23_570);
    let total: f64 = clv.bins.iter().map(|b| b.value).sum();
    assert!((total - clv.total).abs() < 1e-6 * clv.total);
    assert!(clv.median <= clv.p90 && clv.p90 <= clv.p99 && clv.top_10_share > 0.1);
    let loyalty = report.loyalty.as_ref().unwrap();
    assert_eq!(loyalty.members, 23_570);
    assert_eq!(loyalty.below_tiers + loyalty.tiers.iter().map(|t| t.customers).sum::<u64>(), 23_570);
    assert!(report.categories.is_empty(), "CDNOW has no categories");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["metrics"]["repeat_rate"].as_f64(), Some(metrics.repeat_rate));

    let html = report.to_html();
    let tags = well_formed(&html);
    self_contained(&html);
    assert_eq!(tags.iter().filter(|t| *t == "svg").count(), 5, "segments, cohorts, repeat curve, CLV, tiers");
    assert_eq!(tags.iter().filter(|t| *t == "section").count(), 6);
    assert!(!html.contains(r#"id="categories""#));
    assert!(section(&html, "overview").contains(&format!("{:.1}%", 100.0 * metrics.repeat_rate)));
    assert!(section(&html, "overview").contains("23,570"));
    // One heatmap row per cohort (three: 1997-01..03), one point per k.
    let cohorts = section(&html, "cohorts");
    for month in ["1997-01", "1997-02", "1997-03"] {
        assert!(cohorts.contains(&format!(">{month}</text>")));
    }
    assert_eq!(cohorts.matches("<rect").count(), 18 + 17 + 16);
    assert_eq!(section(&html, "repeat").matches("<circle").count(), 10);
    assert_eq!(section(&html, "clv").matches("<rect").count(), clv.bins.len());
    // User text is escaped.
    assert!(section(&html, "loyalty").contains("Gold &amp; &lt;Co&gt;"));
}

#[test]
fn category_names_are_escaped_and_charted() {
    let (_dir, store) = temp_store();
    ingest_str(&store, &crate::affinity::BASKETS.replace("toys", "<toys & \"games\">")).unwrap();
    let report = store.report(&ReportOptions::default()).unwrap();
    assert_eq!(report.categories.len(), 5, "four named and the uncategorised");
    let html = report.to_html();
    well_formed(&html);
    self_contained(&html);
    let categories = section(&html, "categories");
    assert!(categories.contains("&lt;toys &amp; &quot;games&quot;&gt;"));
    assert_eq!(categories.matches("<rect").count(), 5);
    assert!(report.loyalty.is_none() && !html.contains(r#"id="loyalty""#));
}

#[test]
fn an_empty_store_has_no_report_and_as_of_limits_the_totals() {
    let (_dir, store) = temp_store();
    let e = store.report(&ReportOptions::default()).unwrap_err();
    assert!(matches!(&e, retention::Error::Needs { need: retention::Need::Orders, .. }), "{e:?}");
    ingest_str(&store, crate::affinity::BASKETS).unwrap();
    // As of 2024-01-03: A (books), B (one order), C, E's two orders; nothing later counts.
    let report = store.report(&ReportOptions::default().as_of(Day::from_ymd(2024, 1, 3).unwrap())).unwrap();
    let total = &report.segments.total;
    assert_eq!((total.customers, total.orders, total.revenue), (4, 5, 1_000 + 2_000 + 1_500 + 2_000));
    assert!(section(&report.to_html(), "overview").contains("65.00"));
    assert_eq!((report.stats.orders, report.stats.returns), (10, 1), "the store totals count every order");
}

/// With a calibration/holdout split the report adds "Does the model fit?": the histogram, the
/// cumulative and weekly tracking and the holdout by frequency, drawn from the library's
/// evaluation (the same numbers as `clv evaluate`).
#[test]
fn model_fit_section_draws_the_evaluation() {
    let (_dir, store) = cdnow_store();
    let split =
        retention::clv::EvaluateOptions::new(Day::from_ymd(1997, 9, 30).unwrap(), Day::from_ymd(1998, 6, 30).unwrap())
            .unit(TimeUnit::Weeks)
            .fit(FitOptions::default())
            .models(vec![ModelKind::BgNbd, ModelKind::ParetoNbd]);
    let options = ReportOptions::default().model_fit(split.clone());
    let report = store.report(&options).unwrap();
    let fit = report.model_fit.as_ref().expect("the section's figures");
    let direct = store.evaluate_clv(&split).unwrap();
    // The same evaluation (only the fits' timings differ).
    assert_eq!((&fit.histogram_actual, &fit.tracking), (&direct.histogram_actual, &direct.tracking));
    for (a, b) in fit.models.iter().zip(&direct.models) {
        assert_eq!(
            (&a.histogram_expected, &a.weekly_expected, &a.groups),
            (&b.histogram_expected, &b.weekly_expected, &b.groups)
        );
    }
    let html = report.to_html();
    well_formed(&html);
    self_contained(&html);
    let section = section(&html, "model-fit");
    assert_eq!(section.matches("<svg").count(), 4, "histogram, cumulative, weekly, holdout");
    for title in ["Period-transaction histogram", "Cumulative repeat purchases", "Weekly repeat purchases"] {
        assert!(section.contains(title), "{title}");
    }
    // One polyline per series in each tracking chart: actual and two models.
    assert_eq!(section.matches("<polyline").count(), 6);
    let total = format!("{:.1}", fit.models[0].predicted_total);
    assert!(section.contains(&total) && section.contains(&fit.actual_total.to_string()), "holdout totals in the table");
    // Without a split there is no such section.
    let plain = store.report(&ReportOptions::default()).unwrap().to_html();
    assert!(!plain.contains(r#"id="model-fit""#));
}
