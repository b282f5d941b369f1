//! Integration tests: one binary, shared helpers in `util`.

mod cli;
mod corpus;
mod hosts;
mod logbuilder;
mod openapi;
mod partials;
mod properties;
mod reports;
mod route_table;
mod rules;
mod safety;
mod spark;
mod traffic;
mod util;
