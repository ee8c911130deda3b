//! The layering ARCHITECTURE.md states, checked on the source the way rust-analyzer's "tidy" tests
//! check the invariants of its architecture document: every `crate::` path in `src/` (tests and
//! comments left out) names a module of the same layer or a lower one, and no two top-level
//! modules import each other. A new upward import fails here with the file and the path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level modules from the ground up. A module may use its own layer and those below.
const LAYERS: &[(&str, u32)] = &[
    // Plain values and helpers every layer uses.
    ("error", 0),
    ("day", 0),
    ("money", 0),
    ("zone", 0),
    ("atomic", 0),
    ("toml_file", 0),
    ("random", 0),
    // Per-customer statistics: the types analyses read.
    ("summary", 1),
    // Bytes, keys, records, scans, transactions; knows no analysis.
    ("store", 2),
    // Rows in.
    ("ingest", 3),
    // Analyses.
    ("rfm", 4),
    ("clv", 4),
    ("metrics", 4),
    ("actions", 5),
    ("report", 6),
    // I/O adapters: Parquet lists and summary files.
    ("lake", 7),
    ("summary_file", 7),
    // Off to the side: the synthetic shop (demo, tests, benches) and the fuzz/bench entry points.
    ("generate", 8),
    ("internals", 9),
];

/// Upward imports that exist today, each with what removes it. The list only shrinks: an entry
/// that no longer occurs fails the test too, so it is taken off when fixed.
const KNOWN: &[(&str, &str, &str)] =
    &[("ingest", "lake", "Parquet input reads through lake's reader; the reader belongs below ingest")];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The code of a file without comments and without its `#[cfg(test)]` module (tests may reach
/// anywhere: a store test builds a shop with `generate`).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") && lines.peek().is_some_and(|n| n.trim_start().starts_with("mod ")) {
            // The test module runs to the end of the file by this crate's convention.
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" // ").next().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// What the crate root re-exports (`pub use module::{A, B}` in `lib.rs`): name → module, so
/// `crate::Error` counts as an import of `error`.
fn reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut map = BTreeMap::new();
    for statement in code(&lib).split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else { continue };
        let (module, rest) = path.split_once("::").unwrap_or((path, ""));
        let names = rest.trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let last = name.trim().rsplit("::").next().unwrap_or("").trim();
            if !last.is_empty() {
                map.insert(last.to_string(), module.trim().to_string());
            }
        }
    }
    map
}

/// The top-level modules a piece of code names through `crate::` (a re-exported name counts as
/// its module).
fn imports(code: &str) -> BTreeSet<String> {
    let roots = reexports();
    let found = paths(code);
    found.into_iter().map(|m| roots.get(&m).cloned().unwrap_or(m)).collect()
}

/// The first segments of the `crate::` paths in `code`.
fn paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (at, _) in code.match_indices("crate::") {
        // `retention::crate::` never occurs; `$crate::` (macros) is the same crate.
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d}`: the first segment of each item at the outer level.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module of a file under `src/` (`None` for the crate root and the binary).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "cli")).then(|| name.to_string())
}

/// Every (module, module it imports, file, path) in `src/`.
fn edges() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Some(from) = module_of(&src, &file) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for to in imports(&code(&text)) {
            if to != from {
                out.push((from.clone(), to, file.strip_prefix(&src).unwrap().display().to_string()));
            }
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    for file in files {
        if let Some(m) = module_of(&src, &file) {
            assert!(
                layer(&m).is_some(),
                "{}: module {m} has no layer in this test (and ARCHITECTURE.md)",
                file.display()
            );
        }
    }
}

#[test]
fn imports_only_go_down() {
    let mut upward = BTreeMap::<(String, String), Vec<String>>::new();
    for (from, to, file) in edges() {
        let (Some(a), Some(b)) = (layer(&from), layer(&to)) else {
            panic!("{file}: crate::{to} is not a module this test knows");
        };
        if b > a {
            upward.entry((from, to)).or_default().push(file);
        }
    }
    let mut unexpected = Vec::new();
    for ((from, to), files) in &upward {
        if !KNOWN.iter().any(|(f, t, _)| f == from && t == to) {
            unexpected.push(format!(
                "{from} (layer {}) imports {to} (layer {}) in {}",
                layer(from).unwrap(),
                layer(to).unwrap(),
                files.join(", ")
            ));
        }
    }
    assert!(unexpected.is_empty(), "imports against the layers:\n{}", unexpected.join("\n"));
    for (from, to, why) in KNOWN {
        assert!(
            upward.contains_key(&(from.to_string(), to.to_string())),
            "{from} → {to} is gone ({why}): take it off KNOWN"
        );
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let pairs: BTreeSet<(String, String)> = edges().into_iter().map(|(a, b, _)| (a, b)).collect();
    // A loop made by a known upward import is that import's debt, listed once in KNOWN.
    let known = |a: &str, b: &str| KNOWN.iter().any(|(f, t, _)| (*f == a && *t == b) || (*f == b && *t == a));
    let loops: Vec<_> =
        pairs.iter().filter(|(a, b)| a < b && pairs.contains(&(b.clone(), a.clone())) && !known(a, b)).collect();
    assert!(loops.is_empty(), "modules importing each other: {loops:?}");
}

/// The checker itself: a planted upward import is found, comments and tests are not read.
#[test]
fn the_checker_finds_a_planted_import() {
    let planted = "use crate::day::Day;\nuse crate::{error::Result, rfm::Rfm};\n// crate::clv in a comment\nfn f() { crate::metrics::x(); }\n#[cfg(test)]\nmod tests {\n    use crate::generate::Shop;\n}\n";
    let found = imports(&code(planted));
    assert_eq!(found, ["day", "error", "metrics", "rfm"].into_iter().map(String::from).collect());
    // As a store file, two of them go up.
    let up: Vec<_> = found.iter().filter(|m| layer(m) > layer("store")).collect();
    assert_eq!(up, ["metrics", "rfm"]);
}
