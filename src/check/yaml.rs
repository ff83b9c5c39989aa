//! Parsing a rendered document back from YAML, and finding the line of a field in it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Options, SnippetMode, Spanned, UserMessageFormatter};

use super::path::{FieldPath, Segment};

/// A document that failed to parse.
#[derive(Debug)]
pub struct ParseError {
    /// 1-based line within the document text, when the parser reports one.
    pub line: Option<usize>,
    /// The parser's message, without its line suffix.
    pub message: String,
}

/// Returns true when the document contains nothing but blank lines, comments and
/// YAML document end markers, which the renderer leaves behind when a
/// template's content is switched off.
pub fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "..."
    })
}

fn parser_options() -> Options {
    let mut options = Options::default();
    // Duplicate keys are errors (the default, stated here because the check relies on it).
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    // kubectl reads manifests as YAML 1.1, where a leading zero makes an
    // integer octal (`defaultMode: 0644` is 420). Parse the same way, so the
    // checked value is the one the API server receives.
    options.legacy_octal_numbers = true;
    options.with_snippet = false;
    options
}

/// Parses one document into a JSON value, rejecting invalid YAML and duplicate keys.
pub fn parse(text: &str) -> Result<serde_json::Value, ParseError> {
    serde_saphyr::from_str_with_options(text, parser_options()).map_err(|error| {
        let line = error
            .location()
            .and_then(|location| usize::try_from(location.line()).ok())
            .filter(|line| *line > 0);
        let render = serde_saphyr::render_options! {
            formatter: &UserMessageFormatter,
            snippets: SnippetMode::Off,
        };
        let mut message = error.render_with_options(render);
        // The caller reports the line in the template's numbering, so the
        // parser's own "at line L, column C" (document numbering) would mislead.
        if let Some(location) = error.location()
            && let Some(start) = message.rfind(" at line ")
            && message[start..].ends_with(&format!("column {}", location.column()))
        {
            let column = location.column();
            message.truncate(start);
            message = format!("{message} (column {column})");
        }
        // One error is one line of output.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        ParseError { line, message }
    })
}

/// Line numbers of the keys and sequence items of one parsed document.
pub struct LineIndex(LocatedNode);

impl LineIndex {
    /// Parses `text` again, this time keeping positions. Returns `None` when it does not parse.
    pub fn parse(text: &str) -> Option<Self> {
        serde_saphyr::from_str_with_options(text, parser_options())
            .ok()
            .map(LineIndex)
    }

    /// Finds the 1-based line, within the document text, of the field at
    /// `path`, or of its nearest ancestor present in the document.
    ///
    /// Returns `None` when not even the first step of the path is in the document.
    pub fn line_of(&self, path: &FieldPath) -> Option<usize> {
        let mut node = &self.0;
        let mut line = None;
        for segment in &path.0 {
            let found = match (node, segment) {
                (LocatedNode::Mapping(entries), Segment::Key(key)) => entries
                    .iter()
                    .find(|(entry_key, _)| entry_key.value == *key)
                    .map(|(entry_key, value)| (entry_key.referenced.line(), value)),
                (LocatedNode::Sequence(items), Segment::Index(index)) => items
                    .get(*index)
                    .map(|item| (item.referenced.line(), &item.value)),
                _ => None,
            };
            let Some((found_line, child)) = found else {
                break;
            };
            line = usize::try_from(found_line)
                .ok()
                .filter(|line| *line > 0)
                .or(line);
            node = child;
        }
        line
    }
}

/// A YAML node that keeps the position of each mapping key and sequence item.
enum LocatedNode {
    Mapping(Vec<(Spanned<String>, LocatedNode)>),
    Sequence(Vec<Spanned<LocatedNode>>),
    Scalar,
}

impl<'de> Deserialize<'de> for LocatedNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LocatedNodeVisitor)
    }
}

struct LocatedNodeVisitor;

impl<'de> Visitor<'de> for LocatedNodeVisitor {
    type Value = LocatedNode;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<LocatedNode, E> {
        Ok(LocatedNode::Scalar)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<LocatedNode, D::Error> {
        LocatedNode::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<LocatedNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = sequence.next_element::<Spanned<LocatedNode>>()? {
            items.push(item);
        }
        Ok(LocatedNode::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut mapping: A) -> Result<LocatedNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = mapping.next_key::<Spanned<String>>()? {
            let value = mapping.next_value::<LocatedNode>()?;
            entries.push((key, value));
        }
        Ok(LocatedNode::Mapping(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_path(keys: &[&str]) -> FieldPath {
        FieldPath(
            keys.iter()
                .map(|key| Segment::Key((*key).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn blank_document_comments_only() {
        assert!(is_blank("# Source: templates/a.yaml\n\n  # off\n"));
        assert!(is_blank(""));
        assert!(!is_blank("# Source: templates/a.yaml\nkind: Service\n"));
    }

    #[test]
    fn parse_reads_octal_as_kubectl_does() {
        let value = parse("mode: 0644\n").unwrap();

        assert_eq!(value["mode"], 420);
    }

    #[test]
    fn parse_duplicate_key_line() {
        let error = parse("a: 1\nb:\n  c: 2\n  c: 3\n").err().unwrap();

        assert_eq!(error.line, Some(4));
        assert!(error.message.contains("duplicate"), "{}", error.message);
        assert!(!error.message.contains("line 4"), "{}", error.message);
    }

    #[test]
    fn locate_nested_key_and_item() {
        let text = "a: 1\nspec:\n  items:\n  - name: x\n  - name: y\n    extra: z\n";
        let mut path = key_path(&["spec", "items"]);
        path.0.push(Segment::Index(1));
        path.0.push(Segment::Key("extra".to_owned()));

        assert_eq!(LineIndex::parse(text).unwrap().line_of(&path), Some(6));
    }

    #[test]
    fn locate_falls_back_to_ancestor() {
        let text = "a: 1\nspec:\n  b: 2\n";

        let index = LineIndex::parse(text).unwrap();

        assert_eq!(index.line_of(&key_path(&["spec", "missing"])), Some(2));
        assert_eq!(index.line_of(&key_path(&["nothing"])), None);
    }
}
