//! What an API declares about itself: routes, their methods and their documented responses,
//! from an OpenAPI document (`--openapi FILE`: OpenAPI 3.0/3.1 or Swagger 2.0, JSON or YAML)
//! and from `[[routes]]` entries with `methods` in `statuslens.toml`.
//!
//! The document is read once, before any log: its `paths` (under each server base path —
//! `servers[].url` in OpenAPI 3, `basePath` in Swagger 2) become route templates matched by the
//! segment trie of [`super::template`], and each operation keeps its documented response keys
//! (`200`, `4XX`, `default`). Only what statuslens uses is read; everything else in the document
//! (schemas, parameters, security) is ignored. Errors name the file and the place in it: the
//! line and column where the JSON or YAML parser gives them, else the path of keys.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::template::{shape, validate};

/// Largest document read (memory stays bounded whatever file is given).
pub const MAX_SPEC_BYTES: u64 = crate::input::MAX_SETTINGS_BYTES;

/// The methods an OpenAPI path item can declare, as logged.
const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

/// The responses an operation documents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Responses {
    /// Exact codes (`200`).
    pub codes: BTreeSet<u16>,
    /// Whole classes (`4XX` → 4).
    pub classes: BTreeSet<u16>,
    /// A `default` response (documents every other code).
    pub default: bool,
}

impl Responses {
    /// Add a response key: a code (`200`), a class (`4XX`, `4xx`) or `default`.
    pub fn add_key(&mut self, key: &str) -> Result<(), String> {
        let k = key.trim();
        if k == "default" {
            self.default = true;
            return Ok(());
        }
        let b = k.as_bytes();
        if b.len() == 3 && (b'1'..=b'5').contains(&b[0]) {
            if b[1..].eq_ignore_ascii_case(b"XX") {
                self.classes.insert(u16::from(b[0] - b'0'));
                return Ok(());
            }
            if let Ok(c) = k.parse::<u16>() {
                self.codes.insert(c);
                return Ok(());
            }
        }
        Err(format!(
            "`{key}` is not a response key (a code such as 200, a range such as 4XX, or default)"
        ))
    }

    /// Whether nothing is documented (the operation is not checked).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.classes.is_empty() && !self.default
    }

    /// Whether `code` is documented: listed, in a listed class, or covered by `default`.
    pub fn documents(&self, code: u16) -> bool {
        self.default || self.codes.contains(&code) || self.classes.contains(&(code / 100))
    }

    /// `200, 201, 4XX, default`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.codes.iter().map(u16::to_string).collect();
        parts.extend(self.classes.iter().map(|c| format!("{c}XX")));
        if self.default {
            parts.push("default".to_string());
        }
        parts.join(", ")
    }
}

/// One declared operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Upper-case method.
    pub method: String,
    /// Documented responses (empty: not declared).
    pub responses: Responses,
}

/// A declared route and its operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeclaredRoute {
    /// The template as first declared.
    pub template: String,
    /// Operations, by method.
    pub operations: BTreeMap<String, Responses>,
    /// Whether the OpenAPI document declares it (else a `[[routes]]` entry).
    pub from_spec: bool,
}

/// What a request's method is on a declared route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodStatus<'a> {
    /// The route is not declared (or declares no methods).
    UnknownRoute,
    /// Declared; these are its documented responses (HEAD falls back to GET's).
    Declared(&'a Responses),
    /// Not declared but allowed by HTTP wherever the route exists (OPTIONS).
    Implicit,
    /// Not declared: the methods that are, for an `Allow` header.
    Undeclared(Vec<&'a str>),
}

/// Everything declared: the OpenAPI document's operations and the config's `[[routes]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Api {
    /// The OpenAPI document, as given (`--openapi`), when there is one.
    pub spec: Option<String>,
    /// By [`shape`]: `/users/{id}` from `--route` finds the declaration of `/users/{userId}`.
    routes: BTreeMap<String, DeclaredRoute>,
    /// Spec templates in path order, each once.
    spec_order: Vec<String>,
}

