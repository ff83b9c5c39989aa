//! A YAML tree that remembers where every key and value came from.
//!
//! Values files are parsed into this tree (not straight into the typed
//! model) so that several files and `--set` flags can be layered first and
//! every problem found afterwards can still point at the file, line and
//! column that caused it.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostic::{Location, SourceText};

/// A value with the place it was written.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One key of a mapping, with the place the key was written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_location: Location,
    pub value: Node,
}

impl Value {
    /// Names the kind of value for messages (`expected integer, found string`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }
}

impl Node {
    #[must_use]
    pub fn new(value: Value, location: Location) -> Self {
        Self { value, location }
    }

    /// Returns the entry `key` of a mapping node.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// Follows a path of keys and list indices.
    #[must_use]
    pub fn find(&self, path: &[PathSegment]) -> Option<&Node> {
        let mut node = self;
        for segment in path {
            node = match (segment, &node.value) {
                (PathSegment::Key(key), Value::Map(_)) => node.get(key)?,
                (PathSegment::Index(index), Value::Seq(items)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Returns where the key at the end of `path` was written, or where its
    /// value was written for list items; falls back to the nearest ancestor
    /// that exists, so a missing value still points somewhere useful.
    #[must_use]
    pub fn locate(&self, path: &[PathSegment]) -> Option<Location> {
        let mut node = self;
        let mut location = None;
        for segment in path {
            match (segment, &node.value) {
                (PathSegment::Key(key), Value::Map(entries)) => {
                    let entry = entries.iter().find(|e| &e.key == key)?;
                    location = Some(entry.key_location.clone());
                    node = &entry.value;
                }
                (PathSegment::Index(index), Value::Seq(items)) => {
                    node = items.get(*index)?;
                    location = Some(node.location.clone());
                }
                _ => return location,
            }
        }
        location
    }

    /// Removes the entry at `path`, if it exists.
    pub fn remove(&mut self, path: &[PathSegment]) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = self;
        for segment in parents {
            node = match (segment, &mut node.value) {
                (PathSegment::Key(key), Value::Map(entries)) => {
                    match entries.iter_mut().find(|e| &e.key == key) {
                        Some(entry) => &mut entry.value,
                        None => return,
                    }
                }
                (PathSegment::Index(index), Value::Seq(items)) => match items.get_mut(*index) {
                    Some(item) => item,
                    None => return,
                },
                _ => return,
            };
        }
        if let (PathSegment::Key(key), Value::Map(entries)) = (last, &mut node.value) {
            entries.retain(|e| &e.key != key);
        }
    }

    /// Converts the tree to JSON for serde, dropping the locations.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// One step of a value path: a mapping key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// Formats a value path the way users write it: `a.b[0].c`. Keys that
/// contain a dot are quoted (`stalwart.settings["queue.strategy.tls"]`).
#[must_use]
pub fn display_path(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Key(key) if key.contains('.') || key.is_empty() => {
                let _ = write!(out, "[{}]", serde_json::Value::String(key.clone()));
            }
            PathSegment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathSegment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

/// Parses a dotted path such as `dns.powerdns.zone` into segments. Used for
/// paths written in the code, never for user input (see `values::set`).
#[must_use]
pub fn path(dotted: &str) -> Vec<PathSegment> {
    dotted
        .split('.')
        .map(|key| PathSegment::Key(key.to_owned()))
        .collect()
}

/// The YAML parse result before locations are attached to a source.
enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<RawKey>, Spanned<RawValue>)>),
}

/// A mapping key: YAML allows any scalar, values files use strings, so
/// numbers and booleans are kept in their written form.
struct RawKey(Result<String, &'static str>);

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawValueVisitor)
    }
}

struct RawValueVisitor;

impl<'de> Visitor<'de> for RawValueVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("the integer {v} is too large")))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("the integer {v} is too large")))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        i64::try_from(v)
            .map(RawValue::Int)
            .map_err(|_| E::custom(format!("the integer {v} is too large")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::String(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<RawValue, E> {
        Err(E::custom(
            "binary values (!!binary) are not supported in values files",
        ))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawValue>>()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawKey>>()? {
            let value = map.next_value::<Spanned<RawValue>>()?;
            entries.push((key, value));
        }
        Ok(RawValue::Map(entries))
    }
}

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = match RawValue::deserialize(deserializer)? {
            RawValue::String(s) => Ok(s),
            RawValue::Int(i) => Ok(i.to_string()),
            RawValue::Bool(b) => Ok(b.to_string()),
            RawValue::Float(x) => Ok(x.to_string()),
            RawValue::Null => Err("null"),
            RawValue::Seq(_) => Err("a list"),
            RawValue::Map(_) => Err("a mapping"),
        };
        Ok(RawKey(key))
    }
}

