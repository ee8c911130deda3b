//! Integration tests of the library and the `retention` binary, one module per topic.

mod actions;
mod affinity;
mod bad_input;
mod cdnow;
mod cli;
mod clv;
mod clv_reference;
mod common;
mod concurrency;
mod crash;
mod degenerate;
mod event_log;
mod export;
mod fuzz_corpus;
mod ingest;
mod lake;
mod layers;
mod metrics;
mod platforms;

mod predictions;
mod real_data;
mod report;
mod rfm;
mod summary_files;
mod uncertainty;
