//! Integration tests of the library and the `retention` binary, one module per topic.

mod cdnow;
mod common;
