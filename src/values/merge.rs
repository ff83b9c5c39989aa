//! Layering: each values file or `--set` flag is applied over the result of
//! the ones before it. Mappings merge key by key, lists and scalars replace,
//! and `null` deletes a key.

use super::node::{Entry, Node, Value};
use crate::diagnostic::Location;

/// Keys deleted by a `null`, as dotted paths with the place of the `null`,
/// so a later "missing value" can point at the deletion.
pub type Deletions = Vec<(String, Location)>;

/// Merges `overlay` into `base`, recording deletions.
pub fn merge(base: &mut Node, overlay: Node, deletions: &mut Deletions) {
    merge_at(base, overlay, "", deletions);
}

fn merge_at(base: &mut Node, overlay: Node, prefix: &str, deletions: &mut Deletions) {
    match (&mut base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            for entry in overlay_entries {
                merge_entry(base_entries, entry, prefix, deletions);
            }
        }
        // An empty overlay file changes nothing.
        (_, Value::Null) => {}
        (_, value) => *base = Node::new(value, overlay.location),
    }
}

fn merge_entry(entries: &mut Vec<Entry>, overlay: Entry, prefix: &str, deletions: &mut Deletions) {
    let position = entries.iter().position(|e| e.key == overlay.key);
    let path = if prefix.is_empty() {
        overlay.key.clone()
    } else {
        format!("{prefix}.{}", overlay.key)
    };
    match (position, overlay.value.value) {
        (Some(index), Value::Null) => {
            entries.remove(index);
            deletions.push((path, overlay.value.location));
        }
        (None, Value::Null) => {}
        (Some(index), Value::Map(overlay_map))
            if matches!(entries[index].value.value, Value::Map(_)) =>
        {
            let existing = &mut entries[index];
            existing.key_location = overlay.key_location;
            merge_at(
                &mut existing.value,
                Node::new(Value::Map(overlay_map), overlay.value.location),
                &path,
                deletions,
            );
        }
        (Some(index), value) => {
            entries[index] = Entry {
                key: overlay.key,
                key_location: overlay.key_location,
                value: Node::new(value, overlay.value.location),
            };
        }
        (None, value) => entries.push(Entry {
            key: overlay.key,
            key_location: overlay.key_location,
            value: Node::new(strip_nulls(value), overlay.value.location),
        }),
    }
}

/// A mapping that is new to the base cannot delete anything, so its `null`
/// entries are dropped instead of kept as values.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .filter(|e| !matches!(e.value.value, Value::Null))
                .map(|e| Entry {
                    value: Node::new(strip_nulls(e.value.value), e.value.location),
                    ..e
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::merge;

    use crate::diagnostic::SourceText;
    use crate::values::node::parse_yaml;

    fn merge_test(base: &mut crate::values::node::Node, overlay: crate::values::node::Node) {
        merge(base, overlay, &mut Vec::new());
    }

    fn parse(text: &str) -> crate::values::node::Node {
        parse_yaml(&SourceText::new("test.yaml", text)).unwrap()
    }

    #[test]
    fn maps_merge_lists_replace() {
        let mut base = parse("a: {b: 1, c: [1, 2]}\nd: x\n");
        merge_test(&mut base, parse("a: {c: [3]}\n"));
        assert_eq!(
            base.to_json(),
            serde_json::json!({"a": {"b": 1, "c": [3]}, "d": "x"})
        );
    }

    #[test]
    fn null_deletes_key() {
        let mut base = parse("a: {b: 1, c: 2}\n");
        merge_test(&mut base, parse("a: {b: null}\n"));
        assert_eq!(base.to_json(), serde_json::json!({"a": {"c": 2}}));
    }

    #[test]
    fn empty_overlay_changes_nothing() {
        let mut base = parse("a: 1\n");
        merge_test(&mut base, parse(""));
        assert_eq!(base.to_json(), serde_json::json!({"a": 1}));
    }

    #[test]
    fn scalar_replaces_map() {
        let mut base = parse("a: {b: 1}\n");
        merge_test(&mut base, parse("a: 2\n"));
        assert_eq!(base.to_json(), serde_json::json!({"a": 2}));
    }

    #[test]
    fn merged_key_points_at_overlay() {
        let mut base = parse("a: 1\n");
        merge_test(&mut base, parse("\n\na: 2\n"));
        let location = base.locate(&crate::values::node::path("a")).unwrap();
        assert_eq!(location.line, 3);
    }
}
