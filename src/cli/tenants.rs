//! `render --tenant FILE... --output-dir DIR`: many tenants in one run.
//!
//! Each tenant renders from the embedded defaults, then the shared `-f`,
//! `--set` and `--set-string` layers in command-line order, then its own
//! file last, so that a tenant file overrides platform-wide settings. The
//! result goes to `DIR/<file stem>/`, written as one directory swap.
//!
//! Tenants render in parallel on a bounded number of worker threads. Each
//! worker keeps one rendered tenant in memory at a time and drops it after writing,
//! so memory does not grow with the number of tenants. A failing tenant is
//! reported on stderr with its file name and leaves its previous directory
//! untouched, and the other tenants are still written.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;
use clap::builder::BoolishValueParser;

use super::printer::{Printer, count_errors};
use super::render::{RenderArgs, check_flags, load_templates, render_layers, select_objects};
use super::{EXIT_INVALID, EXIT_USAGE};
use crate::diagnostic::{Diagnostic, Severity};
use crate::output::dir;
use crate::render::context::RenderOptions;
use crate::render::templates::TemplateSet;
use crate::values::Input;
use crate::values::validate::is_dns_label;

#[derive(Debug, Clone, Default, Args)]
pub struct TenantArgs {
    /// A tenant values file, rendered into DIR/<file stem>/ over the shared -f/--set layers.
    /// Repeatable; needs --output-dir.
    #[arg(
        long = "tenant",
        value_name = "FILE",
        env = "STALWART_TENANT_TENANTS",
        value_delimiter = ','
    )]
    pub files: Vec<PathBuf>,
    /// Render every *.yaml and *.yml file in this directory (not its subdirectories) as a tenant.
    #[arg(long, value_name = "DIR", env = "STALWART_TENANT_TENANTS_DIR")]
    pub tenants_dir: Option<PathBuf>,
    /// Set each tenant's namespace to its file stem: tenants/acme.yaml renders into namespace acme.
    #[arg(
        long,
        env = "STALWART_TENANT_NAMESPACE_FROM_FILE_STEM",
        value_parser = BoolishValueParser::new()
    )]
    pub namespace_from_file_stem: bool,
    /// With --tenants-dir: remove the output directories of tenants whose file is gone. Only
    /// directories with a kustomization.yaml written by stalwart-tenant are removed.
    #[arg(long, env = "STALWART_TENANT_PRUNE", value_parser = BoolishValueParser::new())]
    pub prune: bool,
    /// Maximum number of tenants rendered at the same time [default: the available parallelism].
    #[arg(short = 'j', long, value_name = "N", env = "STALWART_TENANT_JOBS", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

impl TenantArgs {
    /// Returns whether any tenant file or directory was given.
    #[must_use]
    pub fn is_requested(&self) -> bool {
        !self.files.is_empty() || self.tenants_dir.is_some()
    }
}

/// One tenant file and the name of its output directory.
#[derive(Debug)]
struct Tenant {
    path: PathBuf,
    name: String,
}

/// Shared state of one multi-tenant run.
struct Run<'a> {
    args: &'a RenderArgs,
    templates: &'a TemplateSet,
    output_dir: &'a Path,
    printer: &'a Printer,
    /// Warnings and notes already printed. Many tenants share the same
    /// warning (an image pinned by tag only), which is printed once.
    printed: Mutex<HashSet<String>>,
}

