//! Declared route templates (`--route`, the config's `routes`, `--openapi` paths) matched in
//! a segment trie: per request the work is proportional to its number of segments, not to the
//! number of templates.
//!
//! Matching follows what OpenAPI specifies: a literal segment wins over a templated one at the
//! same position (`/users/me` beats `/users/{id}`); a segment may hold several parameters with
//! literal text between them (`/files/{name}.{ext}`); trailing slashes and empty segments do not
//! count; a request segment is percent-decoded before it is compared with literal text; among
//! templated segments, the one with more literal text is tried first; ties keep the order the
//! templates were given in.

use rustc_hash::FxHashMap;

/// A piece of a templated segment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Param,
}

/// A segment with at least one `{param}`, e.g. `{name}.{ext}`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    pieces: Vec<Piece>,
    /// Bytes of literal text (more is more specific).
    literal_len: usize,
}

#[derive(Clone, Debug, Default)]
struct Node {
    literal: FxHashMap<Vec<u8>, Node>,
    /// Templated children, most specific first.
    patterns: Vec<(Pattern, Node)>,
    /// Index of the template that ends here.
    end: Option<usize>,
}

/// A set of route templates.
#[derive(Clone, Debug, Default)]
pub struct TemplateSet {
    root: Node,
    texts: Vec<String>,
    known: rustc_hash::FxHashSet<String>,
}