impl Api {
    /// Read an OpenAPI document. Errors name `path` and the place in the document.
    pub fn load(path: &std::path::Path) -> Result<Api, String> {
        let name = path.display().to_string();
        let text = crate::input::read_settings(path, "--openapi")
            .map_err(|e| e.trim_start_matches("--openapi ").to_string())?;
        let text = String::from_utf8(text).map_err(|e| {
            format!(
                "{name}: not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        let mut api = Api::parse(&text).map_err(|e| format!("{name}: {e}"))?;
        api.spec = Some(name);
        Ok(api)
    }

    /// Parse an OpenAPI document (JSON when it starts with `{`, else YAML).
    pub fn parse(text: &str) -> Result<Api, String> {
        let doc = parse_document(text)?;
        let mut api = Api::default();
        api.add_document(&doc)?;
        Ok(api)
    }

    /// Declare `template` with `methods` (upper-case) and documented `responses` keys, as a
    /// `[[routes]]` entry does. Errors name what is wrong.
    pub fn declare(
        &mut self,
        template: &str,
        methods: &[String],
        responses: &[String],
    ) -> Result<(), String> {
        validate(template)?;
        let mut docs = Responses::default();
        for r in responses {
            docs.add_key(r)?;
        }
        let route = self.entry(template);
        for m in methods {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("`{m}` is not an HTTP method"));
            }
            route
                .operations
                .insert(m.to_ascii_uppercase(), docs.clone());
        }
        Ok(())
    }

    /// Add what `other` declares (its operations win on the same route and method).
    pub fn extend(&mut self, other: &Api) {
        for r in other.routes.values() {
            let route = self.entry(&r.template);
            route.operations.extend(
                r.operations
                    .iter()
                    .map(|(m, resp)| (m.clone(), resp.clone())),
            );
        }
    }

    fn entry(&mut self, template: &str) -> &mut DeclaredRoute {
        self.routes
            .entry(shape(template))
            .or_insert_with(|| DeclaredRoute {
                template: template.to_string(),
                ..DeclaredRoute::default()
            })
    }

    /// Whether anything is declared.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The OpenAPI document's route templates (base path included), in path order.
    pub fn spec_templates(&self) -> &[String] {
        &self.spec_order
    }

    /// The declared route of `route`'s shape, if any.
    pub fn route(&self, route: &str) -> Option<&DeclaredRoute> {
        self.routes.get(&shape(route))
    }

    /// Every declared route with its operations, by shape.
    pub fn routes(&self) -> impl Iterator<Item = &DeclaredRoute> {
        self.routes.values()
    }

    /// Number of declared operations.
    pub fn operations(&self) -> usize {
        self.routes.values().map(|r| r.operations.len()).sum()
    }

    /// What `method` is on `route`.
    pub fn method_status(&self, method: &str, route: &str) -> MethodStatus<'_> {
        let Some(r) = self.route(route).filter(|r| !r.operations.is_empty()) else {
            return MethodStatus::UnknownRoute;
        };
        if let Some(resp) = r.operations.get(method) {
            return MethodStatus::Declared(resp);
        }
        if method == "HEAD" {
            // HEAD is GET without content (RFC 9110 §9.3.2): wherever GET is, so is HEAD.
            if let Some(resp) = r.operations.get("GET") {
                return MethodStatus::Declared(resp);
            }
        }
        if method == "OPTIONS" {
            return MethodStatus::Implicit;
        }
        MethodStatus::Undeclared(r.operations.keys().map(String::as_str).collect())
    }

