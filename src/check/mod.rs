//! Output checks: every rendered document parsed back and checked against its Kubernetes type.
//!
//! Text templates can emit YAML that looks right and is wrong: a mis-indented
//! block, a duplicated key, a misspelled field that the API server drops
//! without a word. [`check_documents`] parses each rendered document again,
//! deserializes it into the type of its kind (k8s-openapi for built-in kinds,
//! the structs in [`crds`] for custom resources) and reports every problem it
//! finds, so the renderer can refuse to write anything.

pub mod crds;
mod kinds;
mod limits;
mod path;
mod yaml;

use std::cell::OnceCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use serde_json::{Map, Value};

pub use kinds::EMITTED_KINDS;
pub use limits::{CLIENT_SIDE_APPLY_MAX_BYTES, MAX_NAME_LENGTH, OBJECT_MAX_BYTES};

use kinds::check_kind;
use path::{FieldPath, Segment};
use yaml::LineIndex;

/// One YAML document of a template's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedDocument {
    /// Template that produced the document, such as `templates/statefulset.yaml`.
    pub template: String,
    /// 1-based line of the template's output where the document starts.
    pub line: usize,
    /// YAML of the document, without the leading `---`.
    pub text: String,
}

/// An object that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedObject {
    pub template: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The parsed document, as the API server would receive it.
    pub value: Value,
}

/// A problem in a rendered object: a bug in the product, or an object too
/// large to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    pub template: String,
    /// `Kind/name`, when the document has both a kind and a name.
    pub object: Option<String>,
    /// Field path such as `spec.template.spec.containers[0].imagePullPolicyy`.
    pub path: Option<String>,
    /// 1-based line in the template's output.
    pub line: Option<usize>,
    pub message: String,
    /// Whether the object is over a size limit, which large values cause
    /// rather than a template bug.
    pub too_large: bool,
}

impl fmt::Display for CheckError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.template)?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
        }
        if let Some(object) = &self.object {
            write!(formatter, ": {object}")?;
        }
        if let Some(path) = &self.path {
            write!(formatter, ": {path}")?;
        }
        if self.too_large {
            write!(formatter, ": object too large: {}", self.message)
        } else {
            write!(
                formatter,
                ": internal error, stalwart-tenant rendered an invalid manifest: {}",
                self.message
            )
        }
    }
}

impl std::error::Error for CheckError {}

/// Checks every rendered document and returns the objects, or every error
/// found in any of them.
///
/// Documents that contain only comments are skipped. Each other document must
/// be one object of a kind the product emits and match that kind's type with
/// no unknown fields. Its name must be valid, its size within the limits, and
/// its kind, namespace and name must differ from those of every other object.
pub fn check_documents(docs: &[RenderedDocument]) -> Result<Vec<CheckedObject>, Vec<CheckError>> {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    let mut first_seen: HashMap<(String, Option<String>, String), (String, usize)> = HashMap::new();

    for doc in docs {
        let Some(object) = check_document(doc, &mut errors) else {
            continue;
        };

        let identity = (
            object.kind.clone(),
            object.namespace.clone(),
            object.name.clone(),
        );
        match first_seen.entry(identity) {
            Entry::Occupied(first) => {
                let (first_template, first_line) = first.get();
                errors.push(CheckError {
                    template: doc.template.clone(),
                    object: Some(object_label(&object.kind, &object.name)),
                    path: Some("metadata.name".to_owned()),
                    line: Some(doc.line),
                    message: format!(
                        "another object has the same kind, namespace and name \
                         ({first_template}:{first_line}); the second one would overwrite it"
                    ),
                    too_large: false,
                });
            }
            Entry::Vacant(slot) => {
                slot.insert((doc.template.clone(), doc.line));
            }
        }
        objects.push(object);
    }

    if errors.is_empty() {
        Ok(objects)
    } else {
        Err(errors)
    }
}

/// Checks one document, appends its errors to `errors`, and returns the object
/// when the document names one (even if other checks failed).
fn check_document(doc: &RenderedDocument, errors: &mut Vec<CheckError>) -> Option<CheckedObject> {
    if yaml::is_blank(&doc.text) {
        return None;
    }

    let value = match yaml::parse(&doc.text) {
        Ok(value) => value,
        Err(error) => {
            errors.push(CheckError {
                template: doc.template.clone(),
                object: None,
                path: None,
                line: Some(template_line(doc, error.line.unwrap_or(1))),
                message: format!("invalid YAML: {}", error.message),
                too_large: false,
            });
            return None;
        }
    };

    let mut report = Reporter::new(doc, errors);
    let Value::Object(fields) = &value else {
        report.push(
            None,
            None,
            format!(
                "the document is {}, not a mapping; each document must be one Kubernetes object",
                json_type(&value)
            ),
        );
        return None;
    };

    let identity = read_identity(fields, &mut report)?;
    let object = Some(object_label(&identity.kind, &identity.name));

    let name_problem = if identity.kind == "Service" {
        limits::dns1035_label_problem(&identity.name)
    } else {
        limits::dns1123_label_problem(&identity.name)
    };
    if let Some(problem) = name_problem {
        report.push(
            object.clone(),
            Some(key_path(&["metadata", "name"])),
            problem,
        );
    }
    if let Some(problem) = identity
        .namespace
        .as_deref()
        .and_then(limits::dns1123_label_problem)
    {
        let problem = problem.replace("the name", "the namespace");
        report.push(
            object.clone(),
            Some(key_path(&["metadata", "namespace"])),
            problem,
        );
    }

    for problem in check_kind(&identity.api_version, &identity.kind, &value) {
        report.push(object.clone(), problem.path, problem.message);
    }

    if let Some(problem) = limits::size_problem(&value) {
        report.push(object, None, problem);
        if let Some(error) = report.errors.last_mut() {
            error.too_large = true;
        }
    }

    Some(CheckedObject {
        template: doc.template.clone(),
        api_version: identity.api_version,
        kind: identity.kind,
        name: identity.name,
        namespace: identity.namespace,
        value,
    })
}

