//! Checks a merged values tree against the JSON Schema of the typed model.
//!
//! serde stops at the first unknown field; this walk collects every unknown
//! key, wrong type and invalid choice in one pass, each with the file, line
//! and column it came from and, for names, a did-you-mean suggestion.

use serde_json::{Map as JsonMap, Value as Json};

use super::node::{Node, PathSegment, Value, display_path};
use super::suggest::closest;
use crate::diagnostic::Diagnostic;

/// The result of a check: every problem, and the paths of the unknown
/// keys among them (which can be removed to type the rest).
pub struct Report {
    pub errors: Vec<Diagnostic>,
    pub unknown_keys: Vec<Vec<PathSegment>>,
}

/// Walks `node` against `schema` (whose `$ref`s point into `root`).
#[must_use]
pub fn check(node: &Node, schema: &Json, root: &Json) -> Report {
    let mut walker = Walker {
        root,
        errors: Vec::new(),
        unknown_keys: Vec::new(),
    };
    walker.walk(node, schema, &mut Vec::new());
    Report {
        errors: walker.errors,
        unknown_keys: walker.unknown_keys,
    }
}

struct Walker<'a> {
    root: &'a Json,
    errors: Vec<Diagnostic>,
    unknown_keys: Vec<Vec<PathSegment>>,
}

