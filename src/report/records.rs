//! `statuslens records`: one normalized record (SPEC §3) as one JSON object per line.
//! Text fields are shown as logged (escapes kept) for text formats and JSON-decoded for JSON
//! formats; invalid UTF-8 becomes U+FFFD.

use serde::Serialize;

use crate::format::{Escape, Record};
use crate::route::Normalizer;

/// The JSON shape of a record.
#[derive(Debug, Serialize)]
pub struct RecordJson {
    /// RFC 3339 UTC.
    pub time: Option<String>,
    /// Method.
    pub method: Option<String>,
    /// Path as logged, query included.
    pub path: Option<String>,
    /// Route template.
    pub route: String,
    /// Status.
    pub status: Option<u16>,
    /// Upstream status.
    pub origin_status: Option<u16>,
    /// `app`, `gateway` or `unknown`.
    pub origin: &'static str,
    /// Bytes.
    pub bytes: Option<u64>,
    /// Duration in ms.
    pub duration_ms: Option<f64>,
    /// Client.
    pub client: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Credentials present.
    pub authenticated: Option<bool>,
    /// Error marker.
    pub error_marker: Option<String>,
    /// Host the request was for.
    pub host: Option<String>,
    /// Format-specific fields (ALB `error_reason`, CloudFront result types …).
    pub details: std::collections::BTreeMap<&'static str, String>,
    /// `file:line`.
    pub source: String,
    /// Format that parsed the line.
    pub format: String,
}

impl RecordJson {
    /// Build from a parsed record.
    pub fn new(rec: &Record<'_>, routes: &Normalizer, source: String, format: &str) -> RecordJson {
        let text = |v: Option<&[u8]>| {
            v.map(|b| {
                if matches!(rec.escape, Escape::Json | Escape::Url) {
                    String::from_utf8_lossy(&rec.decoded(b)).into_owned()
                } else {
                    String::from_utf8_lossy(b).into_owned()
                }
            })
        };
        let mut route = Vec::new();
        routes.record_route(rec, &mut route);
        let route = String::from_utf8_lossy(&route).into_owned();
        RecordJson {
            time: rec.time_ms.map(super::rfc3339),
            method: text(rec.method),
            // The path as logged; a query logged apart (CloudFront) is joined back on.
            path: rec.path.map(|p| match rec.query {
                Some(q) => format!(
                    "{}?{}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ),
                None => String::from_utf8_lossy(p).into_owned(),
            }),
            route,
            status: rec.status,
            origin_status: rec.origin_status,
            origin: rec.origin.as_str(),
            bytes: rec.bytes,
            duration_ms: rec.duration_us.map(|us| us as f64 / 1000.0),
            client: text(rec.client),
            user_agent: text(rec.user_agent),
            authenticated: rec.authenticated,
            error_marker: text(rec.error_marker),
            host: text(rec.host),
            details: rec
                .details
                .iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(v).into_owned()))
                .collect(),
            source,
            format: format.to_string(),
        }
    }
}
