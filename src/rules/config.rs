//! Rule configuration: `statuslens.toml` (or `--config FILE`) and `--rule ID=LEVEL`.
//!
//! ```toml
//! ignore_routes = ["/health", "/internal/*"]   # never reported by any rule
//! routes = ["/api/users/{id}"]                 # route templates, like --route
//! openapi = "openapi.yaml"                     # like --openapi (relative to this file)
//!
//! [[routes]]                                   # or: a template with its declared methods
//! template = "/api/jobs/{id}"
//! methods = ["GET", "DELETE"]                  # optional: other methods are undeclared
//! responses = ["200", "404", "5XX"]            # optional: documented responses
//!
//! [fields]                                     # JSON key -> record field, like --json-field
//! "resp.code" = "status"
//!
//! [noise]
//! min_missed_endpoints = 10                    # a client is a scanner from this many
//! min_miss_share = 0.5                         # ... when misses are this share of its requests
//! max_repeats = 10                             # ... and it asked each missed endpoint at most this often
//!
//! [rules.generic-500]
//! severity = "error"                           # info | warning | error | off
//! ignore_routes = ["/batch/*"]
//! min_500 = 50                                 # any threshold the rule documents
//! ```
//!
//! Unknown keys, rule ids and thresholds are errors that name the key and suggest the closest
//! known one.

use std::collections::BTreeMap;

use super::{Severity, RULES};
use crate::route::openapi::Api;

/// A route glob: `*` matches any run of characters (slashes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePattern(String);

impl RoutePattern {
    /// A pattern.
    pub fn new(p: &str) -> RoutePattern {
        RoutePattern(p.to_string())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `route` matches.
    pub fn matches(&self, route: &str) -> bool {
        let mut parts = self.0.split('*');
        let first = parts.next().unwrap_or("");
        let Some(mut rest) = route.strip_prefix(first) else {
            return false;
        };
        let parts: Vec<&str> = parts.collect();
        let Some((last, middle)) = parts.split_last() else {
            return rest.is_empty();
        };
        for p in middle {
            match rest.find(p) {
                Some(i) => rest = &rest[i + p.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last)
    }
}

/// Settings of one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSettings {
    /// Whether it runs.
    pub enabled: bool,
    /// Severity override.
    pub severity: Option<Severity>,
    /// Every threshold of the rule with its value (defaults unless configured).
    pub thresholds: Vec<(&'static str, f64)>,
    /// Routes this rule does not report.
    pub ignore_routes: Vec<RoutePattern>,
}

impl RuleSettings {
    /// The value of threshold `t`: as configured, else its default. Rules name their thresholds
    /// by the constant they declare, so there is no name to mistype and nothing to panic on.
    pub fn get(&self, t: &super::Threshold) -> f64 {
        self.thresholds
            .iter()
            .find(|(n, _)| *n == t.name)
            .map_or(t.default, |(_, v)| *v)
    }
}

/// Scanner-noise classification settings.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseSettings {
    /// A client that collected misses (400/403/404/405/410/444) on at least this many distinct
    /// endpoints is a scanner.
    pub min_missed_endpoints: f64,
    /// ... and whose misses are at least this share of its requests (0..1; successes counted
    /// where an endpoint has few clients), so a proxy or a busy client is not a scanner.
    pub min_miss_share: f64,
    /// ... and who asked each missed endpoint at most this many times on average: a prober
    /// tries many paths once or twice; a browser re-requesting the same broken assets on every
    /// page view repeats them, and is a user meeting broken links, not noise.
    pub max_repeats: f64,
}

impl Default for NoiseSettings {
    fn default() -> Self {
        NoiseSettings {
            min_missed_endpoints: 10.0,
            min_miss_share: 0.5,
            max_repeats: 10.0,
        }
    }
}

/// The whole configuration of the rules.
#[derive(Clone, Debug, PartialEq)]
pub struct RulesConfig {
    /// Per rule id, every rule present.
    pub rules: BTreeMap<&'static str, RuleSettings>,
    /// Scanner classification.
    pub noise: NoiseSettings,
    /// Routes no rule reports.
    pub ignore_routes: Vec<RoutePattern>,
    /// `[fields]`: JSON key → record field mappings (`KEY=FIELD`, as `--json-field`).
    pub fields: Vec<String>,
    /// `routes`: route templates, as `--route` (strings and `[[routes]]` tables alike).
    pub routes: Vec<String>,
    /// `[[routes]]` tables with `methods`: what they declare.
    pub declared: Api,
    /// `openapi`: the OpenAPI document, as written in the file.
    pub openapi: Option<String>,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            rules: RULES
                .iter()
                .map(|r| {
                    let m = r.meta();
                    (
                        m.id,
                        RuleSettings {
                            enabled: true,
                            severity: None,
                            thresholds: m.thresholds.iter().map(|t| (t.name, t.default)).collect(),
                            ignore_routes: Vec::new(),
                        },
                    )
                })
                .collect(),
            noise: NoiseSettings::default(),
            ignore_routes: Vec::new(),
            fields: Vec::new(),
            routes: Vec::new(),
            declared: Api::default(),
            openapi: None,
        }
    }
}