impl<'a> Walker<'a> {
    fn resolve(&self, mut schema: &'a Json) -> &'a Json {
        // schemars emits local references only: "#/$defs/Name".
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
                break;
            };
            let Some(name) = reference.strip_prefix("#/$defs/") else {
                break;
            };
            match self.root.get("$defs").and_then(|defs| defs.get(name)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }

    fn walk(&mut self, node: &Node, schema: &'a Json, path: &mut Vec<PathSegment>) {
        let schema = self.resolve(schema);
        if schema == &Json::Bool(true) {
            return;
        }
        if let Some(branches) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Json::as_array)
        {
            self.walk_alternatives(node, schema, branches, path);
            return;
        }
        if let Some(choices) = schema.get("enum").and_then(Json::as_array) {
            self.check_choice(node, choices, path);
            return;
        }
        if let Some(constant) = schema.get("const") {
            self.check_choice(node, std::slice::from_ref(constant), path);
            return;
        }
        if !type_matches(node, schema) {
            self.errors.push(type_error(node, schema, path));
            return;
        }
        match &node.value {
            Value::Map(_) => self.walk_map(node, schema, path),
            Value::Seq(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        path.push(PathSegment::Index(index));
                        self.walk(item, item_schema, path);
                        path.pop();
                    }
                }
            }
            Value::Int(value) => self.check_range(node, *value, schema, path),
            _ => {}
        }
    }

    /// An untagged choice (`domain` as a string or a mapping, a setting as a
    /// scalar, a list or an expression block): the first branch without
    /// errors wins. Otherwise the errors of the branch with the node's shape
    /// and the fewest errors are reported, or a type error if no branch has
    /// the node's shape.
    fn walk_alternatives(
        &mut self,
        node: &Node,
        schema: &'a Json,
        branches: &'a [Json],
        path: &mut Vec<PathSegment>,
    ) {
        let mut closest_branch: Option<Vec<Diagnostic>> = None;
        // A choice among constants: report the full list at once.
        let constants: Option<Vec<Vec<Json>>> = branches
            .iter()
            .map(|b| {
                let branch = self.resolve(b);
                branch
                    .get("const")
                    .map(|c| vec![c.clone()])
                    .or_else(|| branch.get("enum").and_then(Json::as_array).cloned())
            })
            .collect();
        if let Some(choices) = constants.map(|lists| lists.concat()) {
            self.check_choice(node, &choices, path);
            return;
        }
        for branch in branches {
            let mut trial = Walker {
                root: self.root,
                errors: Vec::new(),
                unknown_keys: Vec::new(),
            };
            trial.walk(node, branch, path);
            if trial.errors.is_empty() {
                return;
            }
            let resolved = self.resolve(branch);
            let same_shape = resolved.get("type").is_some() && type_matches(node, resolved);
            if same_shape
                && closest_branch
                    .as_ref()
                    .is_none_or(|errors| trial.errors.len() < errors.len())
            {
                closest_branch = Some(trial.errors);
            }
        }
        if let Some(mut errors) = closest_branch {
            self.errors.append(&mut errors);
            return;
        }
        let expected = describe_alternatives(self, schema);
        self.errors.push(
            Diagnostic::error(format!(
                "`{}` has the wrong type: expected {expected}, found {}",
                display_path(path),
                describe_value(node)
            ))
            .at(Some(node.location.clone())),
        );
    }

    fn check_choice(&mut self, node: &Node, choices: &[Json], path: &[PathSegment]) {
        let json = node.to_json();
        if choices.contains(&json) {
            return;
        }
        let names: Vec<String> = choices
            .iter()
            .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_owned))
            .collect();
        let mut diagnostic = Diagnostic::error(format!(
            "`{}` must be one of {}, found {}",
            display_path(path),
            names.join(", "),
            describe_value(node)
        ))
        .at(Some(node.location.clone()));
        match &node.value {
            Value::String(found) => {
                if let Some(suggestion) = closest(found, names.iter().map(String::as_str)) {
                    diagnostic = diagnostic.help(format!("did you mean `{suggestion}`?"));
                }
            }
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let written = json.to_string();
                if names.contains(&written) {
                    diagnostic = diagnostic.help(format!(
                        "YAML reads {written} as a number or boolean; quote it: \"{written}\""
                    ));
                }
            }
            _ => {}
        }
        self.errors.push(diagnostic);
    }

    fn check_range(&mut self, node: &Node, value: i64, schema: &Json, path: &[PathSegment]) {
        let minimum = schema.get("minimum").and_then(Json::as_i64);
        let maximum = schema.get("maximum").and_then(Json::as_i64);
        if minimum.is_some_and(|min| value < min) || maximum.is_some_and(|max| value > max) {
            self.errors.push(
                Diagnostic::error(format!(
                    "`{}` is out of range: {value} is not between {} and {}",
                    display_path(path),
                    minimum.map_or("-∞".to_owned(), |m| m.to_string()),
                    maximum.map_or("∞".to_owned(), |m| m.to_string())
                ))
                .at(Some(node.location.clone())),
            );
        }
    }

    fn walk_map(&mut self, node: &Node, schema: &'a Json, path: &mut Vec<PathSegment>) {
        static EMPTY: std::sync::OnceLock<JsonMap<String, Json>> = std::sync::OnceLock::new();
        let Value::Map(entries) = &node.value else {
            return;
        };
        let properties = schema
            .get("properties")
            .and_then(Json::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(JsonMap::new));
        let additional = schema.get("additionalProperties");
        for entry in entries {
            path.push(PathSegment::Key(entry.key.clone()));
            if let Some(property) = properties.get(&entry.key) {
                self.walk(&entry.value, property, path);
            } else {
                match additional {
                    Some(Json::Bool(false)) => {
                        self.unknown_keys.push(path.clone());
                        let mut diagnostic =
                            Diagnostic::error(format!("unknown key `{}`", display_path(path)))
                                .at(Some(entry.key_location.clone()));
                        if let Some(suggestion) =
                            closest(&entry.key, properties.keys().map(String::as_str))
                        {
                            let mut suggested = path.clone();
                            suggested.pop();
                            suggested.push(PathSegment::Key(suggestion.to_owned()));
                            diagnostic = diagnostic
                                .help(format!("did you mean `{}`?", display_path(&suggested)));
                        } else {
                            let known: Vec<&str> = properties.keys().map(String::as_str).collect();
                            diagnostic =
                                diagnostic.help(format!("valid keys here: {}", known.join(", ")));
                        }
                        self.errors.push(diagnostic);
                    }
                    Some(additional) if additional.is_object() => {
                        self.walk(&entry.value, additional, path);
                    }
                    _ => {}
                }
            }
            path.pop();
        }
        if let Some(required) = schema.get("required").and_then(Json::as_array) {
            for name in required.iter().filter_map(Json::as_str) {
                if !entries.iter().any(|e| e.key == name) {
                    path.push(PathSegment::Key(name.to_owned()));
                    self.errors.push(
                        Diagnostic::error(format!("missing value `{}`", display_path(path)))
                            .at(Some(node.location.clone()))
                            .help("this key is required here and has no default: give it a value"),
                    );
                    path.pop();
                }
            }
        }
    }
}