    fn add_document(&mut self, doc: &Value) -> Result<(), String> {
        let top = doc
            .as_object()
            .ok_or("not an OpenAPI document: the top level is not a mapping")?;
        let bases: Vec<String> = match (top.get("openapi"), top.get("swagger")) {
            (Some(v), _) => {
                let version = scalar_text(v);
                if !version.starts_with("3.") {
                    return Err(format!(
                        "openapi: version `{version}` is not supported (3.0 and 3.1 are, and swagger 2.0)"
                    ));
                }
                server_bases(top.get("servers"), "servers")?
            }
            (None, Some(v)) => {
                let version = scalar_text(v);
                if version != "2.0" {
                    return Err(format!(
                        "swagger: version `{version}` is not supported (2.0 is, and openapi 3.x)"
                    ));
                }
                match top.get("basePath") {
                    None => vec![String::new()],
                    Some(Value::String(b)) => vec![normalize_base(b)],
                    Some(_) => return Err("basePath: must be a string such as /v1".to_string()),
                }
            }
            (None, None) => {
                return Err(
                    "not an OpenAPI document: it has neither an `openapi` nor a `swagger` field"
                        .to_string(),
                )
            }
        };
        let paths = match top.get("paths") {
            Some(Value::Object(p)) => p,
            Some(_) => return Err("paths: must be a mapping of /path: {operations}".to_string()),
            None => return Err("the document declares no `paths`".to_string()),
        };
        for (path, item) in paths {
            if path.starts_with("x-") {
                continue;
            }
            let at = format!("paths.{path}");
            if !path.starts_with('/') {
                return Err(format!("{at}: a path starts with `/`"));
            }
            let item = resolve(doc, item, &at)?;
            let item = item
                .as_object()
                .ok_or_else(|| format!("{at}: must be a mapping of operations"))?;
            let path_bases = match item.get("servers") {
                Some(s) => server_bases(Some(s), &format!("{at}.servers"))?,
                None => bases.clone(),
            };
            let mut operations = BTreeMap::new();
            for (key, op) in item {
                let method = key.to_ascii_uppercase();
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let at = format!("{at}.{key}");
                let op = op
                    .as_object()
                    .ok_or_else(|| format!("{at}: must be a mapping (an operation)"))?;
                let mut responses = Responses::default();
                match op.get("responses") {
                    None => {}
                    Some(Value::Object(r)) => {
                        for k in r.keys().filter(|k| !k.starts_with("x-")) {
                            responses
                                .add_key(k)
                                .map_err(|e| format!("{at}.responses: {e}"))?;
                        }
                    }
                    Some(_) => return Err(format!("{at}.responses: must be a mapping")),
                }
                operations.insert(method, responses);
            }
            for base in &path_bases {
                let template = format!("{base}{path}");
                validate(&template).map_err(|e| format!("{at}: {e}"))?;
                let route = self.entry(&template);
                route.operations.extend(operations.clone());
                if !route.from_spec {
                    route.from_spec = true;
                    self.spec_order.push(template);
                }
            }
        }
        Ok(())
    }
}

/// A scalar as text (`3.0.3`, or a number written without quotes).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/v1/` → `/v1`; `/` → ``; `./v1` (relative to the document) → `/v1`.
fn normalize_base(b: &str) -> String {
    b.trim()
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .fold(String::new(), |acc, s| acc + "/" + s)
}

/// The distinct base paths of a `servers` list (`[""]` when there is none): each URL's path,
/// with server variables replaced by their defaults.
fn server_bases(servers: Option<&Value>, at: &str) -> Result<Vec<String>, String> {
    let list = match servers {
        None => return Ok(vec![String::new()]),
        Some(Value::Array(a)) if a.is_empty() => return Ok(vec![String::new()]),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(format!("{at}: must be a list of {{url: ...}}")),
    };
    let mut bases = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = format!("{at}[{i}]");
        let url = s
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}: has no `url` string"))?;
        let mut url = url.to_string();
        if let Some(Value::Object(vars)) = s.get("variables") {
            for (name, var) in vars {
                let default = var.get("default").map(scalar_text).ok_or_else(|| {
                    format!("{at}.variables.{name}: has no `default` (the spec requires one)")
                })?;
                url = url.replace(&format!("{{{name}}}"), &default);
            }
        }
        let path = match url.find("://") {
            Some(i) => url[i + 3..].find('/').map_or("", |j| &url[i + 3 + j..]),
            None if url.starts_with("//") => url[2..].find('/').map_or("", |j| &url[2 + j..]),
            None => &url,
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        let base = normalize_base(path);
        if !bases.contains(&base) {
            bases.push(base);
        }
    }
    Ok(bases)
}

/// Follow a local `$ref` (`#/components/pathItems/x`) of a path item.
fn resolve<'v>(doc: &'v Value, item: &'v Value, at: &str) -> Result<&'v Value, String> {
    let mut v = item;
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return Ok(v);
        };
        let pointer = r.strip_prefix('#').ok_or_else(|| {
            format!("{at}: `$ref: {r}` points outside the document; bundle the spec into one file first (e.g. `redocly bundle`)")
        })?;
        let pointer = pointer.replace("~1", "/").replace("~0", "~");
        v = doc
            .pointer(&pointer)
            .ok_or_else(|| format!("{at}: `$ref: {r}` points to nothing in the document"))?;
    }
    Err(format!("{at}: `$ref` chain too long (a cycle?)"))
}

