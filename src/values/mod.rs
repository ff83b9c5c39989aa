//! Tenant values: reading files and flags, layering them over the embedded
//! defaults, and turning the result into the typed [`Values`].
//!
//! Every problem in every input is collected and returned together, each
//! with the file, line and column it came from.

pub mod merge;
pub mod model;
pub mod node;
pub mod schema_check;
pub mod set;
pub mod suggest;
pub mod validate;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use model::Values;
use node::{Entry, Node, PathSegment, Value, parse_yaml};

use crate::diagnostic::{Diagnostic, Location, SourceText};

/// The embedded defaults, `values.yaml` at the repository root.
pub const DEFAULT_VALUES: &str = include_str!("../../values.yaml");

/// The source name of the embedded defaults in messages and locations.
pub const DEFAULTS_SOURCE_NAME: &str = "values.yaml (embedded defaults)";

/// Values files larger than this are rejected before parsing.
pub const MAX_VALUES_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One layer of values, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A values file; `-` is standard input.
    File(PathBuf),
    /// `--set PATH=VALUE`: the value is read as YAML.
    Set(String),
    /// `--set-string PATH=VALUE`: the value is kept a string.
    SetString(String),
}

/// The result of loading: the typed values and the merged tree they came
/// from, which still records where each value was written.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub values: Values,
    pub tree: Node,
}

impl Loaded {
    /// Returns where the value at `path` was set, for messages.
    #[must_use]
    pub fn locate(&self, path: &[PathSegment]) -> Option<Location> {
        self.tree.locate(path)
    }
}

/// Loads the defaults and every input, in order, and types the result.
/// `stdin` is read for an input file named `-`.
pub fn load(inputs: &[Input], stdin: &mut dyn Read) -> Result<Loaded, Vec<Diagnostic>> {
    match load_all(inputs, stdin) {
        (Some(loaded), errors) if errors.is_empty() => Ok(loaded),
        (_, errors) => Err(errors),
    }
}

/// Loads like [`load`], but also returns the typed values when the only
/// problems are unknown keys (they are dropped), so that a caller such as
/// `lint` can go on to report the problems the later stages find too.
pub fn load_all(inputs: &[Input], stdin: &mut dyn Read) -> (Option<Loaded>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut tree = default_tree().clone();
    let mut stdin_used = false;
    let mut deletions: merge::Deletions = Vec::new();
    for input in inputs {
        match input {
            Input::File(path) => {
                let is_stdin = path.as_os_str() == "-";
                if is_stdin && std::mem::replace(&mut stdin_used, true) {
                    errors.push(Diagnostic::error(
                        "standard input (`-f -`) can be read only once",
                    ));
                    continue;
                }
                match read_values_file(path, stdin).and_then(|source| parse_source(&source)) {
                    Ok(layer) => merge::merge(&mut tree, layer, &mut deletions),
                    Err(mut problems) => errors.append(&mut problems),
                }
            }
            Input::Set(text) | Input::SetString(text) => {
                let (flag, keep_string) = match input {
                    Input::Set(_) => ("--set", false),
                    _ => ("--set-string", true),
                };
                let applied =
                    set::parse_assignment(text, flag, keep_string).and_then(|mut assignment| {
                        // `--set domain=acme.example` is short for domain.primary.
                        if assignment.path == [PathSegment::Key("domain".to_owned())]
                            && matches!(assignment.value.value, Value::String(_))
                        {
                            assignment.path.push(PathSegment::Key("primary".to_owned()));
                        }
                        let deleted = matches!(assignment.value.value, Value::Null).then(|| {
                            (
                                node::display_path(&assignment.path),
                                assignment.value.location.clone(),
                            )
                        });
                        set::apply(&mut tree, assignment)?;
                        deletions.extend(deleted);
                        Ok(())
                    });
                if let Err(problem) = applied {
                    errors.push(problem);
                }
            }
        }
    }
    let report = schema_check::check(&tree, &check_schema().0, &check_schema().0);
    let mut schema_errors = report.errors;
    let only_unknown_keys = schema_errors.len() == report.unknown_keys.len();
    for error in &mut schema_errors {
        // A required key removed by a `null` points at that `null`.
        if let Some((_, location)) = deletions
            .iter()
            .rev()
            .find(|(path, _)| error.message == format!("missing value `{path}`"))
        {
            error.location = Some(location.clone());
            error.help = vec![
                "this `null` removed the key, and it has no other default: give it a value instead"
                    .to_owned(),
            ];
        }
    }
    let can_type = errors.is_empty() && only_unknown_keys;
    // Report in file order: the walk follows the merged tree, whose order is the defaults'.
    schema_errors.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            d.location
                .as_ref()
                .map(|l| (l.source.name.clone(), l.line, l.column))
        };
        key(a).cmp(&key(b))
    });
    errors.extend(schema_errors);
    if !can_type {
        return (None, errors);
    }
    for path in &report.unknown_keys {
        tree.remove(path);
    }
    let values: Values = match serde_json::from_value(tree.to_json()) {
        Ok(values) => values,
        Err(error) => {
            errors.push(Diagnostic::error(format!("invalid values: {error}")));
            return (None, errors);
        }
    };
    let loaded = Loaded { values, tree };
    let problems = validate::validate(&loaded);
    let shape_errors = problems.iter().any(Diagnostic::is_error);
    errors.extend(problems);
    if shape_errors {
        return (None, errors);
    }
    (Some(loaded), errors)
}

