//! The layering ARCHITECTURE.md states, checked on the source the way rust-analyzer's "tidy" tests
//! check the invariants of its architecture document: every `crate::` path in `src/` (tests and
//! comments left out) names a module of the same layer or a lower one; no module imports itself
//! through others, between top-level modules or between the files of one (`clv/`); and library
//! code names no command-line flag and no exit status (those belong to `src/cli/`). A new upward
//! import fails here with the file and the path.

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
    ("options", 0),
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
const KNOWN: &[(&str, &str, &str)] = &[];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The code of a file without comments and without its `#[cfg(test)]` modules (tests may reach
/// anywhere: a store test builds a shop with `generate`): a braced test module is skipped to its
/// closing brace, a test module in its own file (`#[cfg(test)] mod traps;`) is one line.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") && lines.peek().is_some_and(|n| n.trim_start().starts_with("mod ")) {
            let module = lines.next().unwrap_or_default();
            if module.trim_end().ends_with(';') {
                continue;
            }
            let mut depth = module.matches('{').count() as i64 - module.matches('}').count() as i64;
            while depth > 0 {
                let Some(inner) = lines.next() else { break };
                depth += inner.matches('{').count() as i64 - inner.matches('}').count() as i64;
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" // ").next().unwrap_or(line));
        out.push('\n');
    }
    out
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
    top_level_edges(&FileGraph { code: file_modules() })
}

