//! Argo CD config-management plugin (CMP v2) mode.
//!
//! The sidecar's `argocd-cmp-server` runs `stalwart-tenant argocd-generate`
//! (or the binary with no arguments) in the Application's source directory.
//! This module maps the environment Argo CD sets into the same render that
//! the flags give, and prints the YAML stream to stdout:
//!
//! | Source | Meaning |
//! |---|---|
//! | `ARGOCD_APP_NAMESPACE` | `--namespace` (the Application's destination namespace) |
//! | `ARGOCD_ENV_VALUES_FILES` | values files, comma-separated, applied first |
//! | `ARGOCD_ENV_RELEASE_NAME` | `--release-name` |
//! | parameter `values-files` (array) | values files, applied after `ARGOCD_ENV_VALUES_FILES` |
//! | parameter `set` (array of `PATH=VALUE`, or map) | `--set`, applied after every values file |
//! | parameter `set-string` (array or map) | `--set-string`, applied last |
//! | parameter `release-name` (string) | `--release-name`, over `ARGOCD_ENV_RELEASE_NAME` |
//!
//! Argo CD passes the parameters twice: as the JSON array
//! `ARGOCD_APP_PARAMETERS` and as `PARAM_<NAME>` variables (`PARAM_SET_0`,
//! `PARAM_SET_IMAGE_TAG` for a map key). The JSON is read when it is set,
//! because the variable names lose the case and punctuation of map keys.
//! Without it, the `PARAM_` variables are read and map parameters are
//! rejected. `ARGOCD_APP_NAME` is not used: Application names are unique
//! across an Argo CD instance, so they usually repeat the tenant name that
//! the namespace already carries, and the release name stays `stalwart`.
//!
//! Values files must stay inside the repository: absolute paths and paths
//! that resolve outside it are rejected, so an Application cannot make the
//! plugin read (and echo in its errors) other files of the sidecar.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;

use super::printer::Printer;
use super::render::{self, RenderArgs};
use super::tenants::TenantArgs;
use super::{EXIT_INVALID, ValueArgs};
use crate::output::Format;
use crate::values::Input;

/// The parameter names the plugin reads, as announced in plugin.yaml.
const VALUES_FILES: &str = "values-files";
const SET: &str = "set";
const SET_STRING: &str = "set-string";
const RELEASE_NAME: &str = "release-name";

/// The release name when neither a parameter nor `ARGOCD_ENV_RELEASE_NAME` sets one.
const DEFAULT_RELEASE_NAME: &str = "stalwart";

/// The render that the Argo CD environment requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRequest {
    pub namespace: Option<String>,
    pub release_name: String,
    /// Values files (as given, relative to the source directory), then
    /// `--set` and `--set-string` layers, in the order they apply.
    pub inputs: Vec<Input>,
}

/// The plugin parameters, from either `ARGOCD_APP_PARAMETERS` or `PARAM_*`.
#[derive(Debug, Default)]
struct Parameters {
    values_files: Vec<String>,
    set: Vec<String>,
    set_string: Vec<String>,
    release_name: Option<String>,
}

