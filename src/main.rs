//! The `retention` command line. All work happens in the library; see `cli` for the commands.

// As in the library: outside tests, failures are errors with a message and an exit code, never panics.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
