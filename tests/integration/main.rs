//! Integration tests: one binary, shared helpers in `util`.

mod cli;
mod corpus;
mod properties;
mod util;