/// One item of `ARGOCD_APP_PARAMETERS`.
#[derive(Debug, Deserialize)]
struct JsonParameter {
    name: String,
    string: Option<String>,
    array: Option<Vec<String>>,
    map: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Returns whether a run without arguments is an Argo CD plugin run: the
/// repo server always sets `ARGOCD_APP_NAME` and `ARGOCD_APP_NAMESPACE`.
#[must_use]
pub fn is_plugin_environment() -> bool {
    std::env::var_os("ARGOCD_APP_NAME").is_some()
        || std::env::var_os("ARGOCD_APP_NAMESPACE").is_some()
}

/// Maps the Argo CD environment variables to a render request. Returns
/// every problem found, each a complete sentence.
pub fn request_from_env(vars: &BTreeMap<String, String>) -> Result<PluginRequest, Vec<String>> {
    let mut problems = Vec::new();
    let parameters = match vars
        .get("ARGOCD_APP_PARAMETERS")
        .filter(|json| !json.trim().is_empty())
    {
        Some(json) => parameters_from_json(json, &mut problems),
        None => parameters_from_variables(vars, &mut problems),
    };

    let mut files: Vec<String> = vars
        .get("ARGOCD_ENV_VALUES_FILES")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|file| !file.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    files.extend(parameters.values_files);
    for file in &files {
        if file == "-" {
            problems.push("values file `-` (standard input) is not available to the Argo CD plugin; name a file in the repository".to_owned());
        }
    }

    let mut inputs: Vec<Input> = files
        .into_iter()
        .map(|file| Input::File(PathBuf::from(file)))
        .collect();
    inputs.extend(parameters.set.into_iter().map(Input::Set));
    inputs.extend(parameters.set_string.into_iter().map(Input::SetString));

    let release_name = parameters
        .release_name
        .or_else(|| vars.get("ARGOCD_ENV_RELEASE_NAME").cloned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_RELEASE_NAME.to_owned());
    let namespace = vars
        .get("ARGOCD_APP_NAMESPACE")
        .filter(|namespace| !namespace.is_empty())
        .cloned();

    if problems.is_empty() {
        Ok(PluginRequest {
            namespace,
            release_name,
            inputs,
        })
    } else {
        Err(problems)
    }
}

fn parameters_from_json(json: &str, problems: &mut Vec<String>) -> Parameters {
    let mut parameters = Parameters::default();
    let items: Vec<JsonParameter> = match serde_json::from_str(json) {
        Ok(items) => items,
        Err(error) => {
            problems.push(format!("ARGOCD_APP_PARAMETERS is not a JSON array of {{name, string|array|map}} objects: {error}"));
            return parameters;
        }
    };
    for item in items {
        match item.name.as_str() {
            VALUES_FILES => parameters
                .values_files
                .extend(list_values(&item, false, problems)),
            SET => parameters.set.extend(list_values(&item, true, problems)),
            SET_STRING => parameters
                .set_string
                .extend(list_values(&item, true, problems)),
            RELEASE_NAME => match item.string {
                Some(name) => parameters.release_name = Some(name),
                None => problems.push(format!("parameter {RELEASE_NAME} must be a string")),
            },
            other => problems.push(unknown_parameter(other)),
        }
    }
    parameters
}

/// Returns the items of an array parameter. A string counts as one item,
/// and a map (for `set` and `set-string`) gives one `KEY=VALUE` per entry.
fn list_values(item: &JsonParameter, map_allowed: bool, problems: &mut Vec<String>) -> Vec<String> {
    let mut values = Vec::new();
    if let Some(text) = &item.string {
        values.push(text.clone());
    }
    if let Some(array) = &item.array {
        values.extend(array.iter().cloned());
    }
    if let Some(map) = &item.map {
        if !map_allowed {
            problems.push(format!(
                "parameter {} must be an array, not a map",
                item.name
            ));
        }
        for (key, value) in map {
            match value.as_str() {
                Some(text) if map_allowed => values.push(format!("{key}={text}")),
                Some(_) => {}
                None => problems.push(format!(
                    "parameter {} has a non-string value for the key {key:?}",
                    item.name
                )),
            }
        }
    }
    values
}

fn parameters_from_variables(
    vars: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> Parameters {
    let mut parameters = Parameters::default();
    let mut values_files = Vec::new();
    let mut set = Vec::new();
    let mut set_string = Vec::new();
    for (name, value) in vars
        .range("PARAM_".to_owned()..)
        .take_while(|(name, _)| name.starts_with("PARAM_"))
    {
        let rest = &name["PARAM_".len()..];
        if rest == "RELEASE_NAME" {
            parameters.release_name = Some(value.clone());
        } else if rest == "VALUES_FILES" {
            values_files.push((0, value.clone()));
        } else if let Some(index) = indexed(rest, "VALUES_FILES_") {
            values_files.push((index, value.clone()));
        } else if let Some(index) = indexed(rest, "SET_STRING_") {
            set_string.push((index, value.clone()));
        } else if let Some(index) = indexed(rest, "SET_") {
            set.push((index, value.clone()));
        } else if rest.starts_with("SET_") {
            problems.push(format!(
                "{name}: a map-valued set or set-string parameter is read only from ARGOCD_APP_PARAMETERS, because the variable name loses the key's case and dots; give it as an array of PATH=VALUE items"
            ));
        } else {
            problems.push(unknown_parameter(name));
        }
    }
    for (list, target) in [
        (values_files, &mut parameters.values_files),
        (set, &mut parameters.set),
        (set_string, &mut parameters.set_string),
    ] {
        let mut list = list;
        list.sort_by_key(|(index, _)| *index);
        target.extend(list.into_iter().map(|(_, value)| value));
    }
    parameters
}

/// Parses the array index of `PARAM_<PREFIX><index>`.
fn indexed(rest: &str, prefix: &str) -> Option<u64> {
    let digits = rest.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn unknown_parameter(name: &str) -> String {
    format!(
        "unknown plugin parameter {name}; the plugin reads {VALUES_FILES}, {SET}, {SET_STRING} and {RELEASE_NAME}"
    )
}

/// Returns the repository root: the source directory `cwd` without the
/// trailing `ARGOCD_APP_SOURCE_PATH` components, or `cwd` when the source
/// path is unset or does not match.
fn repository_root(cwd: &Path, source_path: Option<&str>) -> PathBuf {
    let Some(source_path) = source_path.map(|path| Path::new(path.trim_matches('/'))) else {
        return cwd.to_path_buf();
    };
    let depth = source_path
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .count();
    if depth == 0 || !cwd.ends_with(source_path) {
        return cwd.to_path_buf();
    }
    cwd.ancestors().nth(depth).unwrap_or(cwd).to_path_buf()
}

/// Rejects values files that are absolute or resolve outside `root`.
/// Missing files pass, because the values loader reports them.
fn check_inside(inputs: &[Input], cwd: &Path, root: &Path) -> Vec<String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut problems = Vec::new();
    for input in inputs {
        let Input::File(path) = input else { continue };
        if path.is_absolute() {
            problems.push(format!("values file {} is an absolute path; give a path relative to the Application's source directory", path.display()));
            continue;
        }
        if let Ok(resolved) = cwd.join(path).canonicalize()
            && !resolved.starts_with(&root)
        {
            problems.push(format!(
                "values file {} resolves outside the repository ({})",
                path.display(),
                root.display()
            ));
        }
    }
    problems
}

/// Reads the environment, returning problems for non-UTF-8 variables whose
/// names the plugin reads.
fn environment() -> (BTreeMap<String, String>, Vec<String>) {
    let mut vars = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, value) in std::env::vars_os() {
        match (name.into_string(), value.into_string()) {
            (Ok(name), Ok(value)) => {
                vars.insert(name, value);
            }
            (Ok(name), Err(_)) if name.starts_with("PARAM_") || name.starts_with("ARGOCD_") => {
                problems.push(format!("environment variable {name} is not valid UTF-8"));
            }
            _ => {}
        }
    }
    (vars, problems)
}

/// Runs the plugin's generate command: renders the request to stdout.
#[must_use]
pub fn generate(printer: &Printer) -> ExitCode {
    let (vars, mut problems) = environment();
    let request = match request_from_env(&vars) {
        Ok(request) => Some(request),
        Err(mut found) => {
            problems.append(&mut found);
            None
        }
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if let Some(request) = &request {
        let root = repository_root(&cwd, vars.get("ARGOCD_APP_SOURCE_PATH").map(String::as_str));
        problems.extend(check_inside(&request.inputs, &cwd, &root));
    }
    let Some(request) = request.filter(|_| problems.is_empty()) else {
        printer.message("stalwart-tenant: error: the Argo CD plugin environment is invalid; nothing was written to stdout");
        for problem in &problems {
            printer.message(&format!("error: {problem}"));
        }
        return ExitCode::from(EXIT_INVALID);
    };
    let without_files = !request
        .inputs
        .iter()
        .any(|input| matches!(input, Input::File(_)));
    let args = RenderArgs {
        values: ValueArgs {
            values: Vec::new(),
            set: Vec::new(),
            set_string: Vec::new(),
            release_name: request.release_name,
            namespace: request.namespace,
            smoke: false,
            templates_dir: None,
            inputs: request.inputs,
        },
        output: Format::Yaml,
        show_only: Vec::new(),
        output_dir: None,
        tenants: TenantArgs::default(),
    };
    let code = render::run(&args, printer);
    if code != ExitCode::SUCCESS && without_files {
        printer.message(&format!(
            "note: the Application names no values file, so only the embedded defaults were read\n  = help: set the `{VALUES_FILES}` parameter, e.g. [tenants/acme.yaml], or the plugin env entry VALUES_FILES (ARGOCD_ENV_VALUES_FILES)"
        ));
    }
    code
}

/// Runs the plugin's discover command: prints the first tenant values file
/// (a YAML mapping with a top-level `domain` key) under the current
/// directory, or nothing. Argo CD uses the plugin when the output is not
/// empty. Hidden directories (`.git`) are skipped, and the walk covers
/// [`DISCOVER_MAX_DEPTH`] directory levels: the current directory and three
/// below it.
#[must_use]
pub fn discover(printer: &Printer) -> ExitCode {
    match find_tenant_file(Path::new(".")) {
        Some(path) => printer.data(&format!("{}\n", path.display())),
        None => ExitCode::SUCCESS,
    }
}

/// Directory levels `argocd-discover` searches, the current one included.
pub const DISCOVER_MAX_DEPTH: usize = 4;

fn find_tenant_file(start: &Path) -> Option<PathBuf> {
    let mut pending = vec![(start.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() && depth + 1 < DISCOVER_MAX_DEPTH {
                pending.push((path, depth + 1));
            } else if file_type.is_file() && is_tenant_file(&path) {
                return Some(
                    path.strip_prefix(start)
                        .map(Path::to_path_buf)
                        .unwrap_or(path),
                );
            }
        }
    }
    None
}

fn is_tenant_file(path: &Path) -> bool {
    let is_yaml = path
        .extension()
        .is_some_and(|extension| extension == "yaml" || extension == "yml");
    let small =
        std::fs::metadata(path).is_ok_and(|m| m.len() <= crate::values::MAX_VALUES_FILE_BYTES);
    if !is_yaml || !small {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    // Cheap filter before parsing: a top-level `domain:` key starts a line.
    if !text.lines().any(|line| line.starts_with("domain:")) {
        return false;
    }
    let source = crate::diagnostic::SourceText::new(path.display().to_string(), text);
    crate::values::node::parse_yaml(&source).is_ok_and(|node| match &node.value {
        crate::values::node::Value::Map(entries) => {
            entries.iter().any(|entry| entry.key == "domain")
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn param_variables_map_to_layers_in_order() {
        let request = request_from_env(&vars(&[
            ("ARGOCD_APP_NAMESPACE", "acme"),
            ("ARGOCD_ENV_VALUES_FILES", "base.yaml, platform.yaml"),
            ("PARAM_VALUES_FILES_10", "k.yaml"),
            ("PARAM_VALUES_FILES_0", "a.yaml"),
            ("PARAM_VALUES_FILES_2", "c.yaml"),
            ("PARAM_SET_0", "stalwart.image.tag=v0.15.5"),
            ("PARAM_SET_STRING_0", "dns.dmarc.rua=x@y"),
        ]))
        .unwrap();
        assert_eq!(request.namespace.as_deref(), Some("acme"));
        assert_eq!(request.release_name, "stalwart");
        assert_eq!(
            request.inputs,
            vec![
                Input::File("base.yaml".into()),
                Input::File("platform.yaml".into()),
                Input::File("a.yaml".into()),
                Input::File("c.yaml".into()),
                Input::File("k.yaml".into()),
                Input::Set("stalwart.image.tag=v0.15.5".into()),
                Input::SetString("dns.dmarc.rua=x@y".into()),
            ]
        );
    }

    #[test]
    fn json_parameters_win_over_param_variables() {
        let json = r#"[{"name":"values-files","array":["t.yaml"]},{"name":"set","map":{"stalwart.image.tag":"v1"}},{"name":"release-name","string":"mail"}]"#;
        let request = request_from_env(&vars(&[
            ("ARGOCD_APP_PARAMETERS", json),
            ("PARAM_VALUES_FILES_0", "t.yaml"),
            ("PARAM_SET_STALWART_IMAGE_TAG", "v1"),
        ]))
        .unwrap();
        assert_eq!(request.release_name, "mail");
        assert_eq!(
            request.inputs,
            vec![
                Input::File("t.yaml".into()),
                Input::Set("stalwart.image.tag=v1".into())
            ]
        );
    }

    #[test]
    fn release_name_from_env_entry() {
        let request = request_from_env(&vars(&[("ARGOCD_ENV_RELEASE_NAME", "mx")])).unwrap();
        assert_eq!(request.release_name, "mx");
        assert_eq!(request.namespace, None);
    }

    #[test]
    fn unknown_and_map_parameters_rejected() {
        let problems = request_from_env(&vars(&[
            ("PARAM_VALUE_FILES_0", "a.yaml"),
            ("PARAM_SET_IMAGE_TAG", "v1"),
        ]))
        .unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("ARGOCD_APP_PARAMETERS")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("unknown plugin parameter PARAM_VALUE_FILES_0"))
        );
        let problems = request_from_env(&vars(&[(
            "ARGOCD_APP_PARAMETERS",
            r#"[{"name":"value-files","array":["a"]}]"#,
        )]))
        .unwrap_err();
        assert!(problems[0].contains("unknown plugin parameter value-files"));
        let problems = request_from_env(&vars(&[("ARGOCD_APP_PARAMETERS", "{")])).unwrap_err();
        assert!(problems[0].starts_with("ARGOCD_APP_PARAMETERS is not a JSON array"));
    }

    #[test]
    fn stdin_rejected() {
        let problems = request_from_env(&vars(&[("PARAM_VALUES_FILES_0", "-")])).unwrap_err();
        assert!(problems[0].contains("standard input"));
    }

    #[test]
    fn repository_root_strips_source_path() {
        let cwd = Path::new("/tmp/work/repo/tenants/eu");
        assert_eq!(
            repository_root(cwd, Some("tenants/eu")),
            Path::new("/tmp/work/repo")
        );
        assert_eq!(repository_root(cwd, Some("other")), cwd);
        assert_eq!(repository_root(cwd, Some("")), cwd);
        assert_eq!(repository_root(cwd, None), cwd);
    }

    #[test]
    fn values_files_stay_inside_root() {
        let base = tempfile::tempdir().unwrap();
        let repo = base.path().join("repo");
        std::fs::create_dir_all(repo.join("tenants")).unwrap();
        std::fs::write(repo.join("common.yaml"), "{}").unwrap();
        std::fs::write(base.path().join("secret.yaml"), "{}").unwrap();
        let cwd = repo.join("tenants");
        let inputs = vec![Input::File("../common.yaml".into())];
        assert!(check_inside(&inputs, &cwd, &repo).is_empty());
        let outside = vec![
            Input::File("../../secret.yaml".into()),
            Input::File("/etc/hostname".into()),
        ];
        assert_eq!(check_inside(&outside, &cwd, &repo).len(), 2);
    }
}
