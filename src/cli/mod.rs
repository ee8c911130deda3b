//! The `retention` binary: parse arguments, call the library, format the result. No analysis
//! happens here; everything a command does is a library call a service can make too.

mod actions;
mod affinity;
mod args;
mod clv;
mod errors;
mod metrics;
mod output;
mod progress;
mod report;

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use args::{
    Cli, ClustersArgs, ClvCommand, Command, CustomerArgs, DemoArgs, FilterArgs, GenerateArgs, IngestArgs, ScoreArgs,
    SegmentsArgs,
};
use output::{Col, Format, Table};
use retention::generate::{Shop, ShopConfig};
use retention::lake::Cell;
use retention::rfm::{Clusters, Group, Monetary, Rfm, RulesFile, SegmentReport, Segments};
use retention::summary_file::SummarySet;
use retention::{Currency, CustomerProfile, Day, Error, IngestOptions, IngestReport, Stats, Store, Summary};

/// What a command can fail with: a library error, or a lookup that found nothing.
enum Failure {
    Lib(Error),
    NotFound(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lib(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Lib(Error::io("writing output", e))
    }
}

/// Runs the command line and returns the process exit code (see the README's "Exit codes").
/// Opens an existing store for a command (see [`opened`]).
fn open_existing(db: &Path) -> Result<Store, Error> {
    Store::open_existing(db).map(opened)
}

/// Says so when opening the store rolled back a write a crash or a kill interrupted.
fn opened(store: Store) -> Store {
    if store.recovery().rolled_back > 0 {
        eprintln!(
            "note: {}: the last ingest or save was interrupted before it committed and was rolled back; \
             the store is exactly as before it. Run it again to complete it.",
            store.path().display()
        );
    }
    store
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = dispatch(cli, &mut out).and_then(|()| out.flush().map_err(Failure::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `retention ... | head` closing the pipe early is a normal end.
        Err(Failure::Lib(e)) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(Failure::Lib(e)) => {
            eprintln!("retention: error: {}", errors::message(&e));
            let args: Vec<String> = std::env::args().collect();
            let db = args.iter().enumerate().find_map(|(i, a)| match a.strip_prefix("--db=") {
                Some(path) => Some(path),
                None => (a == "--db").then(|| args.get(i + 1).map(String::as_str)).flatten(),
            });
            for step in errors::next_steps(&e, db) {
                eprintln!("  next: {step}");
            }
            ExitCode::from(errors::exit_code(&e))
        }
        Err(Failure::NotFound(what)) => {
            eprintln!("retention: {what}");
            ExitCode::from(5)
        }
    }
}

fn dispatch(cli: Cli, out: &mut impl Write) -> Result<(), Failure> {
    match cli.command {
        Command::Demo(a) => demo(&a, cli.format, out),
        Command::Ingest(a) => ingest(&a, cli.format, out),
        Command::Stats(a) => {
            let store = open_existing(&a.db)?;
            print_stats(&store.stats()?, cli.format, out)
        }
        Command::Customer(a) => customer(&a, cli.format, out),
        Command::Generate(a) => generate(&a, out),
        Command::Rfm(a) => rfm(&a.score, a.segment.as_deref(), &a.filter, a.out.as_deref(), cli.format, out),
        Command::Segment(a) => rfm(&a.score, Some(&a.name), &a.filter, a.out.as_deref(), cli.format, out),
        Command::Segments(a) => segments(&a, cli.format, out),
        Command::Clusters(a) => clusters(&a, cli.format, out),
        Command::Clv(ClvCommand::Fit(a)) => clv::fit(&a, cli.format, out),
        Command::Clv(ClvCommand::Score(a)) => clv::score(&a, cli.format, out),
        Command::Clv(ClvCommand::Evaluate(a)) => clv::evaluate(&a, cli.format, out),
        Command::Clv(ClvCommand::Data(a)) => clv::data(&a, out),
        Command::Clv(ClvCommand::Curve(a)) => clv::curve(&a, cli.format, out),
        Command::Metrics(a) => metrics::period(&a, cli.format, out),
        Command::Cohorts(a) => metrics::cohorts(&a, cli.format, out),
        Command::Actions(a) => actions::run(&a, cli.format, out),
        Command::Loyalty(a) => actions::loyalty(&a, cli.format, out),
        Command::Affinity(a) => affinity::run(&a, cli.format, out),
        Command::Report(a) => report::run(&a, cli.format, out),
        Command::Export(a) => report::export(&a, cli.format, out),
        Command::Summaries(a) => summaries(&a, out),
    }
}

fn summaries(a: &args::SummariesArgs, out: &mut impl Write) -> Result<(), Failure> {
    let store = open_existing(&a.db)?;
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    let customers = store.write_summaries(as_of, &a.out)?;
    writeln!(out, "{customers} customer summaries written to {}", a.out.display())?;
    Ok(())
}

fn ingest(a: &IngestArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let store = opened(Store::open_with(&a.db, &a.to_store_options()?)?);
    let mut options = a.to_options()?;
    let (callback, bar) = progress::bar();
    options.progress = callback;
    let mut ingest = store.begin_ingest(&options)?;
    for f in &a.files {
        if f.as_os_str() == "-" {
            ingest.read("<stdin>", io::stdin())?;
        } else {
            ingest.read_file(f)?;
        }
    }
    let report = if a.dry_run { ingest.dry_run() } else { ingest.commit() };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    print_report(&report?, a.rejects.as_deref(), format, out)
}

fn print_report(r: &IngestReport, rejects: Option<&Path>, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Json {
        return Ok(output::json(out, r)?);
    }
    let mut pairs = vec![
        ("rows read", r.rows_read.to_string()),
        ("rows rejected", r.rows_rejected.to_string()),
        ("rows skipped", r.rows_skipped.to_string()),
        ("orders new", r.orders_new.to_string()),
        ("orders updated", r.orders_updated.to_string()),
        ("orders unchanged", r.orders_unchanged.to_string()),
        ("returns", r.returns.to_string()),
        ("customers new", r.customers_new.to_string()),
        ("categories new", r.categories_new.to_string()),
        ("elapsed s", format!("{:.3}", r.elapsed.as_secs_f64())),
        ("rows per s", format!("{:.0}", r.rows_per_second())),
    ];
    if r.counts_only {
        pairs.insert(3, ("amounts", "none: purchase counts only (R and F, P(alive), expected purchases)".into()));
    }
    if r.amounts_denoised > 0 {
        pairs.insert(3, ("amounts read through float noise", r.amounts_denoised.to_string()));
    }
    let mut extra: Vec<(&str, String)> = Vec::new();
    for (reason, n) in &r.orders_excluded {
        extra.push(("orders excluded", format!("{n} {reason}")));
    }
    for (code, n) in &r.orders_converted {
        extra.push(("converted", format!("{n} orders in {code} at the rates given")));
    }
    for (code, n) in &r.other_currencies {
        extra.push(("other currency", format!("{n} orders in {code} (not converted)")));
    }
    if r.orders_removed > 0 {
        extra.push(("orders removed", format!("{} (excluded since an earlier ingest)", r.orders_removed)));
    }
    if r.orders_incomplete > 0 {
        extra.push((
            "orders incomplete",
            format!("{} (only line rows: order row rejected or not read)", r.orders_incomplete),
        ));
    }
    if r.orders_unattributed > 0 {
        extra.push(("orders unattributed", format!("{} (no customer id or e-mail)", r.orders_unattributed)));
    }
    let at = pairs.iter().position(|(k, _)| *k == "returns").map_or(pairs.len(), |i| i + 1);
    pairs.splice(at..at, extra);
    if let (Some(path), true) = (rejects, r.rows_rejected + r.orders_unattributed > 0) {
        pairs.push(("rejects file", path.display().to_string()));
    }
    let layouts: Vec<String> = r
        .sources
        .iter()
        .map(|s| {
            let columns: Vec<String> = s.columns.iter().map(|(role, column)| format!("{role} = {column}")).collect();
            let how = if s.detected { " (recognised from the header)" } else { "" };
            format!("{}: {}{how}; {}", s.source, s.layout, columns.join(", "))
        })
        .collect();
    if r.dry_run {
        pairs.insert(0, ("dry run", "nothing was written".into()));
    }
    for layout in &layouts {
        pairs.push(("layout", layout.clone()));
    }
    let examples: Vec<String> = r.rejected_examples.iter().map(|e| e.to_string()).collect();
    if r.dry_run || r.rows_rejected > 0 {
        for e in &examples {
            pairs.push(("rejected", e.clone()));
        }
    }
    for e in &r.unattributed_examples {
        pairs.push(("unattributed", e.to_string()));
    }
    Ok(output::pairs(out, &pairs, format)?)
}

fn print_stats(s: &Stats, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    if format == Format::Json {
        return Ok(output::json(out, s)?);
    }
    let c = &s.currency;
    let day = |d: Option<Day>| d.map_or_else(String::new, |d| d.to_string());
    let money = |v: i64| if s.counts_only { "none (purchase counts only)".to_string() } else { c.format(v) };
    let pairs = [
        ("customers", s.customers.to_string()),
        ("buyers", s.buyers.to_string()),
        ("orders", s.orders.to_string()),
        ("returns", s.returns.to_string()),
        ("gross", money(s.gross)),
        ("returned", money(s.returned)),
        ("revenue", money(s.revenue)),
        ("currency", c.code().to_string()),
        ("first day", day(s.first_day)),
        ("last day", day(s.last_day)),
        ("categories", s.categories.to_string()),
    ];
    Ok(output::pairs(out, &pairs, format)?)
}

fn customer(a: &CustomerArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let store = open_existing(&a.db)?;
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    // A platform export's customers are e-mails trimmed and lower-cased: `Ann@X.com` finds them.
    let folded = a.id.trim().to_lowercase();
    let profile = match store.customer_as_of(&a.id, as_of)? {
        None if a.id.contains('@') && folded != a.id => store.customer_as_of(&folded, as_of)?,
        found => found,
    }
    .ok_or_else(|| Failure::NotFound(format!("no customer {:?} in {}", a.id, a.db.display())))?;
    let reference = match as_of {
        Some(d) => Some(d),
        None => store.stats()?.last_day,
    };
    if format == Format::Json {
        // The profile's fields, plus what was saved about the customer (null when nothing was).
        let mut value = serde_json::to_value(&profile).map_err(|e| Error::io("writing output", e.into()))?;
        if let Some(object) = value.as_object_mut() {
            let saved = store.saved_score(profile.id)?;
            object.insert("saved_segment".into(), serde_json::to_value(saved).unwrap_or_default());
            let clv = match store.saved_clv() {
                Ok(Some(s)) => store
                    .clv_of(profile.id, &s.model, &retention::clv::ValueOptions::default())?
                    .map(|v| serde_json::json!({ "as_of": s.model.as_of, "stale": s.stale, "value": v })),
                Ok(None) => None,
                Err(e) => Some(serde_json::json!({ "error": e.to_string() })),
            };
            object.insert("clv".into(), serde_json::to_value(clv).unwrap_or_default());
        }
        return Ok(output::json(out, &value)?);
    }
    if format == Format::Table
        && let Some(saved) = store.saved_score(profile.id)?
    {
        let s = &saved.saved;
        let note = if s.stale { ", STALE: the store changed since; run segments --save again" } else { "" };
        writeln!(
            out,
            "saved segment   {} (R{} F{} M{} of {}, as of {}{note})",
            saved.segment, saved.r, saved.f, saved.m, s.bins, s.as_of
        )?;
    }
    if format == Format::Table {
        let lines = clv::customer_lines(&store, profile.id)?;
        if !lines.is_empty() {
            output::pairs(out, &lines, format)?;
        }
    }
    print_profile(&profile, &store.currency(), reference, None, format, out)
}

/// Prints a customer's summary and orders; `latest` limits the table to the most recent orders
/// (the demo's profiles), `None` prints them all.
fn print_profile(
    p: &CustomerProfile,
    c: &Currency,
    as_of: Option<Day>,
    latest: Option<usize>,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    if format == Format::Json {
        return Ok(output::json(out, p)?);
    }
    let mut pairs = vec![("customer", p.external_id.clone()), ("internal id", p.id.get().to_string())];
    if let Some(s) = &p.summary {
        pairs.extend(summary_pairs(s, c, as_of));
    }
    if format == Format::Table {
        output::pairs(out, &pairs, format)?;
        writeln!(out)?;
    }
    let shown = latest.map_or(0, |n| p.orders.len().saturating_sub(n));
    if shown > 0 && format == Format::Table {
        writeln!(out, "({shown} earlier orders not shown)")?;
    }
    let mut t = Table::new(&["day", "amount", "categories"]).numeric(&[1]);
    for o in &p.orders[shown..] {
        let cats = o
            .lines
            .iter()
            .map(|l| if l.category.is_empty() { "(none)" } else { &l.category })
            .collect::<Vec<_>>()
            .join(" ");
        t.push(vec![o.day.to_string(), c.format(o.amount), cats]);
    }
    Ok(t.write(out, format)?)
}

fn summary_pairs(s: &Summary, c: &Currency, as_of: Option<Day>) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("first purchase", s.first_purchase.to_string()),
        ("last purchase", s.last_purchase.to_string()),
        ("orders", s.orders.to_string()),
        ("purchase days", s.purchase_days.to_string()),
        ("spend", c.format(s.spend)),
        ("average order", c.format(s.average_order_value().round() as i64)),
        ("returns", format!("{} ({})", s.returns, c.format(s.returned))),
        ("x, t_x (days)", format!("{}, {}", s.x(), s.t_x())),
    ];
    if let Some(d) = as_of {
        v.push(("as of", d.to_string()));
        v.push(("recency (days)", s.recency(d).to_string()));
        v.push(("T (days)", s.age(d).to_string()));
    }
    v
}