/// JSON or YAML text → a JSON value; errors give the line and column.
fn parse_document(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            format!(
                "line {} column {}: not valid JSON: {msg}",
                e.line(),
                e.column()
            )
        });
    }
    let mut y: serde_norway::Value = serde_norway::from_str(text).map_err(|e| yaml_error(&e))?;
    y.apply_merge().map_err(|e| yaml_error(&e))?;
    yaml_to_json(y, 0)
}

fn yaml_error(e: &serde_norway::Error) -> String {
    let msg = e.to_string();
    match e.location() {
        Some(l) => {
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            format!(
                "line {} column {}: not valid YAML: {msg}",
                l.line(),
                l.column()
            )
        }
        None => format!("not valid YAML: {msg}"),
    }
}

fn yaml_to_json(y: serde_norway::Value, depth: usize) -> Result<Value, String> {
    use serde_norway::Value as Y;
    if depth > 256 {
        return Err("the document nests deeper than 256 levels".to_string());
    }
    Ok(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(s) => Value::Array(
            s.into_iter()
                .map(|v| yaml_to_json(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    other => {
                        return Err(format!(
                            "a mapping key is not a scalar: {}",
                            serde_norway::to_string(&other).unwrap_or_default().trim()
                        ))
                    }
                };
                out.insert(key, yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value, depth + 1)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PETSTORE: &str = r#"
openapi: 3.0.3
info: {title: Pets, version: "1"}
servers:
  - url: https://api.example.com/v1
  - url: "{scheme}://staging.example.com/v1/"
    variables:
      scheme: {default: https, enum: [https, http]}
paths:
  /pets:
    get:
      responses:
        "200": {description: list}
        default: {description: error}
    post:
      responses:
        201: {description: created}
        4XX: {description: bad}
  /pets/{petId}:
    get:
      responses:
        "200": {description: one}
        "404": {description: none}
    delete:
      responses:
        "204": {description: gone}
  x-internal: {}
"#;

    #[test]
    fn openapi_3_yaml() {
        let api = Api::parse(PETSTORE).expect("valid");
        assert_eq!(api.spec_templates(), ["/v1/pets", "/v1/pets/{petId}"]);
        assert_eq!(api.operations(), 4);
        let MethodStatus::Declared(r) = api.method_status("POST", "/v1/pets") else {
            panic!("POST is declared")
        };
        assert!(r.documents(201) && r.documents(422) && !r.documents(200) && !r.documents(500));
        assert_eq!(r.describe(), "201, 4XX");
        assert_eq!(
            api.method_status("PUT", "/v1/pets/{petId}"),
            MethodStatus::Undeclared(vec!["DELETE", "GET"])
        );
        assert!(matches!(
            api.method_status("HEAD", "/v1/pets/{petId}"),
            MethodStatus::Declared(r) if r.documents(404)
        ));
        assert_eq!(
            api.method_status("OPTIONS", "/v1/pets"),
            MethodStatus::Implicit
        );
        assert_eq!(
            api.method_status("GET", "/pets"),
            MethodStatus::UnknownRoute
        );
    }

    #[test]
    fn swagger_2_json_with_base_path() {
        let api = Api::parse(
            r#"{"swagger": "2.0", "basePath": "/api/", "paths": {
                "/users/{id}": {"get": {"responses": {"200": {}, "default": {}}}},
                "/": {"get": {"responses": {"200": {}}}}}}"#,
        )
        .expect("valid");
        assert_eq!(api.spec_templates(), ["/api/", "/api/users/{id}"]);
        assert!(matches!(
            api.method_status("GET", "/api/users/{id}"),
            MethodStatus::Declared(r) if r.documents(503)
        ));
    }

    #[test]
    fn server_bases() {
        for (servers, want) in [
            (r#"[]"#, vec![""]),
            (r#"[{"url": "/"}]"#, vec![""]),
            (r#"[{"url": "/v2/"}]"#, vec!["/v2"]),
            (r#"[{"url": "v2"}]"#, vec!["/v2"]),
            (r#"[{"url": "./v2/"}]"#, vec!["/v2"]),
            (r#"[{"url": "https://h.example"}]"#, vec![""]),
            (r#"[{"url": "//h.example/a/b?x=1"}]"#, vec!["/a/b"]),
            (
                r#"[{"url": "https://h/{ver}", "variables": {"ver": {"default": "v3"}}}, {"url": "http://localhost:8080/v3"}]"#,
                vec!["/v3"],
            ),
            (
                r#"[{"url": "https://h/v1"}, {"url": "http://localhost"}]"#,
                vec!["/v1", ""],
            ),
        ] {
            let v: Value = serde_json::from_str(servers).expect("json");
            assert_eq!(
                super::server_bases(Some(&v), "servers").expect("valid"),
                want,
                "{servers}"
            );
        }
    }

    #[test]
    fn path_level_servers_and_refs() {
        let api = Api::parse(
            r##"
openapi: 3.1.0
servers: [{url: /v1}]
paths:
  /a:
    $ref: "#/components/pathItems/A"
  /b:
    servers: [{url: /legacy}]
    get: {responses: {"200": {}}}
components:
  pathItems:
    A:
      get: {responses: {"200": {}}}
"##,
        )
        .expect("valid");
        assert_eq!(api.spec_templates(), ["/v1/a", "/legacy/b"]);
    }

    #[test]
    fn errors_name_the_place() {
        for (doc, want) in [
            ("openapi: 3.0.0\npaths:\n  /a:\n    get: [\n", "line 5"),
            (
                "{\"openapi\": \"3.0.0\",\n \"paths\": {,}}",
                "line 2 column",
            ),
            ("openapi: 3.0.0\n", "no `paths`"),
            (
                "info: {}\npaths: {}\n",
                "neither an `openapi` nor a `swagger`",
            ),
            ("openapi: 2.5\npaths: {}\n", "version `2.5`"),
            ("swagger: '1.2'\npaths: {}\n", "version `1.2`"),
            (
                "openapi: 3.0.0\npaths:\n  users: {}\n",
                "paths.users: a path starts",
            ),
            (
                "openapi: 3.0.0\npaths:\n  /f/{name:\n    get: {}\n",
                "paths./f/{name: `/f/{name`: unclosed",
            ),
            (
                "openapi: 3.0.0\npaths:\n  /a:\n    get: {responses: {ok: {}}}\n",
                "paths./a.get.responses: `ok` is not a response key",
            ),
            (
                "openapi: 3.0.0\npaths:\n  /a: {$ref: 'other.yaml#/A'}\n",
                "points outside the document",
            ),
            (
                "openapi: 3.0.0\nservers: [{url: '/{v}', variables: {v: {}}}]\npaths: {}\n",
                "servers[0].variables.v: has no `default`",
            ),
            ("- just\n- a list\n", "top level is not a mapping"),
        ] {
            let e = Api::parse(doc).expect_err(doc);
            assert!(e.contains(want), "{doc:?}: {e}");
        }
    }

    #[test]
    fn hostile_documents_are_errors_not_crashes() {
        let mut laughs = String::from("openapi: 3.0.0\npaths: {}\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            laughs.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        let e = Api::parse(&laughs).expect_err("billion laughs");
        assert!(e.contains("repetition limit"), "{e}");
        let deep = format!(
            "openapi: 3.0.0\npaths:\n  /a: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = Api::parse(&deep).expect_err("deep YAML");
        assert!(e.contains("recursion limit"), "{e}");
        let deep = format!(
            "{{\"openapi\": \"3.0.0\", \"paths\": {{\"/a\": {}{}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = Api::parse(&deep).expect_err("deep JSON");
        assert!(e.contains("recursion limit"), "{e}");
    }

    #[test]
    fn responses_keys() {
        let mut r = Responses::default();
        for k in ["200", "2XX", "4xx", "default"] {
            r.add_key(k).expect(k);
        }
        assert_eq!(r.describe(), "200, 2XX, 4XX, default");
        for k in ["6XX", "20", "abc", "2X", "0"] {
            assert!(Responses::default().add_key(k).is_err(), "{k}");
        }
    }

    #[test]
    fn declared_routes_from_config() {
        let mut api = Api::default();
        api.declare(
            "/jobs/{id}",
            &["get".into(), "DELETE".into()],
            &["200".into(), "404".into()],
        )
        .expect("valid");
        assert_eq!(
            api.method_status("POST", "/jobs/{id}"),
            MethodStatus::Undeclared(vec!["DELETE", "GET"])
        );
        assert!(api.declare("jobs", &[], &[]).is_err());
        assert!(api.declare("/x", &["GE T".into()], &[]).is_err());
        assert!(api.declare("/x", &[], &["2XY".into()]).is_err());
    }
}