/// A YAML problem found while building the tree.
#[derive(Debug)]
pub struct ParseProblem {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Parses one YAML document into a located tree. An empty document is `Null`.
pub fn parse_yaml(source: &Arc<SourceText>) -> Result<Node, Vec<ParseProblem>> {
    let raw: Spanned<RawValue> = match serde_saphyr::from_str(&source.text) {
        Ok(raw) => raw,
        Err(error) => {
            let (line, column) = error.location().map_or((0, 0), |l| {
                (
                    usize::try_from(l.line()).unwrap_or(0),
                    usize::try_from(l.column()).unwrap_or(0),
                )
            });
            return Err(vec![ParseProblem {
                message: describe_yaml_error(&error),
                line,
                column,
            }]);
        }
    };
    let mut problems = Vec::new();
    let node = attach(raw, source, &mut problems);
    if problems.is_empty() {
        Ok(node)
    } else {
        Err(problems)
    }
}

/// Takes the first line of serde-saphyr's message: the rest is its own
/// snippet, and the caller prints a snippet of its own. Duplicate keys and
/// breached parser limits get messages of their own, because serde-saphyr
/// words them for the programmer who calls it (`set DuplicateKeyPolicy in
/// Options`, `budget breached: Depth { depth: 65 }`).
fn describe_yaml_error(error: &serde_saphyr::Error) -> String {
    let mut original = error;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = original
    {
        original = error;
    }
    match original {
        serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => {
            return format!("duplicate key `{key}` in a mapping; each key may appear once");
        }
        serde_saphyr::Error::DuplicateMappingKey { key: None, .. } => {
            return "duplicate key in a mapping; each key may appear once".to_owned();
        }
        serde_saphyr::Error::Budget { breach, .. } => return describe_budget_breach(breach),
        serde_saphyr::Error::RecursiveReferencesRequireWeakTypes { .. } => {
            return "an alias refers to the anchor that contains it, which would make the value endless".to_owned();
        }
        serde_saphyr::Error::NonFiniteFloat { value, .. } => {
            return format!(
                "`{value}` is not a finite number; values files take finite numbers only (quote it to make it a string)"
            );
        }
        _ => {}
    }
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    // serde-saphyr appends " at line N, column M"; the location is printed separately.
    let message = match first.find(" at line ") {
        Some(at) => &first[..at],
        None => first,
    };
    // The YAML scanner's own nesting limit, met before the budget's.
    if message == "recursion limit exceeded" {
        return "the document nests lists and mappings more deeply than a values file may (64 levels)".to_owned();
    }
    if message.contains("from_str_multiple") {
        return "a values file holds one YAML document, but this one has several (separated by `---`)".to_owned();
    }
    message.to_owned()
}

/// Words a breached serde-saphyr limit (its default `Budget`) for the
/// author of a values file.
fn describe_budget_breach(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach;
    match breach {
        BudgetBreach::Depth { depth } => {
            format!(
                "the document nests lists and mappings {depth} levels deep, more than the 64 levels a values file may use"
            )
        }
        BudgetBreach::Nodes { nodes } => format!(
            "the document has more than {} values after expanding its aliases; aliases are bounded so that an alias bomb cannot exhaust memory",
            nodes.saturating_sub(1)
        ),
        BudgetBreach::Events { events } => format!(
            "the document has more than {} YAML events, far more than a values file needs",
            events.saturating_sub(1)
        ),
        BudgetBreach::Aliases { aliases } => format!(
            "the document uses more than {} aliases (`*name`)",
            aliases.saturating_sub(1)
        ),
        BudgetBreach::Anchors { anchors } => format!(
            "the document defines more than {} anchors (`&name`)",
            anchors.saturating_sub(1)
        ),
        other => format!("the document is too large or too complex for a values file ({other:?})"),
    }
}

fn location_of(source: &Arc<SourceText>, location: serde_saphyr::Location) -> Location {
    Location {
        source: Arc::clone(source),
        line: usize::try_from(location.line()).unwrap_or(0),
        column: usize::try_from(location.column()).unwrap_or(0),
    }
}

fn attach(
    raw: Spanned<RawValue>,
    source: &Arc<SourceText>,
    problems: &mut Vec<ParseProblem>,
) -> Node {
    let location = location_of(source, raw.referenced);
    let value = match raw.value {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::Float(x) => Value::Float(x),
        RawValue::String(s) => Value::String(s),
        RawValue::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|item| attach(item, source, problems))
                .collect(),
        ),
        RawValue::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let key_location = location_of(source, key.referenced);
                match key.value.0 {
                    Ok(name) => out.push(Entry {
                        key: name,
                        key_location,
                        value: attach(value, source, problems),
                    }),
                    Err(kind) => problems.push(ParseProblem {
                        message: format!("a mapping key must be a string, found {kind}"),
                        line: key_location.line,
                        column: key_location.column,
                    }),
                }
            }
            Value::Map(out)
        }
    };
    Node::new(value, location)
}
