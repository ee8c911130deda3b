//! Parses arbitrary text as an RFM rules file and as a loyalty programme (TOML). Bad files must be
//! errors with a line, never panics; a programme that parses must validate.
//! Run: `cargo +nightly fuzz run settings_files`; the corpus is replayed by `cargo test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retention::internals::fuzz_settings(data);
});