fn describe_alternatives(walker: &Walker<'_>, schema: &Json) -> String {
    let branches = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Json::as_array);
    let mut kinds: Vec<String> = Vec::new();
    for branch in branches.into_iter().flatten() {
        let kind = expected_kind(walker.resolve(branch));
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.join(" or ")
}

fn type_names(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(name)) => vec![name.as_str()],
        Some(Json::Array(names)) => names.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    }
}

fn type_matches(node: &Node, schema: &Json) -> bool {
    let names = type_names(schema);
    if names.is_empty() {
        return true;
    }
    names.iter().any(|name| {
        matches!(
            (*name, &node.value),
            ("null", Value::Null)
                | ("boolean", Value::Bool(_))
                | ("integer" | "number", Value::Int(_))
                | ("number", Value::Float(_))
                | ("string", Value::String(_))
                | ("array", Value::Seq(_))
                | ("object", Value::Map(_))
        )
    })
}

fn expected_kind(schema: &Json) -> String {
    if schema.get("enum").is_some() || schema.get("const").is_some() {
        return "one of the listed choices".to_owned();
    }
    let names = type_names(schema);
    let words: Vec<&str> = names
        .iter()
        .filter(|name| **name != "null")
        .map(|name| match *name {
            "boolean" => "a boolean (true or false)",
            "integer" => "an integer",
            "number" => "a number",
            "string" => "a string",
            "array" => "a list",
            "object" => "a mapping",
            other => other,
        })
        .collect();
    if words.is_empty() {
        "a value".to_owned()
    } else {
        words.join(" or ")
    }
}

fn type_error(node: &Node, schema: &Json, path: &[PathSegment]) -> Diagnostic {
    let expected = expected_kind(schema);
    let mut diagnostic = Diagnostic::error(format!(
        "`{}` has the wrong type: expected {expected}, found {}",
        display_path(path),
        describe_value(node)
    ))
    .at(Some(node.location.clone()));
    if type_names(schema).contains(&"string")
        && matches!(node.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
    {
        diagnostic = diagnostic.help("quote the value to make it a string, e.g. \"1.0\"");
    }
    if matches!(node.value, Value::Null) {
        diagnostic = diagnostic
            .help("`null` removes a key only inside free-form maps; give this key a value");
    }
    if matches!(node.value, Value::String(_))
        && node.location.source.name.starts_with("--set-string")
        && type_names(schema)
            .iter()
            .any(|name| matches!(*name, "integer" | "number" | "boolean"))
    {
        diagnostic = diagnostic
            .help("--set-string always gives a string; use --set for numbers and booleans");
    }
    // YAML reads `025`, `25.0` and `2.5e1` as numbers that are not integers.
    if type_names(schema).contains(&"integer")
        && matches!(node.value, Value::Float(x) if x.is_finite() && x.fract() == 0.0)
    {
        diagnostic = diagnostic.help(
            "write the whole number in plain digits, without a leading zero, decimal point or exponent",
        );
    }
    diagnostic
}

/// Describes a value for a message: its kind and, for scalars, its text.
#[must_use]
pub fn describe_value(node: &Node) -> String {
    match &node.value {
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let ellipsis = if s.chars().count() > 60 { "…" } else { "" };
            format!("string {}{ellipsis}", serde_json::Value::String(shown))
        }
        Value::Int(i) => format!("integer {i}"),
        Value::Float(x) => format!("number {x}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Null => "null".to_owned(),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}