fn parse_segment(seg: &str) -> Result<Option<Pattern>, String> {
    if !seg.contains('{') {
        return Ok(None);
    }
    let mut pieces = Vec::new();
    let mut rest = seg;
    let mut literal_len = 0;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let close = rest
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` in segment `{seg}`"))?;
                if close == 1 {
                    return Err(format!("empty parameter name in segment `{seg}`"));
                }
                if matches!(pieces.last(), Some(Piece::Param)) {
                    return Err(format!(
                        "two parameters without text between them in segment `{seg}`"
                    ));
                }
                pieces.push(Piece::Param);
                rest = &rest[close + 1..];
            }
            Some(i) => {
                pieces.push(Piece::Literal(rest.as_bytes()[..i].to_vec()));
                literal_len += i;
                rest = &rest[i..];
            }
            None => {
                pieces.push(Piece::Literal(rest.as_bytes().to_vec()));
                literal_len += rest.len();
                rest = "";
            }
        }
    }
    Ok(Some(Pattern {
        pieces,
        literal_len,
    }))
}

/// Whether `s` matches `pieces` (a parameter takes at least one byte).
fn matches_pieces(pieces: &[Piece], s: &[u8]) -> bool {
    match pieces.split_first() {
        None => s.is_empty(),
        Some((Piece::Literal(l), rest)) => s.starts_with(l) && matches_pieces(rest, &s[l.len()..]),
        Some((Piece::Param, rest)) => {
            if rest.is_empty() {
                return !s.is_empty();
            }
            (1..=s.len()).any(|k| matches_pieces(rest, &s[k..]))
        }
    }
}

/// `%XX` decoded (invalid escapes kept as they are).
fn percent_decode(s: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !s.contains(&b'%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

impl TemplateSet {
    /// Add a template (it starts with `/`); returns its index.
    pub fn add(&mut self, template: &str) -> Result<usize, String> {
        if !template.starts_with('/') {
            return Err(format!(
                "`{template}`: a template starts with `/`, e.g. /api/users/{{id}}"
            ));
        }
        let mut node = &mut self.root;
        for seg in template.split('/').filter(|s| !s.is_empty()) {
            node = match parse_segment(seg).map_err(|e| format!("`{template}`: {e}"))? {
                None => node.literal.entry(seg.as_bytes().to_vec()).or_default(),
                Some(p) => {
                    let at = match node.patterns.iter().position(|(q, _)| *q == p) {
                        Some(i) => i,
                        None => {
                            // Most literal text first; equal ones keep their order.
                            let i = node
                                .patterns
                                .iter()
                                .position(|(q, _)| q.literal_len < p.literal_len)
                                .unwrap_or(node.patterns.len());
                            node.patterns.insert(i, (p, Node::default()));
                            i
                        }
                    };
                    &mut node.patterns[at].1
                }
            };
        }
        let idx = self.texts.len();
        if node.end.is_none() {
            node.end = Some(idx);
        }
        self.texts.push(template.to_string());
        self.known.insert(template.to_string());
        Ok(idx)
    }

    /// Whether no template was added.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Whether `route` is one of the templates.
    pub fn contains(&self, route: &str) -> bool {
        self.known.contains(route)
    }

    /// The template matching `path` (no query string), if any.
    pub fn find(&self, path: &[u8]) -> Option<&str> {
        find_in(&self.root, path).map(|i| self.texts[i].as_str())
    }
}

/// The first non-empty segment of `p` and what follows it.
#[inline]
fn next_segment(p: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = p.iter().position(|&b| b != b'/')?;
    let p = &p[start..];
    Some(match memchr::memchr(b'/', p) {
        Some(i) => (&p[..i], &p[i..]),
        None => (p, &[]),
    })
}

/// Check a template as [`TemplateSet::add`] would, without keeping it.
pub fn validate(template: &str) -> Result<(), String> {
    TemplateSet::default().add(template).map(|_| ())
}

/// The shape of a template: parameter names dropped, empty segments and trailing slashes
/// ignored (`/users/{userId}/` → `/users/{}`). Templates of one shape match the same requests.
pub fn shape(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    for seg in template.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let mut rest = seg;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            match rest[open..].find('}') {
                Some(close) => {
                    out.push_str("{}");
                    rest = &rest[open + close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The template matching the rest of a path, segment by segment (no allocation unless a
/// segment is percent-encoded); backtracks from a literal branch that dead-ends.
fn find_in(node: &Node, path: &[u8]) -> Option<usize> {
    let Some((first, rest)) = next_segment(path) else {
        return node.end;
    };
    let seg = percent_decode(first);
    if let Some(child) = node.literal.get(seg.as_ref()) {
        if let Some(i) = find_in(child, rest) {
            return Some(i);
        }
    }
    node.patterns
        .iter()
        .filter(|(p, _)| matches_pieces(&p.pieces, &seg))
        .find_map(|(_, child)| find_in(child, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(templates: &[&str]) -> TemplateSet {
        let mut s = TemplateSet::default();
        for t in templates {
            s.add(t).expect("valid template");
        }
        s
    }

    #[test]
    fn matching_table() {
        let s = set(&[
            "/users/{id}",
            "/users/me",
            "/users/{id}/orders/{orderId}",
            "/files/{name}.{ext}",
            "/files/{name}",
            "/v1/reports/{year}-{month}.csv",
            "/",
        ]);
        for (path, want) in [
            ("/users/42", Some("/users/{id}")),
            ("/users/me", Some("/users/me")),
            ("/users/me/", Some("/users/me")),
            ("//users//42//", Some("/users/{id}")),
            ("/users/42/orders/7", Some("/users/{id}/orders/{orderId}")),
            ("/users/me/orders/7", Some("/users/{id}/orders/{orderId}")),
            ("/files/report.pdf", Some("/files/{name}.{ext}")),
            ("/files/archive.tar.gz", Some("/files/{name}.{ext}")),
            ("/files/README", Some("/files/{name}")),
            ("/files/a%20b.txt", Some("/files/{name}.{ext}")),
            ("/users/m%65", Some("/users/me")),
            (
                "/v1/reports/2024-05.csv",
                Some("/v1/reports/{year}-{month}.csv"),
            ),
            ("/v1/reports/2024.csv", None),
            ("/", Some("/")),
            ("/users", None),
            ("/users/42/orders", None),
            ("/nope", None),
        ] {
            assert_eq!(s.find(path.as_bytes()), want, "{path}");
        }
    }

    #[test]
    fn literal_wins_whatever_the_order_given() {
        let a = set(&["/a/{x}/c", "/a/b/{y}"]);
        assert_eq!(
            a.find(b"/a/b/c"),
            Some("/a/b/{y}"),
            "literal b beats {{x}} at position 2"
        );
        assert_eq!(a.find(b"/a/z/c"), Some("/a/{x}/c"));
        // Backtracks when the literal branch dead-ends.
        let b = set(&["/a/b/d", "/a/{x}/c"]);
        assert_eq!(b.find(b"/a/b/c"), Some("/a/{x}/c"));
    }

    #[test]
    fn deep_paths() {
        let deep = format!("/{}", vec!["a"; 30].join("/"));
        let s = set(&[&deep, "/a/{x}"]);
        assert_eq!(s.find(deep.as_bytes()), Some(deep.as_str()));
        assert_eq!(s.find(format!("{deep}/a").as_bytes()), None);
        assert_eq!(s.find(b"/a/b"), Some("/a/{x}"));
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("/users/{userId}/"), "/users/{}");
        assert_eq!(shape("//users//{id}"), "/users/{}");
        assert_eq!(shape("/files/{name}.{ext}"), "/files/{}.{}");
        assert_eq!(shape("/"), "/");
        assert_eq!(shape("/r/{year}-{month}.csv"), "/r/{}-{}.csv");
        assert_eq!(shape("(other)"), "/(other)");
    }

    #[test]
    fn bad_templates_are_errors() {
        let mut s = TemplateSet::default();
        assert!(s.add("users/{id}").is_err());
        assert!(s.add("/files/{name").is_err());
        assert!(s.add("/files/{}").is_err());
        assert!(s.add("/files/{a}{b}").is_err());
        assert!(s.is_empty());
    }

    #[test]
    fn thousands_of_templates() {
        let mut s = TemplateSet::default();
        for i in 0..5000 {
            s.add(&format!("/svc{}/items/{{id}}/part{}", i % 100, i))
                .expect("valid");
        }
        assert_eq!(
            s.find(b"/svc7/items/123/part4907"),
            Some("/svc7/items/{id}/part4907")
        );
        assert_eq!(s.find(b"/svc7/items/123/part4908"), None);
    }
}