struct CheckSchema(serde_json::Value);

fn check_schema() -> &'static CheckSchema {
    static SCHEMA: OnceLock<CheckSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        CheckSchema(serde_json::to_value(schemars::schema_for!(Values)).unwrap_or_default())
    })
}

/// Returns the JSON Schema of a tenant values file: the typed model, with
/// nothing required (a tenant file sets only what differs from the
/// defaults) and `domain` allowed as a plain string.
#[must_use]
pub fn values_file_schema() -> serde_json::Value {
    let mut schema = check_schema().0.clone();
    // A list in a tenant file replaces the default list whole, so its items
    // get no defaults. Their types keep their required fields; every other
    // key may be left to the defaults.
    let item_types = list_item_types(&schema);
    match schema.as_object_mut() {
        Some(root) => {
            for (name, definition) in root.iter_mut() {
                if name != "$defs" {
                    remove_required(definition);
                }
            }
            root.remove("required");
            if let Some(serde_json::Value::Object(definitions)) = root.get_mut("$defs") {
                for (name, definition) in definitions.iter_mut() {
                    if !item_types.contains(name) {
                        remove_required(definition);
                    }
                }
            }
        }
        None => remove_required(&mut schema),
    }
    if let Some(domain) = schema.pointer_mut("/properties/domain") {
        let map_form = domain.take();
        *domain = serde_json::json!({
            "description": "The tenant's mail domain: a plain string is short for {primary: <string>}.",
            "anyOf": [{"type": "string"}, map_form]
        });
    }
    schema
}

/// Returns the names of the `$defs` types used as list items, and of every
/// type reachable from them.
fn list_item_types(schema: &serde_json::Value) -> std::collections::BTreeSet<String> {
    fn references(value: &serde_json::Value, inside_items: bool, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    if key == "$ref" && inside_items {
                        if let Some(name) = child.as_str().and_then(|r| r.strip_prefix("#/$defs/"))
                        {
                            found.push(name.to_owned());
                        }
                    } else {
                        references(child, inside_items || key == "items", found);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    references(item, inside_items, found);
                }
            }
            _ => {}
        }
    }
    let mut pending = Vec::new();
    references(schema, false, &mut pending);
    let mut types = std::collections::BTreeSet::new();
    while let Some(name) = pending.pop() {
        if types.insert(name.clone())
            && let Some(definition) = schema.pointer(&format!("/$defs/{name}"))
        {
            references(definition, true, &mut pending);
        }
    }
    types
}

fn remove_required(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            map.remove("required");
            map.values_mut().for_each(remove_required);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(remove_required),
        _ => {}
    }
}

fn default_tree() -> &'static Node {
    static TREE: OnceLock<Node> = OnceLock::new();
    TREE.get_or_init(|| {
        let source = SourceText::new(DEFAULTS_SOURCE_NAME, DEFAULT_VALUES);
        // The defaults are checked by a unit test; an empty tree here would
        // surface as "missing value" errors rather than a panic.
        parse_yaml(&source).unwrap_or_else(|_| {
            Node::new(
                Value::Map(Vec::new()),
                Location {
                    source,
                    line: 0,
                    column: 0,
                },
            )
        })
    })
}

