//! `--set PATH=VALUE` and `--set-string PATH=VALUE`.
//!
//! PATH is dotted keys with list indices (`mailboxes.groups[0].name`); a
//! key that itself contains a dot escapes it (`commonLabels.team\.io/owner`).
//! `--set` reads VALUE as YAML (`25` is an integer, `[a, b]` a list, `null`
//! deletes the key); `--set-string` keeps it a string. One flag sets one
//! path, so commas in values need no escaping.

use std::sync::Arc;

use super::node::{Entry, Node, PathSegment, Value, display_path, parse_yaml};
use crate::diagnostic::{Diagnostic, Location, SourceText};

/// One `--set` or `--set-string` flag.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub path: Vec<PathSegment>,
    pub value: Node,
    pub source: Arc<SourceText>,
}

/// Parses `PATH=VALUE`. `flag` names the flag in messages (`--set`).
pub fn parse_assignment(
    text: &str,
    flag: &str,
    keep_string: bool,
) -> Result<Assignment, Diagnostic> {
    let source = SourceText::new(format!("{flag} {text}"), text);
    let at = |column: usize| {
        Some(Location {
            source: Arc::clone(&source),
            line: 1,
            column,
        })
    };
    let Some(equals) = find_unescaped_equals(text) else {
        return Err(
            Diagnostic::error(format!("invalid {flag} `{text}`: expected PATH=VALUE"))
                .help(format!("for example {flag} stalwart.replicas=1")),
        );
    };
    let (path_text, value_text) = (&text[..equals], &text[equals + 1..]);
    let path = parse_path(path_text).map_err(|(message, column)| {
        Diagnostic::error(format!("invalid path in {flag}: {message}"))
            .at(at(column))
            .help("write keys separated by dots and list indices in brackets, e.g. mailboxes.groups[0].name")
    })?;
    let value_column = text[..=equals].chars().count() + 1;
    // `PATH=` sets an empty string, as `--set-string` would; `PATH=null` deletes.
    let value = if keep_string || value_text.is_empty() {
        Node::new(
            Value::String(value_text.to_owned()),
            Location {
                source: Arc::clone(&source),
                line: 1,
                column: value_column,
            },
        )
    } else {
        let value_source = SourceText::new(format!("{flag} {text}"), value_text);
        let mut node = parse_yaml(&value_source).map_err(|problems| {
            let message = problems
                .first()
                .map_or_else(|| "invalid YAML".to_owned(), |p| p.message.clone());
            Diagnostic::error(format!("invalid value in {flag} {path_text}: {message}"))
                .at(at(value_column))
                .help(format!(
                    "use --set-string {path_text}=... to pass the text as a string"
                ))
        })?;
        shift_columns(&mut node, &source, value_column - 1);
        node
    };
    Ok(Assignment {
        path,
        value,
        source,
    })
}

fn find_unescaped_equals(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in text.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '=' if !escaped => return Some(index),
            _ => escaped = false,
        }
    }
    None
}

/// Parses `a.b[0].c`, with `\.`, `\[` and `\\` escapes inside keys.
fn parse_path(text: &str) -> Result<Vec<PathSegment>, (String, usize)> {
    let mut segments = Vec::new();
    let mut key = String::new();
    let mut key_started = false;
    let mut chars = text.chars().enumerate().peekable();
    while let Some((index, c)) = chars.next() {
        let column = index + 1;
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => {
                    key.push(escaped);
                    key_started = true;
                }
                None => return Err(("the path ends with a lone backslash".to_owned(), column)),
            },
            '.' => {
                if !key_started {
                    return Err((
                        "empty key (two dots in a row, or a leading dot)".to_owned(),
                        column,
                    ));
                }
                segments.push(PathSegment::Key(std::mem::take(&mut key)));
                key_started = false;
                if chars.peek().is_none() {
                    return Err(("the path ends with a dot".to_owned(), column));
                }
            }
            '[' => {
                if key_started {
                    segments.push(PathSegment::Key(std::mem::take(&mut key)));
                    key_started = false;
                } else if segments.is_empty() {
                    return Err(("a path starts with a key, not an index".to_owned(), column));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, d)) if d.is_ascii_digit() => digits.push(d),
                        _ => {
                            return Err((
                                "a list index is written [N] with a number N".to_owned(),
                                column,
                            ));
                        }
                    }
                }
                let index = digits.parse::<usize>().map_err(|_| {
                    (
                        "a list index is written [N] with a number N".to_owned(),
                        column,
                    )
                })?;
                segments.push(PathSegment::Index(index));
                if let Some((_, next)) = chars.peek() {
                    if *next == '.' {
                        chars.next();
                        if chars.peek().is_none() {
                            return Err(("the path ends with a dot".to_owned(), column));
                        }
                    } else if *next != '[' {
                        return Err(("expected `.` or `[` after a list index".to_owned(), column));
                    }
                }
            }
            _ => {
                key.push(c);
                key_started = true;
            }
        }
    }
    if key_started {
        segments.push(PathSegment::Key(key));
    }
    if segments.is_empty() {
        return Err(("the path is empty".to_owned(), 1));
    }
    Ok(segments)
}

fn shift_columns(node: &mut Node, source: &Arc<SourceText>, offset: usize) {
    node.location.source = Arc::clone(source);
    if node.location.line == 1 {
        node.location.column += offset;
    }
    match &mut node.value {
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|item| shift_columns(item, source, offset)),
        Value::Map(entries) => {
            for entry in entries {
                entry.key_location.source = Arc::clone(source);
                if entry.key_location.line == 1 {
                    entry.key_location.column += offset;
                }
                shift_columns(&mut entry.value, source, offset);
            }
        }
        _ => {}
    }
}