pub(super) fn run(args: &RenderArgs, printer: &Printer) -> ExitCode {
    if let Some(problem) = usage_problem(args) {
        printer.message(&format!("stalwart-tenant: error: {problem}"));
        return ExitCode::from(EXIT_USAGE);
    }
    let Some(output_dir) = &args.output_dir else {
        printer.message("stalwart-tenant: error: --tenant and --tenants-dir need --output-dir DIR");
        return ExitCode::from(EXIT_USAGE);
    };
    let tenants = match collect_tenants(&args.tenants) {
        Ok(tenants) => tenants,
        Err(problems) => {
            let summary = format!("error: {}; no tenant was rendered", count_errors(&problems));
            printer.diagnostics(&problems, Some(&summary));
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let mut problems = check_flags(&args.values);
    let templates = match load_templates(&args.values) {
        Ok(templates) => Some(templates),
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    if output_dir.exists() && !output_dir.is_dir() {
        problems.push(Diagnostic::error(format!(
            "invalid output directory {}: it exists and is not a directory",
            output_dir.display()
        )));
    } else if let Err(error) = std::fs::create_dir_all(output_dir) {
        problems.push(Diagnostic::error(format!(
            "cannot create the output directory {}: {error}",
            output_dir.display()
        )));
    }
    let Some(templates) = templates.filter(|_| problems.is_empty()) else {
        let summary = format!("error: {}; no tenant was rendered", count_errors(&problems));
        printer.diagnostics(&problems, Some(&summary));
        return ExitCode::from(EXIT_INVALID);
    };

    let run = Run {
        args,
        templates: &templates,
        output_dir,
        printer,
        printed: Mutex::new(HashSet::new()),
    };
    let failed = run.render_all(&tenants, worker_count(args.tenants.jobs, tenants.len()));
    let pruned = !args.tenants.prune || run.prune(&tenants);
    let total = tenants.len();
    let rendered = count(total, "tenant");
    if failed == 0 && pruned {
        printer.message(&format!(
            "stalwart-tenant: rendered {rendered} into {}",
            output_dir.display()
        ));
        ExitCode::SUCCESS
    } else if failed == 0 {
        printer.message(&format!(
            "stalwart-tenant: error: rendered {rendered} into {}, but could not remove the output of every deleted tenant (see above)",
            output_dir.display()
        ));
        ExitCode::from(EXIT_INVALID)
    } else if failed == total {
        printer.message(&format!(
            "stalwart-tenant: error: every one of the {} failed (see above); none was written to {}",
            count(total, "tenant"),
            output_dir.display()
        ));
        ExitCode::from(EXIT_INVALID)
    } else {
        let written = total - failed;
        printer.message(&format!(
            "stalwart-tenant: error: {failed} of {} failed (see above); the other {written} {} written to {}",
            count(total, "tenant"),
            if written == 1 { "was" } else { "were" },
            output_dir.display()
        ));
        ExitCode::from(EXIT_INVALID)
    }
}

/// Returns `1 tenant` or `N tenants`.
fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}

/// The usage error for `--prune` without `--tenants-dir`.
pub(super) const PRUNE_NEEDS_TENANTS_DIR: &str = "--prune needs --tenants-dir: only a whole directory of tenant files shows which tenants were deleted";

/// Returns the first flag combination that a multi-tenant render rejects.
fn usage_problem(args: &RenderArgs) -> Option<&'static str> {
    if args.tenants.prune && args.tenants.tenants_dir.is_none() {
        return Some(PRUNE_NEEDS_TENANTS_DIR);
    }
    if args.values.namespace.is_some() {
        return Some(
            "-n/--namespace sets one namespace and cannot be combined with --tenant or --tenants-dir; use --namespace-from-file-stem",
        );
    }
    if args
        .values
        .inputs
        .iter()
        .any(|input| matches!(input, Input::File(path) if path.as_os_str() == "-"))
    {
        return Some(
            "-f - (standard input) cannot be combined with --tenant or --tenants-dir: stdin can be read only once",
        );
    }
    None
}

/// Runs `work` on every tenant, on `workers` threads that take the next
/// tenant as they finish one, and returns each result with its tenant's
/// index, in no particular order.
fn for_each_tenant<R: Send>(
    tenants: &[Tenant],
    workers: usize,
    work: impl Fn(usize, &Tenant) -> R + Sync,
) -> Vec<(usize, R)> {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut results = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(tenant) = tenants.get(index) else {
                            break;
                        };
                        results.push((index, work(index, tenant)));
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap_or_default())
            .collect()
    })
}

fn worker_count(jobs: Option<u16>, tenants: usize) -> usize {
    let limit = jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        usize::from,
    );
    limit.min(tenants).max(1)
}