/// The imports between top-level modules in a file graph, each with the file (module path) that
/// makes it: `crate::` and `super::` paths alike, crate-root re-exports resolved.
fn top_level_edges(graph: &FileGraph) -> Vec<(String, String, String)> {
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    let mut out = Vec::new();
    for (module, targets) in graph.edges() {
        if module.is_empty() {
            continue; // the crate root re-exports everything; it is no module's dependency
        }
        for target in targets {
            if !target.is_empty() && top(&target) != top(&module) {
                out.push((top(&module), top(&target), module.clone()));
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
    let planted = "use crate::day::Day;\nuse crate::{error::Result, rfm::Rfm};\n// crate::clv in a comment\nfn f() { crate::metrics::x(); super::super::summary::y(); crate::Store::open(); }\n#[cfg(test)]\nmod tests {\n    use crate::generate::Shop;\n}\n";
    let code: BTreeMap<String, String> = [
        ("store::planted", planted),
        ("store", ""),
        ("day", ""),
        ("error", ""),
        ("rfm", ""),
        ("metrics", ""),
        ("summary", ""),
        ("generate", ""),
        ("clv", ""),
        ("", "pub use store::Store;\n"),
    ]
    .into_iter()
    .map(|(m, c)| (m.to_string(), self::code(c)))
    .collect();
    let found: BTreeSet<String> = top_level_edges(&FileGraph { code }).into_iter().map(|(_, to, _)| to).collect();
    // `super::super::` from store/planted.rs is the crate root; `crate::Store` is store itself.
    assert_eq!(found, ["day", "error", "metrics", "rfm", "summary"].into_iter().map(String::from).collect());
    // As a store file, two of them go up.
    let up: Vec<_> = found.iter().filter(|m| layer(m) > layer("store")).collect();
    assert_eq!(up, ["metrics", "rfm"]);
}

/// Every file of `src/` outside the binary as a module path (`clv::bg`; `clv` for `clv/mod.rs`)
/// with its code.
fn file_modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        if module_of(&src, &file).is_none() {
            continue;
        }
        let rel = file.strip_prefix(&src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        out.insert(parts.join("::"), code(&std::fs::read_to_string(&file).unwrap()));
    }
    // The crate root, whose `pub use` lines make `crate::Error` a path into `error.rs`.
    out.insert(String::new(), code(&std::fs::read_to_string(src.join("lib.rs")).unwrap()));
    out
}

/// The paths of a use tree at the start of `text` (`a::b::{c, d::{e, f}}` gives `a::b::c`,
/// `a::b::d::e`, `a::b::d::f`), each as its segments; an alias (`x as y`) keeps the path.
fn use_tree(text: &str) -> Vec<Vec<String>> {
    fn tree(s: &[u8], at: &mut usize) -> Vec<Vec<String>> {
        let mut prefix = Vec::new();
        loop {
            while *at < s.len() && s[*at].is_ascii_whitespace() {
                *at += 1;
            }
            if *at < s.len() && s[*at] == b'{' {
                *at += 1;
                let mut out = Vec::new();
                loop {
                    for mut path in tree(s, at) {
                        let mut full = prefix.clone();
                        full.append(&mut path);
                        out.push(full);
                    }
                    while *at < s.len() && s[*at] != b',' && s[*at] != b'}' {
                        *at += 1; // ` as alias`
                    }
                    if *at >= s.len() || s[*at] == b'}' {
                        *at += 1;
                        return out;
                    }
                    *at += 1;
                }
            }
            let start = *at;
            while *at < s.len() && (s[*at].is_ascii_alphanumeric() || s[*at] == b'_') {
                *at += 1;
            }
            if *at == start {
                return if prefix.is_empty() { Vec::new() } else { vec![prefix] };
            }
            prefix.push(String::from_utf8_lossy(&s[start..*at]).into_owned());
            if s[*at..].starts_with(b"::") {
                *at += 2;
            } else {
                return vec![prefix];
            }
        }
    }
    tree(text.as_bytes(), &mut 0)
}

/// The module files a module's code depends on: every `crate::` and `super::` path, resolved to
/// the file that defines the item (through `pub use` re-exports, so `crate::clv::BgNbd` is
/// `clv::bg`).
struct FileGraph {
    code: BTreeMap<String, String>,
}

impl FileGraph {
    /// Absolute paths named in `module`'s code.
    fn named(&self, module: &str, code: &str) -> Vec<Vec<String>> {
        let bytes = code.as_bytes();
        let mut out = Vec::new();
        for start in (0..bytes.len()).filter(|&i| code.is_char_boundary(i)) {
            let rest = &code[start..];
            let relative = if rest.starts_with("crate::") {
                false
            } else if rest.starts_with("super::") {
                true
            } else {
                continue;
            };
            if start > 0
                && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_' || bytes[start - 1] == b':')
            {
                continue; // part of a longer path (`super::super::`, `a::crate`)
            }
            let base: Vec<String> = if relative { module.split("::").map(String::from).collect() } else { Vec::new() };
            // `mod.rs` is its directory: `super` of `clv` (in clv/mod.rs) is the crate root, of
            // `clv::bg` it is `clv`.
            for path in use_tree(if relative { rest } else { &rest["crate::".len()..] }) {
                let mut segments = path.as_slice();
                let mut here = base.clone();
                while let Some((first, tail)) = segments.split_first() {
                    if first == "super" {
                        here.pop();
                        segments = tail;
                    } else {
                        break;
                    }
                }
                here.extend(segments.iter().cloned());
                out.push(here);
            }
        }
        out
    }

    /// Names a module re-exports (`pub use` / `pub(crate) use`), each with the file defining it.
    fn reexports(&self, module: &str, depth: u32) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(code) = self.code.get(module) else { return out };
        for statement in code.split(';') {
            let t = statement.trim_start();
            let Some(tree) = t.strip_prefix("pub use ").or_else(|| t.strip_prefix("pub(crate) use ")) else { continue };
            for path in use_tree(tree) {
                let Some(name) = path.last().cloned() else { continue };
                // The crate root is the module "" (lib.rs).
                let here = || module.split("::").filter(|m| !m.is_empty()).map(String::from);
                let absolute: Vec<String> = match path[0].as_str() {
                    "crate" => path[1..].to_vec(),
                    "self" => here().chain(path[1..].iter().cloned()).collect(),
                    _ => here().chain(path.iter().cloned()).collect(),
                };
                if let Some(target) = self.resolve(&absolute, depth + 1) {
                    out.insert(name, target);
                }
            }
        }
        out
    }

    /// The file defining what an absolute path names.
    fn resolve(&self, segments: &[String], depth: u32) -> Option<String> {
        let mut current: Option<String> = None;
        for segment in segments {
            let next = match &current {
                None => segment.clone(),
                Some(c) => format!("{c}::{segment}"),
            };
            if self.code.contains_key(&next) {
                current = Some(next);
                continue;
            }
            // A name the module (or, first, the crate root) re-exports is the file defining it.
            let module = current.as_deref().unwrap_or("");
            if depth < 4
                && let Some(target) = self.reexports(module, depth).get(segment)
            {
                return Some(target.clone());
            }
            break;
        }
        current
    }

    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for (module, code) in &self.code {
            let targets: BTreeSet<String> = self
                .named(module, code)
                .iter()
                .filter_map(|path| self.resolve(path, 0))
                .filter(|target| target != module)
                .collect();
            out.insert(module.clone(), targets);
        }
        out
    }
}