/// Applies an assignment to the merged tree. Missing mappings on the way
/// are created; a list index may address an existing item or append one.
pub fn apply(tree: &mut Node, assignment: Assignment) -> Result<(), Diagnostic> {
    let location = Location {
        source: Arc::clone(&assignment.source),
        line: 1,
        column: 1,
    };
    let mut node = tree;
    let count = assignment.path.len();
    for (depth, segment) in assignment.path.iter().enumerate() {
        let last = depth + 1 == count;
        let here = display_path(&assignment.path[..=depth]);
        match segment {
            PathSegment::Key(key) => {
                if matches!(node.value, Value::Null) {
                    node.value = Value::Map(Vec::new());
                }
                let kind = node.value.kind();
                let Value::Map(entries) = &mut node.value else {
                    return Err(Diagnostic::error(format!(
                        "cannot set `{here}`: its parent is a {kind}, not a mapping"
                    ))
                    .at(Some(location)));
                };
                let position = entries.iter().position(|e| &e.key == key);
                if last {
                    match (position, &assignment.value.value) {
                        (Some(index), Value::Null) => {
                            entries.remove(index);
                        }
                        (None, Value::Null) => {}
                        (Some(index), _) => {
                            entries[index].value = assignment.value;
                            entries[index].key_location = location;
                        }
                        (None, _) => entries.push(Entry {
                            key: key.clone(),
                            key_location: location,
                            value: assignment.value,
                        }),
                    }
                    return Ok(());
                }
                let index = if let Some(index) = position {
                    index
                } else {
                    entries.push(Entry {
                        key: key.clone(),
                        key_location: location.clone(),
                        value: Node::new(Value::Null, location.clone()),
                    });
                    entries.len() - 1
                };
                node = &mut entries[index].value;
            }
            PathSegment::Index(index) => {
                if matches!(node.value, Value::Null) {
                    node.value = Value::Seq(Vec::new());
                }
                let kind = node.value.kind();
                let Value::Seq(items) = &mut node.value else {
                    return Err(Diagnostic::error(format!(
                        "cannot set `{here}`: its parent is a {kind}, not a list"
                    ))
                    .at(Some(location)));
                };
                if *index > items.len() {
                    return Err(Diagnostic::error(format!(
                        "cannot set `{here}`: the list has {} item{}; use index {} to append",
                        items.len(),
                        if items.len() == 1 { "" } else { "s" },
                        items.len()
                    ))
                    .at(Some(location)));
                }
                if *index == items.len() {
                    items.push(Node::new(Value::Null, location.clone()));
                }
                if last {
                    items[*index] = assignment.value;
                    return Ok(());
                }
                node = &mut items[*index];
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(path: &[PathSegment]) -> String {
        display_path(path)
    }

    #[test]
    fn parses_dotted_path_with_index() {
        let assignment =
            parse_assignment("mailboxes.groups[0].name=sales", "--set", false).unwrap();
        assert_eq!(keys(&assignment.path), "mailboxes.groups[0].name");
        assert_eq!(assignment.value.to_json(), serde_json::json!("sales"));
    }

    #[test]
    fn escaped_dot_stays_in_key() {
        let assignment =
            parse_assignment(r"stalwart.settings.queue\.strategy\.tls=x", "--set", false).unwrap();
        assert_eq!(assignment.path.len(), 3);
        assert_eq!(
            assignment.path[2],
            PathSegment::Key("queue.strategy.tls".to_owned())
        );
    }

    #[test]
    fn set_types_value_set_string_keeps_text() {
        let typed = parse_assignment("a=25", "--set", false).unwrap();
        assert_eq!(typed.value.to_json(), serde_json::json!(25));
        let text = parse_assignment("a=25", "--set-string", true).unwrap();
        assert_eq!(text.value.to_json(), serde_json::json!("25"));
    }

    #[test]
    fn value_may_contain_equals_and_commas() {
        let assignment = parse_assignment("a=x=1,y=2", "--set-string", true).unwrap();
        assert_eq!(assignment.value.to_json(), serde_json::json!("x=1,y=2"));
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "=1", "a..b=1", ".a=1", "a.=1", "a[x]=1", "[0]=1", "a[0]b=1", "novalue",
        ] {
            assert!(
                parse_assignment(bad, "--set", false).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn apply_creates_and_appends() {
        let source = SourceText::new("t", "a: {}\n");
        let mut tree = parse_yaml(&source).unwrap();
        apply(
            &mut tree,
            parse_assignment("a.b.c=1", "--set", false).unwrap(),
        )
        .unwrap();
        apply(
            &mut tree,
            parse_assignment("a.list[0].name=x", "--set", false).unwrap(),
        )
        .unwrap();
        assert_eq!(
            tree.to_json(),
            serde_json::json!({"a": {"b": {"c": 1}, "list": [{"name": "x"}]}})
        );
        let error = apply(
            &mut tree,
            parse_assignment("a.list[5]=y", "--set", false).unwrap(),
        )
        .unwrap_err();
        assert!(
            error.message.contains("use index 1 to append"),
            "{}",
            error.message
        );
    }

    #[test]
    fn apply_null_deletes() {
        let source = SourceText::new("t", "a: {b: 1, c: 2}\n");
        let mut tree = parse_yaml(&source).unwrap();
        apply(
            &mut tree,
            parse_assignment("a.b=null", "--set", false).unwrap(),
        )
        .unwrap();
        assert_eq!(tree.to_json(), serde_json::json!({"a": {"c": 2}}));
    }
}
