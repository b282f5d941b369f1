//! One analysis run, without the command line: discover the inputs, aggregate the logs, merge
//! partial aggregates, finish, run the rules and build the report model. The binary only maps
//! its arguments onto a [`Config`] and the result onto an exit status.

use crate::aggregate::{partial, AddContext, RunOutput};
use crate::error::Error;
use crate::input::discover::discover_filtered;
use crate::input::Input;
use crate::pipeline::{self, RunOptions};
use crate::report::ReportModel;
use crate::route::openapi::Api;
use crate::rules::{self, Facts, RulesConfig};

/// Everything a run needs.
#[derive(Debug)]
pub struct Config {
    /// Files or directories; empty for standard input.
    pub paths: Vec<String>,
    /// Parsing, routes, caps, window, workers.
    pub run: RunOptions,
    /// Rule settings.
    pub rules: RulesConfig,
    /// The declared API (`--openapi`, `[[routes]]`).
    pub api: Api,
    /// Take only shard `(i, n)` of the input files (file k goes to shard k mod n).
    pub shard: Option<(usize, usize)>,
    /// Which files in directories are read (`--include`, `--exclude`).
    pub filter: crate::input::discover::FileFilter,
    /// The options as given, for the report's `producer` block (the window, cap and rule
    /// settings are filled in from the rest of the configuration).
    pub options: crate::report::Options,
}

/// The inputs of a run, found but not read.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Logs to parse.
    pub logs: Vec<Input>,
    /// Partial aggregates to merge.
    pub partials: Vec<Input>,
    /// Paths that could not be walked: (path, message).
    pub errors: Vec<(String, String)>,
    /// What was passed over, one line each (not an error).
    pub notes: Vec<String>,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct Analysis {
    /// The report model every renderer reads.
    pub model: ReportModel,
    /// The rules that ran (enabled and applicable).
    pub rules: Vec<&'static str>,
}

impl Config {
    /// Walk the paths, keep this run's shard, and tell logs from partial aggregates. Files
    /// found in a folder (not named) that are not access logs — error logs, saved reports — are
    /// passed over with a note, and so are partial aggregates lying beside logs in a folder (a
    /// partial saved next to its own logs would count them twice); a folder of partials only
    /// is merged.
    pub fn inputs(&self) -> Inputs {
        let discovered = discover_filtered(&self.paths, &self.filter);
        let (errors, mut notes) = (discovered.errors, discovered.notes);
        let found: Vec<(Input, bool)> = discovered
            .inputs
            .into_iter()
            .zip(discovered.from_folder)
            .enumerate()
            .filter(|(k, _)| self.shard.is_none_or(|(i, n)| k % n == i))
            .map(|(_, x)| x)
            .collect();
        // (input, found in a folder)
        let (partials, logs): (Vec<_>, Vec<_>) = found
            .into_iter()
            .partition(|(i, _)| pipeline::is_partial_input(i));
        let mut kept_logs = Vec::with_capacity(logs.len());
        let mut folder_logs = false;
        for (input, from_folder) in logs {
            if from_folder {
                if let Err(why) = pipeline::looks_like_a_log(&input, &self.run) {
                    let why = why.split(';').next().unwrap_or(&why).to_string();
                    notes.push(format!(
                        "{}: not an access log ({why}), skipped",
                        input.name()
                    ));
                    continue;
                }
                folder_logs = true;
            }
            kept_logs.push(input);
        }
        let mut kept_partials = Vec::with_capacity(partials.len());
        for (input, from_folder) in partials {
            if from_folder && folder_logs {
                notes.push(format!(
                    "{}: a partial aggregate beside logs in a folder, skipped (name it to merge it)",
                    input.name()
                ));
                continue;
            }
            kept_partials.push(input);
        }
        Inputs {
            logs: kept_logs,
            partials: kept_partials,
            errors: errors.into_iter().map(|e| (e.path, e.message)).collect(),
            notes,
        }
    }
}

/// Run the analysis over `inputs`. `unfinished` sees the total aggregate before it is finished
/// (what `--format partial` writes); `warn` gets one line per input problem as it is met.
pub fn analyse(
    cfg: &Config,
    inputs: Inputs,
    unfinished: &mut dyn FnMut(&RunOutput) -> Result<(), Error>,
    warn: &mut dyn FnMut(&str),
) -> Result<Analysis, Error> {
    let mut errs = inputs.errors;
    for (p, m) in &errs {
        warn(&format!("{p}: {m}"));
    }
    let logs_out = pipeline::collect(&inputs.logs, &cfg.run);
    // Plan the merge from the partials' file lists, then read them one at a time: memory holds
    // the running total and one partial, whatever their number.
    let mut lists = vec![logs_out.files.clone()];
    let mut readable = Vec::new();
    for p in &inputs.partials {
        match pipeline::read_partial_files(p) {
            Ok(files) => {
                lists.push(files);
                readable.push(p);
            }
            Err(e) => {
                warn(&format!("{}: {e}", p.name()));
                errs.push((p.name(), e));
            }
        }
    }
    let (files, maps) = partial::canonical_order(&lists);
    let mut total = logs_out.aggregate;
    total.remap_files(&maps[0]);
    let ctx = AddContext::new(&cfg.run.routes, cfg.run.route_cap, cfg.run.window);
    for (k, p) in readable.iter().enumerate() {
        match pipeline::read_partial(p) {
            Ok(part) => {
                let mut agg = part.aggregate;
                agg.remap_files(&maps[k + 1]);
                total.absorb(agg, &ctx);
            }
            Err(e) => {
                warn(&format!("{}: {e}", p.name()));
                errs.push((p.name(), e));
            }
        }
    }
    let mut out = RunOutput {
        aggregate: total,
        files,
    };
    for f in &out.files {
        if let Some(e) = &f.error {
            warn(&format!("{}: {e}", f.name));
        }
    }
    out.aggregate.settle_rows();
    unfinished(&out)?;
    out.aggregate.finish(&cfg.run.routes, cfg.run.route_cap);
    let mut facts = Facts::new(&out.aggregate, &cfg.rules, &cfg.api);
    facts.formats = out.files.iter().filter_map(|f| f.format.clone()).collect();
    let findings = rules::run(&facts, &cfg.rules);
    let mut model = ReportModel::build(&out, &errs, cfg.run.route_cap, &findings, &facts.noise);
    model.attach_api(&facts);
    model.producer.options = cfg.options.clone();
    model
        .producer
        .options
        .complete(&cfg.rules, cfg.run.window, cfg.run.route_cap);
    let rules = rules::RULES
        .iter()
        .filter(|r| cfg.rules.settings(r.meta().id).enabled && r.applies(&facts))
        .map(|r| r.meta().id)
        .collect();
    drop(facts);
    // The aggregate is not needed past the model, and freeing it (up to the route and client
    // caps: hundreds of thousands of allocations) took longer than rendering the report. A
    // thread frees it beside the rendering; a process that exits first just skips the work.
    let _ = std::thread::Builder::new()
        .name("statuslens-free".into())
        .spawn(move || drop(out));
    Ok(Analysis { model, rules })
}
