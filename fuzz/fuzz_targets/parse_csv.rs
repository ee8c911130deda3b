//! Parses arbitrary bytes as an order file of every preset (generic CSV, CDNOW, line items), as an
//! ingest does but without a store. A parser must reject bad rows with an error, never panic.
//! Run: `cargo +nightly fuzz run parse_csv`; the corpus is replayed by `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retention::internals::fuzz_csv(data);
});