/// " (did you mean `x`?)" when a known name is close to `got`.
pub fn suggest<'a>(got: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(got, k), k))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(String::new(), |(_, k)| format!(" (did you mean `{k}`?)"))
}

fn rule_ids() -> impl Iterator<Item = &'static str> {
    RULES.iter().map(|r| r.meta().id)
}

/// "unknown rule `X` (did you mean `Y`?); …": the message for an id no rule has.
pub fn unknown_rule(id: &str) -> String {
    format!(
        "unknown rule `{id}`{}; `statuslens rules` lists them",
        suggest(id, rule_ids())
    )
}

fn string_list(v: &toml::Value, key: &str) -> Result<Vec<String>, String> {
    let arr = v
        .as_array()
        .ok_or_else(|| format!("`{key}` must be a list of strings"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("`{key}` must be a list of strings"))
        })
        .collect()
}

fn number(v: &toml::Value, key: &str) -> Result<f64, String> {
    match v {
        toml::Value::Integer(i) => Ok(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Ok(*f),
        _ => Err(format!("`{key}` must be a number")),
    }
}

/// Parse a severity level, `off` included (`None` = off).
fn level(v: &str, key: &str) -> Result<Option<Severity>, String> {
    if v == "off" {
        return Ok(None);
    }
    Severity::parse(v).map(Some).ok_or_else(|| {
        format!(
            "`{key}`: `{v}` is not a level (off, info, warning, error){}",
            suggest(v, ["off", "info", "warning", "error"])
        )
    })
}

impl RulesConfig {
    /// Settings of rule `id` (every registered rule has some).
    pub fn settings(&self, id: &str) -> &RuleSettings {
        self.rules
            .get(id)
            .expect("the config holds every registered rule (built from RULES)")
    }

    /// Parse a `statuslens.toml` text.
    pub fn from_toml(text: &str) -> Result<RulesConfig, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            // toml's message spans lines (the source with a caret under it); keep one line
            // and name the place.
            let place = e.span().map_or(String::new(), |sp| {
                let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
                format!(" (line {line})")
            });
            format!("not valid TOML{place}: {}", e.message().trim())
        })?;
        let mut cfg = RulesConfig::default();
        for (key, v) in &table {
            match key.as_str() {
                "ignore_routes" => {
                    cfg.ignore_routes = string_list(v, key)?
                        .iter()
                        .map(|p| RoutePattern::new(p))
                        .collect();
                }
                "routes" => cfg.parse_routes(v)?,
                "openapi" => {
                    cfg.openapi = Some(
                        v.as_str()
                            .ok_or("`openapi` must be the path of an OpenAPI document")?
                            .to_string(),
                    );
                }
                "fields" => {
                    let t = v
                        .as_table()
                        .ok_or("`fields` must be a table of KEY = \"FIELD\"")?;
                    for (k, f) in t {
                        let f = f
                            .as_str()
                            .ok_or_else(|| format!("`fields.{k}` must be a field name string"))?;
                        cfg.fields.push(format!("{k}={f}"));
                    }
                }
                "noise" => {
                    let t = v.as_table().ok_or("`noise` must be a table")?;
                    for (k, x) in t {
                        match k.as_str() {
                            "min_missed_endpoints" => {
                                let n = number(x, "noise.min_missed_endpoints")?;
                                if n.is_nan() || n < 1.0 {
                                    return Err(format!("`noise.min_missed_endpoints` = {n}: give a count of at least 1"));
                                }
                                cfg.noise.min_missed_endpoints = n;
                            }
                            "min_miss_share" => {
                                let n = number(x, "noise.min_miss_share")?;
                                if !(0.0..=1.0).contains(&n) {
                                    return Err(format!("`noise.min_miss_share` = {n}: give a share between 0 and 1"));
                                }
                                cfg.noise.min_miss_share = n;
                            }
                            "max_repeats" => {
                                let n = number(x, "noise.max_repeats")?;
                                if n.is_nan() || n < 1.0 {
                                    return Err(format!(
                                        "`noise.max_repeats` = {n}: give a count of at least 1"
                                    ));
                                }
                                cfg.noise.max_repeats = n;
                            }
                            _ => {
                                return Err(format!(
                                    "unknown key `noise.{k}`{}",
                                    suggest(
                                        k,
                                        ["min_missed_endpoints", "min_miss_share", "max_repeats"]
                                    )
                                ))
                            }
                        }
                    }
                }
                "rules" => {
                    let t = v
                        .as_table()
                        .ok_or("`rules` must be a table of [rules.ID]")?;
                    for (id, body) in t {
                        cfg.apply_rule_table(id, body)?;
                    }
                }
                _ => {
                    return Err(format!(
                        "unknown key `{key}`{}",
                        suggest(
                            key,
                            [
                                "ignore_routes",
                                "routes",
                                "openapi",
                                "fields",
                                "noise",
                                "rules"
                            ]
                        )
                    ))
                }
            }
        }
        Ok(cfg)
    }

    /// `routes = ["/a/{id}"]` or `[[routes]]` tables (`template`, optional `methods` and
    /// `responses`); both forms may be mixed.
    fn parse_routes(&mut self, v: &toml::Value) -> Result<(), String> {
        let list = v
            .as_array()
            .ok_or("`routes` must be a list of templates or [[routes]] tables")?;
        for (i, entry) in list.iter().enumerate() {
            let at = format!("routes[{i}]");
            let t = match entry {
                toml::Value::String(t) => {
                    self.routes.push(t.clone());
                    continue;
                }
                toml::Value::Table(t) => t,
                _ => return Err(format!("`{at}` must be a template string or a table")),
            };
            let mut template = None;
            let mut methods = Vec::new();
            let mut responses = Vec::new();
            for (k, x) in t {
                let key = format!("{at}.{k}");
                match k.as_str() {
                    "template" => {
                        template = Some(
                            x.as_str()
                                .ok_or_else(|| format!("`{key}` must be a string"))?
                                .to_string(),
                        );
                    }
                    "methods" => methods = string_list(x, &key)?,
                    "responses" => {
                        let arr = x.as_array().ok_or_else(|| {
                            format!("`{key}` must be a list such as [\"200\", \"4XX\"]")
                        })?;
                        for r in arr {
                            responses.push(match r {
                                toml::Value::Integer(n) => n.to_string(),
                                toml::Value::String(s) => s.clone(),
                                _ => {
                                    return Err(format!(
                                        "`{key}` must be a list such as [\"200\", \"4XX\"]"
                                    ))
                                }
                            });
                        }
                    }
                    _ => {
                        return Err(format!(
                            "unknown key `{key}`{}",
                            suggest(k, ["template", "methods", "responses"])
                        ))
                    }
                }
            }
            let template = template.ok_or_else(|| format!("`{at}` has no `template`"))?;
            if methods.is_empty() && !responses.is_empty() {
                return Err(format!(
                    "`{at}`: `responses` are documented per method; give `methods` too"
                ));
            }
            self.declared
                .declare(&template, &methods, &responses)
                .map_err(|e| format!("`{at}`: {e}"))?;
            self.routes.push(template);
        }
        Ok(())
    }

    fn apply_rule_table(&mut self, id: &str, body: &toml::Value) -> Result<(), String> {
        let meta = super::find(id).ok_or_else(|| unknown_rule(id))?.meta();
        let t = body
            .as_table()
            .ok_or_else(|| format!("`rules.{id}` must be a table"))?;
        let s = self
            .rules
            .get_mut(meta.id)
            .expect("the config holds every registered rule (built from RULES)");
        for (k, v) in t {
            let key = format!("rules.{id}.{k}");
            match k.as_str() {
                "severity" => {
                    let text = v
                        .as_str()
                        .ok_or_else(|| format!("`{key}` must be a string"))?;
                    match level(text, &key)? {
                        None => s.enabled = false,
                        Some(sev) => {
                            s.enabled = true;
                            s.severity = Some(sev);
                        }
                    }
                }
                "ignore_routes" => {
                    s.ignore_routes = string_list(v, &key)?
                        .iter()
                        .map(|p| RoutePattern::new(p))
                        .collect();
                }
                name => {
                    let slot = s.thresholds.iter_mut().find(|(n, _)| *n == name);
                    let Some(slot) = slot else {
                        let known = meta
                            .thresholds
                            .iter()
                            .map(|t| t.name)
                            .chain(["severity", "ignore_routes"]);
                        return Err(format!(
                            "unknown key `{key}`{}; `statuslens rules {id}` lists its thresholds",
                            suggest(name, known)
                        ));
                    };
                    let t = meta
                        .thresholds
                        .iter()
                        .find(|t| t.name == name)
                        .expect("a slot exists for every declared threshold");
                    slot.1 = in_range(t, number(v, &key)?, &key)?;
                }
            }
        }
        Ok(())
    }

    /// Apply a `--rule ID=off|info|warning|error` flag.
    pub fn apply_flag(&mut self, flag: &str) -> Result<(), String> {
        let (id, lvl) = flag
            .split_once('=')
            .ok_or_else(|| format!("--rule `{flag}`: expected ID=off|info|warning|error"))?;
        let meta = super::find(id)
            .ok_or_else(|| format!("--rule: {}", unknown_rule(id)))?
            .meta();
        let s = self
            .rules
            .get_mut(meta.id)
            .expect("the config holds every registered rule (built from RULES)");
        match level(lvl, &format!("--rule {id}"))? {
            None => s.enabled = false,
            Some(sev) => {
                s.enabled = true;
                s.severity = Some(sev);
            }
        }
        Ok(())
    }

    /// Set a threshold (tests and programmatic use).
    pub fn set(&mut self, id: &str, name: &str, value: f64) -> Result<(), String> {
        let mut t = toml::Table::new();
        t.insert(name.to_string(), toml::Value::Float(value));
        self.apply_rule_table(id, &toml::Value::Table(t))
    }
}