/// Groups of modules that reach each other through imports (Tarjan's strongly connected
/// components of more than one module).
fn loops(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for u in w.edges.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(u) = w.stack.pop() {
                group.push(u.to_string());
                if u == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.found.push(group);
            }
        }
    }
    let mut w = Walk { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in edges.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

/// No import loop at any depth: between files inside a module (`clv/bg.rs` and `clv/model.rs`)
/// as well as between modules. Known upward imports are left out (they are listed once above).
#[test]
fn no_file_imports_itself_through_others() {
    let graph = FileGraph { code: file_modules() };
    let mut edges = graph.edges();
    let top = |m: &str| m.split("::").next().unwrap_or(m).to_string();
    for (module, targets) in edges.iter_mut() {
        targets.retain(|t| !KNOWN.iter().any(|(f, to, _)| *f == top(module) && *to == top(t)));
    }
    let found = loops(&edges);
    let shown: Vec<String> = found
        .iter()
        .map(|group| {
            let inside = |m: &String| group.contains(m);
            let arrows: Vec<String> = group
                .iter()
                .map(|m| {
                    format!("{m} → {}", edges[m].iter().filter(|t| inside(t)).cloned().collect::<Vec<_>>().join(", "))
                })
                .collect();
            arrows.join("; ")
        })
        .collect();
    assert!(found.is_empty(), "import loops:\n{}", shown.join("\n"));
}

/// The loop finder finds a planted loop through a re-export and a `super::` path.
#[test]
fn the_loop_finder_finds_a_planted_loop() {
    let code: BTreeMap<String, String> = [
        ("clv", "pub use bg::BgNbd;\npub use model::CountModel;\n"),
        ("clv::bg", "use crate::clv::CountModel;\npub struct BgNbd;\n"),
        ("clv::model", "use super::{data::Cell, BgNbd};\npub enum CountModel {}\n"),
        ("clv::data", "use crate::Error;\n"),
        ("error", ""),
        ("", "pub use error::Error;\n#[cfg(test)]\nmod tests;\npub use clv::CountModel;\n"),
    ]
    .into_iter()
    .map(|(m, c)| (m.to_string(), c.to_string()))
    .collect();
    let graph = FileGraph { code };
    let edges = graph.edges();
    assert_eq!(edges["clv::model"], ["clv::bg", "clv::data"].into_iter().map(String::from).collect());
    // A crate-root re-export resolves to the file behind it, past a one-line test module.
    assert_eq!(edges["clv::data"], ["error"].into_iter().map(String::from).collect());
    assert!(self::code("#[cfg(test)]\nmod traps;\npub use bg::BgNbd;\n").contains("pub use bg::BgNbd"));
    assert_eq!(loops(&edges), vec![vec!["clv::bg".to_string(), "clv::model".to_string()]]);
}

/// The lines of `code` that name a command-line flag (`"--horizon"`) or an exit status.
fn command_line_terms(code: &str) -> Vec<String> {
    code.lines()
        .filter(|line| {
            let flag = line.match_indices("--").any(|(i, _)| {
                line[i + 2..].chars().next().is_some_and(|c| c.is_ascii_lowercase()) && !line[..i].ends_with('-')
            });
            flag || line.contains("exit_code") || line.contains("ExitCode") || line.contains("process::exit")
        })
        .map(|line| line.trim().to_string())
        .collect()
}

/// Library code speaks library terms: no string names a command-line flag (`--horizon`) and no
/// code deals in exit statuses. Doc comments may describe the command line; code may not.
#[test]
fn library_code_names_no_flags_or_exit_codes() {
    let found: Vec<String> = file_modules()
        .iter()
        .flat_map(|(module, code)| command_line_terms(code).into_iter().map(move |l| format!("{module}: {l}")))
        .collect();
    assert!(found.is_empty(), "command-line terms in library code:\n{}", found.join("\n"));
    let planted = "/// `--format json` in a doc comment is fine\nlet e = Error::invalid(\"--top\", v, r);\n// ---- a rule\nfn exit_code() {}\n";
    assert_eq!(command_line_terms(&code(planted)), ["let e = Error::invalid(\"--top\", v, r);", "fn exit_code() {}"]);
}