struct Identity {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// Reads `apiVersion`, `kind`, `metadata.name` and `metadata.namespace`,
/// reporting each one that is missing or not a string.
fn read_identity(fields: &Map<String, Value>, report: &mut Reporter<'_>) -> Option<Identity> {
    let api_version = required_string(fields, "apiVersion", &["apiVersion"], report);
    let kind = required_string(fields, "kind", &["kind"], report);
    let metadata = match fields.get("metadata") {
        Some(Value::Object(metadata)) => Some(metadata),
        Some(other) => {
            let message = format!("metadata is {}, not a mapping", json_type(other));
            report.push(None, Some(key_path(&["metadata"])), message);
            None
        }
        None => {
            let message = "missing metadata; every object needs metadata.name".to_owned();
            report.push(None, None, message);
            None
        }
    };
    let name = metadata
        .and_then(|metadata| required_string(metadata, "name", &["metadata", "name"], report));
    // A namespace that is not a string is reported by the type check.
    let namespace = metadata
        .and_then(|metadata| metadata.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_owned);

    Some(Identity {
        api_version: api_version?,
        kind: kind?,
        name: name?,
        namespace,
    })
}

fn required_string(
    fields: &Map<String, Value>,
    key: &str,
    path: &[&str],
    report: &mut Reporter<'_>,
) -> Option<String> {
    let dotted = path.join(".");
    match fields.get(key) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            let message = format!("{dotted} is {}, not a string", json_type(other));
            report.push(None, Some(key_path(path)), message);
            None
        }
        None => {
            report.push(None, None, format!("missing {dotted}"));
            None
        }
    }
}

/// Collects the errors of one document, giving each the template line of its field.
struct Reporter<'a> {
    doc: &'a RenderedDocument,
    errors: &'a mut Vec<CheckError>,
    // Parsed on the first error with a path only, because it parses the document a second time.
    lines: OnceCell<Option<LineIndex>>,
}

impl<'a> Reporter<'a> {
    fn new(doc: &'a RenderedDocument, errors: &'a mut Vec<CheckError>) -> Self {
        Reporter {
            doc,
            errors,
            lines: OnceCell::new(),
        }
    }

    fn push(&mut self, object: Option<String>, path: Option<FieldPath>, message: String) {
        let line_in_text = path.as_ref().and_then(|path| {
            self.lines
                .get_or_init(|| LineIndex::parse(&self.doc.text))
                .as_ref()
                .and_then(|index| index.line_of(path))
        });
        let line = line_in_text.map_or(self.doc.line, |line| template_line(self.doc, line));
        self.errors.push(CheckError {
            template: self.doc.template.clone(),
            object,
            path: path.map(|path| path.to_string()),
            line: Some(line),
            message,
            too_large: false,
        });
    }
}

/// Converts a 1-based line of the document text to a line of the template's output.
fn template_line(doc: &RenderedDocument, line_in_text: usize) -> usize {
    doc.line.saturating_add(line_in_text.saturating_sub(1))
}

fn object_label(kind: &str, name: &str) -> String {
    format!("{kind}/{}", name.escape_debug())
}

fn key_path(keys: &[&str]) -> FieldPath {
    FieldPath(
        keys.iter()
            .map(|key| Segment::Key((*key).to_owned()))
            .collect(),
    )
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(line: usize, text: &str) -> RenderedDocument {
        RenderedDocument {
            template: "templates/test.yaml".to_owned(),
            line,
            text: text.to_owned(),
        }
    }

    #[test]
    fn display_full_error_one_line() {
        let error = CheckError {
            template: "templates/statefulset.yaml".to_owned(),
            object: Some("StatefulSet/stalwart".to_owned()),
            path: Some("spec.replicas".to_owned()),
            line: Some(12),
            message: "bad".to_owned(),
            too_large: false,
        };

        assert_eq!(
            error.to_string(),
            "templates/statefulset.yaml:12: StatefulSet/stalwart: spec.replicas: \
             internal error, stalwart-tenant rendered an invalid manifest: bad"
        );
    }

    #[test]
    fn display_without_optional_parts() {
        let error = CheckError {
            template: "templates/a.yaml".to_owned(),
            object: None,
            path: None,
            line: None,
            message: "bad".to_owned(),
            too_large: false,
        };

        assert_eq!(
            error.to_string(),
            "templates/a.yaml: internal error, stalwart-tenant rendered an invalid manifest: bad"
        );
    }

    #[test]
    fn unknown_field_line_in_template() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labelz: {}\n";

        let errors = check_documents(&[doc(10, text)]).unwrap_err();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(14));
        assert_eq!(errors[0].path.as_deref(), Some("metadata.labelz"));
    }

    #[test]
    fn missing_identity_all_reported() {
        let errors = check_documents(&[doc(1, "metadata: {}\n")]).unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();

        assert_eq!(
            messages,
            [
                "missing apiVersion",
                "missing kind",
                "missing metadata.name"
            ]
        );
    }

    #[test]
    fn service_name_starting_with_digit() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: 1st-web\n";

        let errors = check_documents(&[doc(1, text)]).unwrap_err();

        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("DNS-1035"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn invalid_namespace_reported() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: Mail\n";

        let errors = check_documents(&[doc(1, text)]).unwrap_err();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path.as_deref(), Some("metadata.namespace"));
        assert!(
            errors[0].message.contains("the namespace"),
            "{}",
            errors[0].message
        );
    }
}