/// A threshold's value checked against what it means: a share (its doc says `0..1`) lies in
/// 0..1, a count (its doc says "fewest") is at least 1, anything else is a finite number ≥ 0.
fn in_range(t: &super::Threshold, v: f64, key: &str) -> Result<f64, String> {
    let ok = if t.doc.contains("0..1") {
        (0.0..=1.0).contains(&v)
    } else if t.doc.starts_with("fewest") {
        v >= 1.0 && v.is_finite()
    } else {
        v >= 0.0 && v.is_finite()
    };
    if ok {
        return Ok(v);
    }
    let want = if t.doc.contains("0..1") {
        "a share between 0 and 1"
    } else if t.doc.starts_with("fewest") {
        "a count of at least 1"
    } else {
        "a number of at least 0"
    };
    Err(format!("`{key}` = {v}: give {want} ({})", t.doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns() {
        let p = RoutePattern::new("/internal/*");
        assert!(p.matches("/internal/x/y"));
        assert!(!p.matches("/api/internal/x"));
        assert!(RoutePattern::new("/health").matches("/health"));
        assert!(!RoutePattern::new("/health").matches("/healthz"));
        assert!(RoutePattern::new("*/{id}").matches("/users/{id}"));
        assert!(RoutePattern::new("/a/*/c").matches("/a/b/c"));
        assert!(!RoutePattern::new("/a/*/c").matches("/a/b/d"));
    }

    #[test]
    fn parses_a_full_config() {
        let cfg = RulesConfig::from_toml(
            r#"
            ignore_routes = ["/health"]
            routes = ["/api/users/{id}"]
            [fields]
            "resp.code" = "status"
            [noise]
            min_missed_endpoints = 5
            [rules.generic-500]
            severity = "error"
            min_500 = 50
            ignore_routes = ["/batch/*"]
            [rules.slow-sync]
            severity = "off"
            "#,
        )
        .expect("valid");
        let g = cfg.settings("generic-500");
        assert_eq!(g.severity, Some(Severity::Error));
        let probe = |name| super::super::Threshold {
            name,
            default: -1.0,
            doc: "",
        };
        assert_eq!(g.get(&probe("min_500")), 50.0, "configured");
        assert_eq!(g.get(&probe("dominance")), 0.8, "the rule's default");
        assert_eq!(
            g.get(&probe("no_such")),
            -1.0,
            "an undeclared name falls back, never panics"
        );
        assert!(g.ignore_routes[0].matches("/batch/7"));
        assert!(!cfg.settings("slow-sync").enabled);
        assert_eq!(cfg.fields, ["resp.code=status"]);
        assert_eq!(cfg.routes, ["/api/users/{id}"]);
        assert_eq!(cfg.noise.min_missed_endpoints, 5.0);
    }

    #[test]
    fn routes_as_strings_and_tables() {
        let cfg = RulesConfig::from_toml(
            r#"
            openapi = "spec/openapi.yaml"
            routes = ["/a/{id}", { template = "/b/{id}", methods = ["get", "DELETE"] }]
            [[more]]
            "#,
        )
        .expect_err("unknown [[more]]");
        assert!(cfg.contains("unknown key `more`"), "{cfg}");
        let cfg = RulesConfig::from_toml(
            r#"
            openapi = "spec/openapi.yaml"
            [[routes]]
            template = "/jobs/{id}"
            methods = ["GET", "DELETE"]
            responses = [200, "404", "5XX"]
            [[routes]]
            template = "/jobs"
            "#,
        )
        .expect("valid");
        assert_eq!(cfg.routes, ["/jobs/{id}", "/jobs"]);
        assert_eq!(cfg.openapi.as_deref(), Some("spec/openapi.yaml"));
        use crate::route::openapi::MethodStatus;
        assert_eq!(
            cfg.declared.method_status("POST", "/jobs/{id}"),
            MethodStatus::Undeclared(vec!["DELETE", "GET"])
        );
        assert!(matches!(
            cfg.declared.method_status("GET", "/jobs/{id}"),
            MethodStatus::Declared(r) if r.documents(503) && !r.documents(400)
        ));
        assert_eq!(
            cfg.declared.method_status("GET", "/jobs"),
            MethodStatus::UnknownRoute,
            "a table without methods is a template only"
        );
        for (text, want) in [
            (
                "[[routes]]\nmethods = [\"GET\"]",
                "`routes[0]` has no `template`",
            ),
            (
                "[[routes]]\ntemplate = \"/a\"\nmethod = []",
                "did you mean `methods`",
            ),
            (
                "[[routes]]\ntemplate = \"a\"",
                "`routes[0]`: `a`: a template starts with `/`",
            ),
            (
                "[[routes]]\ntemplate = \"/a\"\nresponses = [200]",
                "give `methods` too",
            ),
            (
                "[[routes]]\ntemplate = \"/a\"\nmethods = [\"GET\"]\nresponses = [\"2YY\"]",
                "`2YY` is not a response key",
            ),
            (
                "routes = [1]",
                "`routes[0]` must be a template string or a table",
            ),
            ("openapi = 1", "`openapi` must be the path"),
        ] {
            let e = RulesConfig::from_toml(text).expect_err(text);
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn unknown_keys_name_the_key_and_suggest() {
        let e = RulesConfig::from_toml("[rules.generic-50]\nmin_500 = 1").expect_err("bad id");
        assert!(
            e.contains("`generic-50`") && e.contains("did you mean `generic-500`"),
            "{e}"
        );
        let e = RulesConfig::from_toml("[rules.generic-500]\nmin_50 = 1").expect_err("bad key");
        assert!(
            e.contains("rules.generic-500.min_50") && e.contains("`min_500`"),
            "{e}"
        );
        let e = RulesConfig::from_toml("ignore_route = []").expect_err("bad top key");
        assert!(e.contains("did you mean `ignore_routes`"), "{e}");
        let e = RulesConfig::from_toml("[rules.slow-sync]\nseverity = \"warn\"").expect_err("lvl");
        assert!(e.contains("did you mean `warning`"), "{e}");
        let e = RulesConfig::from_toml("x = ").expect_err("toml");
        assert!(e.starts_with("not valid TOML"), "{e}");
    }

    #[test]
    fn every_threshold_is_in_the_config_schema() {
        for r in RULES {
            let m = r.meta();
            for t in m.thresholds {
                // A value in its range is taken; one outside it is an error naming the key.
                let valid = if t.doc.contains("0..1") { 0.5 } else { 12345.0 };
                let text = format!("[rules.{}]\n{} = {valid}\n", m.id, t.name);
                let cfg = RulesConfig::from_toml(&text)
                    .unwrap_or_else(|e| panic!("{}.{}: {e}", m.id, t.name));
                assert_eq!(cfg.settings(m.id).get(t), valid, "{}.{}", m.id, t.name);
                let text = format!("[rules.{}]\n{} = -1\n", m.id, t.name);
                let err = RulesConfig::from_toml(&text).expect_err("-1 is out of every range");
                assert!(err.contains(t.name) && !err.contains('\n'), "{err}");
                assert!(
                    in_range(t, t.default, t.name).is_ok(),
                    "{}.{} default",
                    m.id,
                    t.name
                );
                assert_eq!(
                    RulesConfig::default().settings(m.id).get(t),
                    t.default,
                    "{}.{} defaults",
                    m.id,
                    t.name
                );
            }
            let off = RulesConfig::from_toml(&format!("[rules.{}]\nseverity = \"off\"", m.id))
                .expect("severity is a key of every rule");
            assert!(!off.settings(m.id).enabled);
        }
    }

    #[test]
    fn rule_flags() {
        let mut cfg = RulesConfig::default();
        cfg.apply_flag("empty-200=off").expect("valid");
        cfg.apply_flag("anon-403=error").expect("valid");
        assert!(!cfg.settings("empty-200").enabled);
        assert_eq!(cfg.settings("anon-403").severity, Some(Severity::Error));
        let e = cfg.apply_flag("anon-430=error").expect_err("bad id");
        assert!(e.contains("did you mean `anon-403`"), "{e}");
        assert!(cfg.apply_flag("anon-403").is_err());
    }
}
