//! The API against its OpenAPI document (`--openapi`): endpoints the document does not declare,
//! grouped by their heuristic routes, and declared operations that received no request.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{busiest_codes, class_name, status_key};
use crate::route::openapi::MethodStatus;
use crate::route::template::shape;
use crate::rules::Facts;

/// Most undocumented endpoints listed (the totals count them all).
pub const MAX_UNDOCUMENTED: usize = 100;

/// An endpoint outside the declaration.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UndocumentedEndpoint {
    /// Method.
    pub method: String,
    /// Route (a heuristic template, or a declared route with an undeclared method).
    pub route: String,
    /// Whether the route is declared (only the method is not).
    pub route_declared: bool,
    /// Requests.
    pub count: u64,
    /// Requests per status.
    pub by_status: BTreeMap<String, u64>,
}

/// A declared operation.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeclaredOperation {
    /// Method.
    pub method: String,
    /// Route template.
    pub route: String,
}

/// The API section of the report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ApiReport {
    /// The OpenAPI document.
    pub spec: String,
    /// Declared operations (the document's and `[[routes]]` methods).
    pub operations: usize,
    /// Of those, how many received requests.
    pub operations_with_traffic: usize,
    /// Requests on declared operations (HEAD where GET is declared, and OPTIONS on declared
    /// routes, included).
    pub documented_requests: u64,
    /// Requests on endpoints the declaration does not have.
    pub undocumented_requests: u64,
    /// Endpoints the declaration does not have.
    pub undocumented_endpoints: usize,
    /// The busiest [`MAX_UNDOCUMENTED`] of them, by requests, then route and method.
    pub undocumented: Vec<UndocumentedEndpoint>,
    /// Declared operations that received no request at all, by route then method.
    pub untouched: Vec<DeclaredOperation>,
    /// Per class, requests counted under undocumented endpoints.
    pub undocumented_by_class: BTreeMap<String, u64>,
}

impl UndocumentedEndpoint {
    /// `404: 120, 200: 3`: the three most frequent statuses.
    pub fn top_codes(&self) -> String {
        busiest_codes(&self.by_status, 3)
            .iter()
            .map(|(c, n)| format!("{c}: {}", super::thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl super::ReportModel {
    /// Add the API section and mark each endpoint documented or not, when an OpenAPI document
    /// was given.
    pub fn attach_api(&mut self, facts: &Facts<'_>) {
        self.api = ApiReport::build(facts);
        if self.api.is_none() {
            return;
        }
        for e in &mut self.endpoints {
            e.documented = Some(matches!(
                facts.api.method_status(&e.method, &e.route),
                MethodStatus::Declared(_) | MethodStatus::Implicit
            ));
        }
    }
}

impl ApiReport {
    /// `spec: 12 of 14 declared operations received requests; 321 requests (2.5%) on 4
    /// endpoints it does not declare`.
    pub fn headline(&self) -> String {
        let total = self.documented_requests + self.undocumented_requests;
        format!(
            "{} of {} declared operations received requests; {} request{} ({}) on {} endpoint{} the document does not declare",
            super::thousands(self.operations_with_traffic as u64),
            super::thousands(self.operations as u64),
            super::thousands(self.undocumented_requests),
            if self.undocumented_requests == 1 { "" } else { "s" },
            super::pct(self.undocumented_requests, total),
            super::thousands(self.undocumented_endpoints as u64),
            if self.undocumented_endpoints == 1 { "" } else { "s" },
        )
    }

    /// The section, when an OpenAPI document was given. Endpoints only scanners touched,
    /// ignored routes and `(other)` are left out of the undocumented ones, like out of the
    /// rules; "no traffic" looks at every request.
    pub fn build(facts: &Facts<'_>) -> Option<ApiReport> {
        let api = facts.api;
        let spec = api.spec.clone()?;
        let mut documented_requests = 0;
        let mut undocumented = Vec::new();
        let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
        for e in &facts.endpoints {
            if e.route.starts_with('(') {
                continue;
            }
            let route_declared = match api.method_status(e.method, e.route) {
                MethodStatus::Declared(_) | MethodStatus::Implicit => {
                    documented_requests += e.stats.count;
                    continue;
                }
                MethodStatus::Undeclared(_) => true,
                MethodStatus::UnknownRoute => false,
            };
            for (code, n) in &e.stats.statuses {
                *by_class.entry(class_name(*code).to_string()).or_default() += n;
            }
            undocumented.push(UndocumentedEndpoint {
                method: e.method.to_string(),
                route: e.route.to_string(),
                route_declared,
                count: e.stats.count,
                by_status: e
                    .stats
                    .sorted_statuses()
                    .into_iter()
                    .map(|(c, n)| (status_key(c), n))
                    .collect(),
            });
        }
        undocumented.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.route.cmp(&b.route))
                .then_with(|| a.method.cmp(&b.method))
        });
        let undocumented_endpoints = undocumented.len();
        let undocumented_requests = undocumented.iter().map(|u| u.count).sum();
        undocumented.truncate(MAX_UNDOCUMENTED);
        // Operations with requests, by method and route shape: an explicit `--route` of the
        // same shape as a spec path carries its traffic under another name.
        let with_traffic: BTreeSet<(&str, String)> = facts
            .aggregate
            .endpoints
            .keys()
            .filter_map(|k| Some((std::str::from_utf8(k.method()).ok()?, shape(k.route()))))
            .collect();
        let mut untouched = Vec::new();
        for r in api.routes() {
            let s = shape(&r.template);
            for method in r.operations.keys() {
                if !with_traffic.contains(&(method.as_str(), s.clone())) {
                    untouched.push(DeclaredOperation {
                        method: method.clone(),
                        route: r.template.clone(),
                    });
                }
            }
        }
        untouched.sort_by(|a, b| a.route.cmp(&b.route).then_with(|| a.method.cmp(&b.method)));
        let operations = api.operations();
        Some(ApiReport {
            spec,
            operations,
            operations_with_traffic: operations - untouched.len(),
            documented_requests,
            undocumented_requests,
            undocumented_endpoints,
            undocumented,
            untouched,
            undocumented_by_class: by_class,
        })
    }
}
