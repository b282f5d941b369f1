//! statuslens: reads HTTP access logs, aggregates status codes and latency per endpoint, and
//! reports where an API's status codes are imprecise.
//!
//! Data flows one way: [`input`] → [`format`] → [`route`] → [`aggregate`] → [`rules`] →
//! [`report`];
//! [`pipeline`] wires the steps together over all cores.

pub mod aggregate;
pub mod analysis;
pub mod check;
pub mod codes;
pub mod error;
pub mod escape;
pub mod format;
pub mod input;
pub mod pipeline;
pub mod report;
pub mod route;
pub mod rules;

pub use error::Error;
