//! Replays the committed cargo-fuzz corpora through the same entry points as the fuzz targets, so
//! every CI run exercises them on stable Rust without the fuzzer.

use std::path::Path;

fn replay(target: &str, run: impl Fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        n += 1;
    }
    n
}

#[test]
fn decode_record_corpus() {
    let n = replay("decode_record", retention::internals::fuzz_decoders);
    assert!(n >= 8, "corpus has only {n} inputs");
}

#[test]
fn parse_csv_corpus() {
    let n = replay("parse_csv", retention::internals::fuzz_csv);
    assert!(n >= 8, "corpus has only {n} inputs");
}

#[test]
fn settings_files_corpus() {
    let n = replay("settings_files", retention::internals::fuzz_settings);
    assert!(n >= 6, "corpus has only {n} inputs");
}

/// The parser's bookkeeping holds on the seeds: good rows parse, bad rows are rejected, not lost.
#[test]
fn fuzz_parse_counts_rows() {
    use retention::Preset;
    let good = b"customer_id,order_id,timestamp,amount\na,1,2024-01-01,1.00\nb,2,2024-01-02,x\n";
    assert_eq!(retention::internals::parse_rows(Preset::Generic, good).unwrap(), 1);
    assert_eq!(retention::internals::parse_rows(Preset::Generic, b"").unwrap_err().kind(), retention::ErrorKind::Input);
    assert_eq!(retention::internals::parse_rows(Preset::Cdnow, b"00001 19970101 1 11.77\n").unwrap(), 1);
}