/// Reads a values file (or stdin for `-`), enforcing the size limit and UTF-8.
fn read_values_file(path: &Path, stdin: &mut dyn Read) -> Result<Arc<SourceText>, Vec<Diagnostic>> {
    let is_stdin = path.as_os_str() == "-";
    let name = if is_stdin {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let too_large = || {
        vec![
            Diagnostic::error(format!(
                "{name} is larger than {} MiB",
                MAX_VALUES_FILE_BYTES / (1024 * 1024)
            ))
            .help("a tenant values file is a few kilobytes; check that the right file was given"),
        ]
    };
    let mut bytes = Vec::new();
    let result = if is_stdin {
        stdin
            .take(MAX_VALUES_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        match std::fs::File::open(path) {
            Ok(file) => {
                if file
                    .metadata()
                    .is_ok_and(|m| m.is_file() && m.len() > MAX_VALUES_FILE_BYTES)
                {
                    return Err(too_large());
                }
                if file.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(vec![Diagnostic::error(format!(
                        "cannot read values file {name}: it is a directory"
                    ))]);
                }
                file.take(MAX_VALUES_FILE_BYTES + 1).read_to_end(&mut bytes)
            }
            Err(error) => Err(error),
        }
    };
    if let Err(error) = result {
        return Err(vec![Diagnostic::error(format!(
            "cannot read values file {name}: {}",
            io_reason(&error)
        ))]);
    }
    if bytes.len() as u64 > MAX_VALUES_FILE_BYTES {
        return Err(too_large());
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceText::new(name, text)),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes());
            let before = &text[..text
                .char_indices()
                .nth(offset)
                .map_or(text.len(), |(i, _)| i)];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(vec![
                Diagnostic::error(format!("{name} is not valid UTF-8 (byte offset {offset})"))
                    .at(Some(Location {
                        source: SourceText::new(name.clone(), text.into_owned()),
                        line,
                        column,
                    }))
                    .help("save the values file as UTF-8 text"),
            ])
        }
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

/// Parses one values file into a tree and normalises `domain: <string>`.
fn parse_source(source: &Arc<SourceText>) -> Result<Node, Vec<Diagnostic>> {
    let mut node = parse_yaml(source).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                Diagnostic::error(format!("invalid YAML in {}: {}", source.name, p.message)).at(
                    Some(Location {
                        source: Arc::clone(source),
                        line: p.line,
                        column: p.column,
                    }),
                )
            })
            .collect::<Vec<_>>()
    })?;
    match &mut node.value {
        Value::Map(entries) => {
            for entry in entries.iter_mut().filter(|e| e.key == "domain") {
                if let Value::String(primary) = &entry.value.value {
                    let location = entry.value.location.clone();
                    entry.value = Node::new(
                        Value::Map(vec![Entry {
                            key: "primary".to_owned(),
                            key_location: location.clone(),
                            value: Node::new(Value::String(primary.clone()), location.clone()),
                        }]),
                        location,
                    );
                }
            }
            Ok(node)
        }
        Value::Null => Ok(node),
        other => Err(vec![
            Diagnostic::error(format!(
                "{} must hold a mapping of values at its top level, found {}",
                source.name,
                other.kind()
            ))
            .at(Some(node.location.clone())),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_type() {
        let loaded = load(&[], &mut std::io::empty()).unwrap();
        assert_eq!(loaded.values.stalwart.image.tag, "v0.15.5");
        assert_eq!(loaded.values.domain.primary, "");
    }

    #[test]
    fn defaults_have_a_comment_per_key() {
        // Every key line in values.yaml is preceded by a comment line or opens a group.
        let lines: Vec<&str> = DEFAULT_VALUES.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed.starts_with("- ")
                || line.starts_with("      ") && lines[index - 1].trim_start().starts_with("- ")
            {
                continue;
            }
            let opens_group = trimmed.ends_with(':');
            let previous = lines[..index]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .copied()
                .unwrap_or("");
            assert!(
                opens_group || previous.trim_start().starts_with('#'),
                "values.yaml line {} has no comment above it: {line}",
                index + 1
            );
        }
    }
}