/// Lists the `--tenant` files and the YAML files of `--tenants-dir`, and
/// rejects stems that cannot name a directory or that two files share.
fn collect_tenants(args: &TenantArgs) -> Result<Vec<Tenant>, Vec<Diagnostic>> {
    let mut paths = args.files.clone();
    if let Some(tenants_dir) = &args.tenants_dir {
        paths.extend(list_tenant_files(tenants_dir)?);
    }
    let mut problems = Vec::new();
    let mut tenants = Vec::with_capacity(paths.len());
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        let Some(name) = path
            .file_stem()
            .and_then(OsStr::to_str)
            .filter(|stem| is_directory_name(stem))
        else {
            problems.push(
                Diagnostic::error(format!("tenant file {} has no usable file stem for its output directory", path.display()))
                    .help("name tenant files with ASCII letters, digits, `.`, `_` and `-`, not starting with `.`, such as acme.yaml"),
            );
            continue;
        };
        if let Some(first) = by_name.get(name) {
            problems.push(Diagnostic::error(format!(
                "tenant files {} and {} would both render into the directory {name}",
                first.display(),
                path.display()
            )));
            continue;
        }
        by_name.insert(name.to_owned(), path.clone());
        tenants.push(Tenant {
            name: name.to_owned(),
            path,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if tenants.is_empty() {
        let place = args
            .tenants_dir
            .as_ref()
            .map_or_else(String::new, |dir| format!(" in {}", dir.display()));
        return Err(vec![
            Diagnostic::error(format!("no tenant files found{place}"))
                .help("tenant files end in .yaml or .yml"),
        ]);
    }
    Ok(tenants)
}

fn list_tenant_files(tenants_dir: &Path) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let cannot_read = |error: std::io::Error| {
        vec![Diagnostic::error(format!(
            "cannot read the tenants directory {}: {error}",
            tenants_dir.display()
        ))]
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(tenants_dir).map_err(cannot_read)? {
        let entry = entry.map_err(cannot_read)?;
        let path = entry.path();
        let is_yaml = path
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml");
        let is_hidden = entry.file_name().to_string_lossy().starts_with('.');
        // A broken link or a directory named like a tenant file is kept, so
        // that its render fails by name and --prune leaves its output alone.
        if is_yaml && !is_hidden {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Accepts ASCII letters, digits, `.`, `_` and `-`, not starting with `.`.
fn is_directory_name(stem: &str) -> bool {
    !stem.is_empty()
        && !stem.starts_with('.')
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Run<'_> {
    /// Renders every tenant on `workers` threads and returns how many failed.
    fn render_all(&self, tenants: &[Tenant], workers: usize) -> usize {
        let clashes = self.shared_domains(tenants, workers);
        let outcomes = for_each_tenant(tenants, workers, |index, tenant| {
            match clashes.get(&index) {
                Some(clash) => self.report_failure(
                    tenant,
                    std::slice::from_ref(clash),
                    &self.unchanged(tenant),
                ),
                None => self.render_tenant(tenant),
            }
        });
        outcomes.iter().filter(|(_, succeeded)| !succeeded).count()
    }

    /// Finds the tenants that share a mail domain, because their servers
    /// would overwrite each other's DNS records, and returns an error for each.
    fn shared_domains(&self, tenants: &[Tenant], workers: usize) -> BTreeMap<usize, Diagnostic> {
        let domains = for_each_tenant(tenants, workers, |_, tenant| {
            let mut inputs = self.args.values.inputs.clone();
            inputs.push(Input::File(tenant.path.clone()));
            // A tenant whose values do not load fails later with the full
            // report.
            let (loaded, _) = crate::values::load_all(&inputs, &mut std::io::empty());
            loaded
                .map(|loaded| loaded.values.domain.primary)
                .filter(|domain| !domain.is_empty())
        });
        let mut by_domain: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, domain) in domains {
            if let Some(domain) = domain {
                by_domain.entry(domain).or_default().push(index);
            }
        }
        let mut clashes = BTreeMap::new();
        for (domain, mut indexes) in by_domain {
            if indexes.len() < 2 {
                continue;
            }
            indexes.sort_unstable();
            let files: Vec<String> = indexes
                .iter()
                .map(|&index| tenants[index].path.display().to_string())
                .collect();
            for &index in &indexes {
                clashes.insert(
                    index,
                    Diagnostic::error(format!(
                        "the tenant files {} {} have the domain {domain}",
                        files.join(if files.len() == 2 { " and " } else { ", " }),
                        if files.len() == 2 { "both" } else { "all" }
                    ))
                    .help("give each tenant its own domain: two servers for one domain would overwrite each other's MX, SPF, DMARC and DKIM records"),
                );
            }
        }
        clashes
    }

    /// Returns the end of a failure summary: the tenant's directory was
    /// left unchanged.
    fn unchanged(&self, tenant: &Tenant) -> String {
        format!(
            "{} was left unchanged",
            self.output_dir.join(&tenant.name).display()
        )
    }

    /// Renders one tenant into its directory and reports the outcome.
    /// Returns whether it succeeded.
    fn render_tenant(&self, tenant: &Tenant) -> bool {
        let target = self.output_dir.join(&tenant.name);
        let unchanged = self.unchanged(tenant);
        let mut diagnostics = Vec::new();
        let namespace = self
            .args
            .tenants
            .namespace_from_file_stem
            .then(|| tenant.name.clone());
        if namespace.is_some() && !is_dns_label(&tenant.name) {
            diagnostics.push(
                Diagnostic::error(format!("the file stem {:?} is not a valid namespace, so --namespace-from-file-stem cannot use it", tenant.name))
                    .help("rename the file to a DNS-1123 label (lowercase letters, digits and `-`) followed by .yaml"),
            );
            return self.report_failure(tenant, &diagnostics, &unchanged);
        }

        let mut inputs = self.args.values.inputs.clone();
        inputs.push(Input::File(tenant.path.clone()));
        let options = RenderOptions {
            release_name: self.args.values.release_name.clone(),
            namespace,
            smoke: self.args.values.smoke,
        };
        let outcome = render_layers(&inputs, &options, self.templates, &mut std::io::empty());
        diagnostics.extend(outcome.diagnostics);
        let Some(rendered) = outcome.rendered else {
            return self.report_failure(tenant, &diagnostics, &unchanged);
        };
        let files = match select_objects(&rendered.objects, &self.args.show_only) {
            Ok(selected) => dir::files_for(&selected),
            Err(problem) => {
                diagnostics.push(problem);
                return self.report_failure(tenant, &diagnostics, &unchanged);
            }
        };
        drop(rendered);
        if let Err(error) = dir::write_dir(&target, &files) {
            diagnostics.push(Diagnostic::error(error.to_string()));
            return self.report_failure(tenant, &diagnostics, &unchanged);
        }
        self.report_warnings(tenant, &diagnostics);
        true
    }

    /// Removes the output directories that stalwart-tenant wrote for
    /// tenants that are not in `tenants`, and returns whether every removal
    /// succeeded. Hidden entries (the staging trees of a running render),
    /// files and directories it did not write are left alone.
    fn prune(&self, tenants: &[Tenant]) -> bool {
        let current: HashSet<&str> = tenants.iter().map(|t| t.name.as_str()).collect();
        let entries = match std::fs::read_dir(self.output_dir) {
            Ok(entries) => entries,
            Err(error) => {
                self.printer.diagnostics(
                    &[Diagnostic::error(format!(
                        "cannot read the output directory {} to remove deleted tenants: {error}",
                        self.output_dir.display()
                    ))],
                    None,
                );
                return false;
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.') && !current.contains(name.as_str()))
            .collect();
        names.sort();
        let mut succeeded = true;
        for name in names {
            let path = self.output_dir.join(&name);
            match dir::remove_generated(&path) {
                Ok(true) => self.printer.message(&format!(
                    "stalwart-tenant: removed {}: no tenant file {name}.yaml or {name}.yml is left",
                    path.display()
                )),
                Ok(false) => {}
                Err(error) => {
                    self.printer
                        .diagnostics(&[Diagnostic::error(error.to_string())], None);
                    succeeded = false;
                }
            }
        }
        succeeded
    }

    fn report_failure(&self, tenant: &Tenant, diagnostics: &[Diagnostic], unchanged: &str) -> bool {
        let summary = format!(
            "error: tenant {}: render failed with {}; {unchanged}",
            tenant.path.display(),
            count_errors(diagnostics)
        );
        self.printer.diagnostics(diagnostics, Some(&summary));
        false
    }

    /// Prints the warnings and notes of a successful tenant that no earlier
    /// tenant printed.
    fn report_warnings(&self, tenant: &Tenant, diagnostics: &[Diagnostic]) {
        let fresh: Vec<Diagnostic> = {
            let mut printed = self
                .printed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            diagnostics
                .iter()
                .filter(|d| d.severity != Severity::Error && printed.insert(d.to_string()))
                .cloned()
                .collect()
        };
        if !fresh.is_empty() {
            let summary = format!(
                "tenant {}: rendered with warnings (each one is printed only for the first tenant that has it)",
                tenant.path.display()
            );
            self.printer.diagnostics(&fresh, Some(&summary));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_name_rules() {
        assert!(is_directory_name("acme"));
        assert!(is_directory_name("acme.example_2-b"));
        assert!(!is_directory_name(""));
        assert!(!is_directory_name(".hidden"));
        assert!(!is_directory_name("a b"));
        assert!(!is_directory_name("ümlaut"));
    }

    #[test]
    fn worker_count_is_bounded_by_tenants() {
        assert_eq!(worker_count(Some(8), 3), 3);
        assert_eq!(worker_count(Some(2), 300), 2);
        assert_eq!(worker_count(None, 0), 1);
    }
}
