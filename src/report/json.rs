//! `--format json`: the [`ReportModel`](super::ReportModel) as one pretty-printed JSON document;
//! the schema is documented on the `report` module.

use std::io::Write;

use super::{Render, ReportModel};

/// JSON renderer.
#[derive(Debug, Default)]
pub struct JsonRenderer;

impl Render for JsonRenderer {
    fn render(&self, model: &ReportModel, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, model)?;
        out.write_all(b"\n")
    }
}
