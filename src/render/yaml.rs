//! Safe YAML text for templates: scalars that cannot change the structure
//! of the document they are written into, whatever characters they hold.

use std::fmt::Write as _;

use serde_json::Value as Json;

/// Formats a string as a YAML scalar: plain when that is unambiguous,
/// double-quoted with escapes otherwise. Strings that YAML 1.1 (which
/// kubectl's parser follows) would read as a boolean, null or number are
/// quoted.
#[must_use]
pub fn scalar(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        double_quoted(text)
    }
}

/// Formats a JSON value as an inline YAML value (a scalar or a flow collection).
#[must_use]
pub fn inline(value: &Json) -> String {
    match value {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => scalar(s),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Formats a JSON value as block YAML, each line indented by `indent`
/// spaces, without a trailing newline. Empty maps and lists are written
/// inline (`{}` and `[]`).
#[must_use]
pub fn block(value: &Json, indent: usize) -> String {
    let mut lines = Vec::new();
    write_block(value, indent, &mut lines);
    lines.join("\n")
}

fn write_block(value: &Json, indent: usize, lines: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match value {
        Json::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                match item {
                    Json::Object(inner) if !inner.is_empty() => {
                        lines.push(format!("{pad}{}:", scalar(key)));
                        write_block(item, indent + 2, lines);
                    }
                    Json::Array(inner) if !inner.is_empty() => {
                        lines.push(format!("{pad}{}:", scalar(key)));
                        write_block(item, indent + 2, lines);
                    }
                    _ => lines.push(format!("{pad}{}: {}", scalar(key), inline(item))),
                }
            }
        }
        Json::Array(items) if !items.is_empty() => {
            for item in items {
                match item {
                    Json::Object(inner) if !inner.is_empty() => {
                        let mut nested = Vec::new();
                        write_block(item, indent + 2, &mut nested);
                        if let Some(first) = nested.first_mut() {
                            *first = format!("{pad}- {}", &first[indent + 2..]);
                        }
                        lines.extend(nested);
                    }
                    _ => lines.push(format!("{pad}- {}", inline(item))),
                }
            }
        }
        other => lines.push(format!("{pad}{}", inline(other))),
    }
}

/// Formats multi-line text as a literal block scalar (`|`), indented by
/// `indent` spaces, for config files and scripts embedded in manifests.
/// Falls back to a double-quoted scalar for text a literal block cannot
/// carry exactly (carriage returns, other control characters, trailing
/// spaces on the last line, or no text at all).
#[must_use]
pub fn literal(text: &str, indent: usize) -> String {
    let literal_safe = !text.is_empty()
        && text.chars().all(|c| c == '\n' || !needs_escape(c))
        && !text.contains(" \n")
        && !text.ends_with(' ');
    if !literal_safe {
        return double_quoted(text);
    }
    let trailing_newlines = text.len() - text.trim_end_matches('\n').len();
    let chomping = match trailing_newlines {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let body = text.trim_end_matches('\n');
    let indicator = if body.starts_with(' ') || body.starts_with('\n') {
        indent.to_string()
    } else {
        String::new()
    };
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + text.len() / 8 * indent + 8);
    out.push('|');
    out.push_str(&indicator);
    out.push_str(chomping);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    for _ in 1..trailing_newlines {
        out.push('\n');
    }
    out
}

/// Characters a YAML document cannot carry unescaped: C0 and C1 controls,
/// DEL, the byte-order mark, the Unicode line and paragraph separators and
/// non-characters.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// Formats `text` as a YAML double-quoted scalar. Every escape used is
/// common to YAML 1.1, YAML 1.2 and JSON.
#[must_use]
pub fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `text` reads back as the same string without quotes in YAML
/// 1.1 and 1.2 alike.
fn is_plain_safe(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/') {
        return false;
    }
    if RESERVED.contains(&text.to_ascii_lowercase().as_str()) {
        return false;
    }
    // Letters, digits and a few separators only: no `:`, `#`, quotes,
    // brackets, commas, spaces or indicators that YAML gives meaning to.
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return false;
    }
    // `.inf`, `.nan` and forms like `1e3` start with a dot or digit and are
    // excluded above; a trailing dot or slash stays plain either way.
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_string(yaml: &str) -> String {
        let value: serde_json::Value = serde_saphyr::from_str(&format!("key: {yaml}\n")).unwrap();
        value["key"].as_str().unwrap().to_owned()
    }

    #[test]
    fn quotes_yaml_keywords_and_numbers() {
        for text in [
            "yes", "No", "on", "true", "null", "~", "25", "1.0", "0x1F", "1e3", "", " lead",
            "a: b", "#x", "-x", "*x", "&x", "!x", "@x", "%x", "`x", "[x", "{x", "'x", "\"x", ">x",
            "|x",
        ] {
            assert!(scalar(text).starts_with('"'), "{text:?} should be quoted");
            assert_eq!(parse_string(&scalar(text)), text);
        }
    }

    #[test]
    fn keeps_simple_words_plain() {
        for text in [
            "stalwart",
            "app.kubernetes.io/name",
            "ReadWriteOnce",
            "v0.15.5",
        ] {
            assert_eq!(scalar(text), text);
        }
    }

    #[test]
    fn literal_keeps_text_exactly() {
        let text = "[server]\nhostname = \"mail.acme.example\"\n\n# end\n";
        let yaml = format!("key: {}\n", literal(text, 2));
        let value: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(value["key"].as_str().unwrap(), text);
    }

    #[test]
    fn block_round_trips() {
        let value = serde_json::json!({"a": {"b": ["x", {"c": "yes", "d": 1}], "e": {}}, "f": []});
        let yaml = block(&value, 0);
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back, value);
    }

    proptest! {
        #[test]
        fn any_string_round_trips_as_scalar(text in any::<String>()) {
            prop_assert_eq!(parse_string(&scalar(&text)), text);
        }

        #[test]
        fn any_string_round_trips_as_literal(text in any::<String>()) {
            let yaml = format!("key: {}\nnext: 1\n", literal(&text, 2));
            let value: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
            prop_assert_eq!(value["key"].as_str().unwrap(), text.as_str());
            prop_assert_eq!(value["next"].as_i64(), Some(1));
        }

        #[test]
        fn any_string_round_trips_in_block(key in any::<String>(), text in any::<String>()) {
            let value = serde_json::json!({"outer": {key.clone(): [text.clone()]}});
            let yaml = block(&value, 0);
            let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
            prop_assert_eq!(back, value);
        }
    }
}
