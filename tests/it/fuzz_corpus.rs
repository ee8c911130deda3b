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
