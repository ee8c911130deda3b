//! The `retention` command line. All work happens in the library; see `cli` for the commands.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