fn generate(a: &GenerateArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut config = ShopConfig::new(a.customers, a.seed);
    if let Some(start) = args::parse_day("--start", a.start.as_deref())? {
        config.start = start;
    }
    if let Some(days) = a.days {
        config.days = days;
    }
    let shop = Shop::new(config)?;
    shop.write_csv(out).map_err(|e| Error::io("writing generated orders", e))?;
    Ok(())
}

fn demo(a: &DemoArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let started = Instant::now();
    let shop = Shop::new(ShopConfig::new(a.customers, a.seed))?;
    let store = opened(Store::open(&a.db)?);
    let (callback, bar) = progress::bar();
    let options = IngestOptions::default().progress(callback);
    let mut ingest = store.begin_ingest(&options)?;
    let (reader, writer) = io::pipe().map_err(|e| Error::io("creating a pipe for the demo data", e))?;
    let report = std::thread::scope(|s| {
        // The generator streams CSV into the ingest, as `retention generate | retention ingest -` would.
        let producer = s.spawn(move || shop.write_csv(BufWriter::with_capacity(1 << 20, writer)));
        let read = ingest.read("generated shop", reader);
        // If the ingest stopped early the generator sees a closed pipe; its error is secondary.
        let produced = producer.join().unwrap_or_else(|_| Err(io::Error::other("generator thread panicked")));
        read?;
        produced.map_err(|e| Error::io("generating the demo shop", e))?;
        ingest.commit()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let report = report?;
    if format == Format::Json {
        let stats = store.stats()?;
        return Ok(output::json(out, &serde_json::json!({ "store": a.db, "ingest": report, "stats": stats }))?);
    }
    writeln!(
        out,
        "Generated a shop of {} customers (seed {}), ingested {} order lines into {} in {:.2} s ({:.0} rows/s end to end, durable).\n",
        a.customers,
        a.seed,
        report.rows_read,
        a.db.display(),
        report.elapsed.as_secs_f64(),
        report.rows_per_second()
    )?;
    print_report(&report, None, format, out)?;
    writeln!(out)?;
    let stats = store.stats()?;
    print_stats(&stats, format, out)?;
    writeln!(out, "store size on disk  {:.1} MiB", store.disk_usage()? as f64 / (1 << 20) as f64)?;

    let summaries = store.summaries(None)?;
    let mut by_spend: Vec<&Summary> = summaries.customers.iter().collect();
    by_spend.sort_by_key(|s| std::cmp::Reverse(s.spend));
    let repeaters: Vec<&&Summary> = by_spend.iter().filter(|s| s.x() > 0).collect();
    let picks = [
        ("The best customer by spend", by_spend.first().copied()),
        ("A typical repeat customer (median spend among repeaters)", repeaters.get(repeaters.len() / 2).map(|s| **s)),
        ("A one-time buyer", by_spend.iter().rev().find(|s| s.x() == 0).copied()),
    ];
    let currency = store.currency();
    for (title, pick) in picks {
        let Some(s) = pick else { continue };
        if let Some(p) = store.customer_by_id(s.customer, None)? {
            writeln!(out, "\n{title}:")?;
            print_profile(&p, &currency, Some(summaries.as_of), Some(12), format, out)?;
        }
    }
    clv::demo(&store, &summaries, format, out)?;
    // Appended, not replaced: `--db shop.v2` must not write over `shop.html`.
    let mut page = a.db.clone().into_os_string();
    page.push(".html");
    let page = std::path::PathBuf::from(page);
    report::write_whole(&page, store.report(&Default::default())?.to_html().as_bytes())?;
    writeln!(
        out,
        "\nReport: {} (open it in a browser; `retention report --db {db}` writes it again).\n\
         Done in {:.2} s. Next: retention segments --db {db}   |   retention clv score --db {db}   |   \
         retention customer ID --db {db}",
        page.display(),
        started.elapsed().as_secs_f64(),
        db = a.db.display()
    )?;
    Ok(())
}

/// Opens the store and scores it as the flags say: quantiles, or the rules file's thresholds; the
/// rules file's segments, or the default map.
/// Where scored summaries came from: a store (which can also save scores) or a summary file.
enum Source {
    Store(Store),
    File { ids: Vec<String>, currency: retention::Currency },
}

impl Source {
    fn currency(&self) -> retention::Currency {
        match self {
            Source::Store(store) => store.currency(),
            Source::File { currency, .. } => currency.clone(),
        }
    }

    fn external_ids(&self) -> Result<Vec<String>, Failure> {
        match self {
            Source::Store(store) => Ok(store.external_ids()?),
            Source::File { ids, .. } => Ok(ids.clone()),
        }
    }

    /// The store, for what only a store can do (`flag` names the option that needs it).
    fn store(&self, flag: &str) -> Result<&Store, Failure> {
        match self {
            Source::Store(store) => Ok(store),
            Source::File { .. } => Err(Error::invalid(
                flag,
                "with --summaries",
                "needs a store (--db DIR); a summary file cannot keep scores",
            )
            .into()),
        }
    }
}

fn score(a: &ScoreArgs) -> Result<(Source, Rfm, Segments), Failure> {
    let as_of = args::parse_day("--as-of", a.as_of.as_deref())?;
    // A summary file's footers are read once: its currency parses the rules, then it is scored.
    enum Input {
        Store(Store),
        File(SummarySet),
    }
    let input = match (&a.summaries, &a.db) {
        (Some(path), _) => {
            if as_of.is_some() {
                let value = a.as_of.clone().unwrap_or_default();
                return Err(Error::invalid("--as-of", value, "a summary file has its own as-of day").into());
            }
            Input::File(SummarySet::open(path, a.currency.parse()?.as_ref())?)
        }
        (None, Some(db)) => Input::Store(open_existing(db)?),
        (None, None) => return Err(Error::invalid("--db", "", "give --db DIR or --summaries PATH").into()),
    };
    let currency = match &input {
        Input::Store(store) => store.currency(),
        Input::File(set) => set.currency().clone(),
    };
    let mut options = a.to_options();
    let (segments, thresholds) = match &a.rules {
        None => (Segments::default(), [None, None, None]),
        Some(path) => {
            let rules = RulesFile::load(path, &currency)?;
            if let Some(bins) = rules.bins {
                if a.bins.is_some_and(|b| b != bins) {
                    return Err(Error::invalid(
                        "--bins",
                        options.bins.to_string(),
                        format!("the rules file's thresholds give {bins} scores"),
                    )
                    .into());
                }
                options.bins = bins;
            }
            (rules.segments, rules.thresholds)
        }
    };
    match input {
        Input::Store(store) => {
            let rfm = Rfm::compute_with(&store.summaries(as_of)?, &options, thresholds)?;
            Ok((Source::Store(store), rfm, segments))
        }
        Input::File(set) => {
            // Two passes over the part files: value counts merged, then scores (exact cuts).
            let (rfm, ids) = set.rfm(&options, thresholds)?;
            Ok((Source::File { ids, currency }, rfm, segments))
        }
    }
}

/// One line of `retention rfm --format json`: money in integer minor units, as everywhere in JSON.
#[derive(serde::Serialize)]
struct RfmRow<'a> {
    customer: &'a str,
    recency: u32,
    frequency: u32,
    monetary: i64,
    r: u8,
    f: u8,
    m: u8,
    cell: String,
    fm: u8,
    total: u8,
    segment: &'a str,
}

/// Streams one row per customer: rows are formatted and written one at a time, so memory stays at
/// the scores themselves whatever the output size.
fn rfm(
    a: &ScoreArgs,
    segment: Option<&str>,
    filter: &FilterArgs,
    file: Option<&Path>,
    format: Format,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let (source, rfm, segments) = score(a)?;
    let wanted = match segment {
        None => None,
        Some(name) => Some(segments.names().iter().position(|n| n.eq_ignore_ascii_case(name)).ok_or_else(|| {
            Error::invalid("segment", name, format!("expected one of: {}", segments.names().join(", ")))
        })? as u8),
    };
    let currency = source.currency();
    let filter = filter.to_conditions(rfm.as_of, &currency)?;
    let names = source.external_ids()?;
    let columns = vec![
        Col::text("customer", 14),
        Col::int("recency", 7),
        Col::int("frequency", 9),
        Col::money("monetary", 12),
        Col::int("r", 2),
        Col::int("f", 2),
        Col::int("m", 2),
        Col::text("cell", 4),
        Col::int("fm", 2),
        Col::int("total", 5),
        Col::text("segment", 0),
    ];
    let mut rows = output::RowWriter::new(out, format, file, columns, &currency)?;
    for s in &rfm.scores {
        let segment = segments.of(s, rfm.bins);
        if wanted.is_some_and(|w| w != segment) || !filter.accepts(s) {
            continue;
        }
        let name = output::name(&names, s.customer);
        let segment = segments.name(segment);
        if rows.is_json() {
            let row = RfmRow {
                customer: name,
                recency: s.recency,
                frequency: s.frequency,
                monetary: s.monetary,
                r: s.r,
                f: s.f,
                m: s.m,
                cell: s.cell(),
                fm: s.fm(),
                total: s.total(),
                segment,
            };
            rows.write_json(&row)?;
        } else {
            rows.write_cells(&[
                Cell::Text(name),
                Cell::Integer(s.recency as i64),
                Cell::Integer(s.frequency as i64),
                if rfm.monetary == Monetary::None { Cell::Null } else { Cell::Money(s.monetary) },
                Cell::Integer(s.r as i64),
                Cell::Integer(s.f as i64),
                Cell::Integer(s.m as i64),
                Cell::Text(&s.cell()),
                Cell::Integer(s.fm() as i64),
                Cell::Integer(s.total() as i64),
                Cell::Text(segment),
            ])?;
        }
    }
    Ok(rows.finish()?)
}

fn segments(a: &SegmentsArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let (source, rfm, segments) = score(&a.score)?;
    if a.save {
        source.store("--save")?.save_scores(&rfm, &segments)?;
    }
    let report = SegmentReport::new(&rfm, &segments);
    let c = &report.concentration;
    if format == Format::Json {
        let value = serde_json::json!({
            "report": report,
            "top_10_order_value_ratio": c.top_10_order_value_ratio(),
            "top_1_order_value_ratio": c.top_1_order_value_ratio(),
        });
        return Ok(output::json(out, &value)?);
    }
    let currency = source.currency();
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    // A counts-only store has no money: its columns stay empty rather than read 0.
    let money = rfm.monetary != Monetary::None;
    let line = |label: &str, g: &Group| {
        let or_blank = |text: String| if money { text } else { String::new() };
        vec![
            label.to_string(),
            g.customers.to_string(),
            pct(g.customer_share),
            or_blank(currency.format(g.revenue)),
            or_blank(pct(g.revenue_share)),
            or_blank(currency.format(g.average_order_value.round() as i64)),
            format!("{:.0}", g.average_recency),
            format!("{:.2}", g.average_frequency),
        ]
    };
    let headers =
        ["segment", "customers", "share", "revenue", "revenue share", "avg order", "avg recency", "avg orders"];
    let mut t = Table::new(&headers).numeric(&[1, 2, 3, 4, 5, 6, 7]);
    for s in &report.segments {
        t.push(line(&s.segment, &s.group));
    }
    t.push(line("all customers", &report.total));
    if format == Format::Table {
        writeln!(out, "RFM segments as of {} ({} bins)\n", report.as_of, rfm.bins)?;
    }
    t.write(out, format)?;
    if format == Format::Csv {
        return Ok(());
    }
    if !money {
        writeln!(out, "\nNo spend concentration: the store holds purchase counts only (no amounts).")?;
        return Ok(());
    }
    writeln!(out, "\nSpend concentration (customers ranked by net spend)\n")?;
    let mut t = Table::new(&headers).numeric(&[1, 2, 3, 4, 5, 6, 7]);
    t.push(line("top 1%", &c.top_1));
    t.push(line("other 99%", &c.rest_99));
    t.push(line("top 10%", &c.top_10));
    t.push(line("other 90%", &c.rest_90));
    t.write(out, format)?;
    writeln!(
        out,
        "\nThe top 10% spend {:.2}x as much per order as the other 90%; the top 1% {:.2}x as much as the other 99%.",
        c.top_10_order_value_ratio(),
        c.top_1_order_value_ratio()
    )?;
    Ok(())
}

fn clusters(a: &ClustersArgs, format: Format, out: &mut impl Write) -> Result<(), Failure> {
    let k = a.k()?;
    let (source, rfm, _) = score(&a.score)?;
    let fit = Clusters::fit(&rfm, k, a.seed)?;
    if format == Format::Json {
        let value = serde_json::json!({
            "as_of": rfm.as_of, "k": fit.k, "seed": a.seed, "silhouettes": fit.silhouettes,
            "iterations": fit.iterations, "converged": fit.converged, "clusters": fit.clusters,
        });
        return Ok(output::json(out, &value)?);
    }
    let currency = source.currency();
    if format == Format::Table {
        writeln!(out, "k-means on log(1+R), log(1+F), log(1+M) as of {}, seed {}", rfm.as_of, a.seed)?;
        if let Some(tried) = &fit.silhouettes {
            let shown: Vec<String> = tried.iter().map(|(k, s)| format!("{k}: {s:.3}")).collect();
            writeln!(out, "k = {} by silhouette on a sample ({})", fit.k, shown.join(", "))?;
        }
        writeln!(out, "{} Lloyd iterations{}\n", fit.iterations, if fit.converged { "" } else { " (limit reached)" })?;
    }
    let n = rfm.scores.len().max(1) as f64;
    let mut t = Table::new(&[
        "cluster",
        "customers",
        "share",
        "centre recency",
        "centre orders",
        "centre monetary",
        "mean recency",
        "mean orders",
        "mean monetary",
    ])
    .numeric(&[0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (i, c) in fit.clusters.iter().enumerate() {
        t.push(vec![
            (i + 1).to_string(),
            c.customers.to_string(),
            format!("{:.1}%", 100.0 * c.customers as f64 / n),
            format!("{:.0}", c.centre[0]),
            format!("{:.1}", c.centre[1]),
            currency.format(c.centre[2].round() as i64),
            format!("{:.0}", c.mean[0]),
            format!("{:.1}", c.mean[1]),
            currency.format(c.mean[2].round() as i64),
        ]);
    }
    Ok(t.write(out, format)?)
}

/// The command line the user ran with one flag set to `value` (replaced if given, else added),
/// written so it can be pasted back.
fn command_with(flag: &str, value: &str) -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    match words.iter().position(|w| w == flag) {
        Some(i) if i + 1 < words.len() => words[i + 1] = value.to_string(),
        _ => match words.iter().position(|w| w.starts_with(&format!("{flag}="))) {
            Some(i) => words[i] = format!("{flag}={value}"),
            None => words.extend([flag.to_string(), value.to_string()]),
        },
    }
    let quoted: Vec<String> = words
        .iter()
        .map(|w| if w.is_empty() || w.contains(char::is_whitespace) { format!("'{w}'") } else { w.clone() })
        .collect();
    format!("retention {}", quoted.join(" "))
}

/// The exact command for a library's next step (flags are the CLI's business, not the library's).
pub(crate) fn next_step_command(step: &retention::clv::NextStep) -> String {
    use retention::clv::NextStep;
    match step {
        NextStep::OtherModel { model } => format!("{} (another model)", command_with("--model", model)),
        NextStep::Penalty { weight } => {
            format!(
                "{} (an L2 penalty pulls weak parameters towards 1)",
                command_with("--penalty", &weight.to_string())
            )
        }
        NextStep::LaterAsOf => {
            format!("{} (a later day: more purchases observed)", command_with("--as-of", "YYYY-MM-DD"))
        }
        NextStep::EarlierAsOf => {
            format!("{} (an earlier day keeps a holdout to check against)", command_with("--as-of", "YYYY-MM-DD"))
        }
        NextStep::FinerUnit => format!("{} (days tell purchases in one week apart)", command_with("--unit", "days")),
        _ => "see the error above".to_string(),
    }
}
