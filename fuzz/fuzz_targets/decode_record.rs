//! Decodes arbitrary bytes as a customer record, a customer block and an id bucket. Every decoder
//! must return an error instead of panicking, and what decodes must re-encode to the same bytes.
//! Run: `cargo +nightly fuzz run decode_record`; the corpus is replayed by `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retention::internals::fuzz_decoders(data);
});
