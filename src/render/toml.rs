//! TOML text in the subset that both standard TOML parsers and Stalwart's
//! own config parser read the same way: double-quoted strings whose only
//! escapes are `\"` and `\n`, integers without `_`, booleans, inline arrays
//! and inline tables. Anything else is rejected rather than written.

use std::fmt::Write as _;

use minijinja::value::{Value, ValueKind};

/// The reason a value cannot be written into config.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError(pub String);

/// Quotes `text` as a config.toml string.
pub fn string(text: &str) -> Result<String, TomlError> {
    if text.contains('\\') {
        return Err(TomlError(format!(
            "{} contains a backslash, which Stalwart's config parser cannot read back reliably",
            short(text)
        )));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(TomlError(format!(
            "{} contains the control character U+{:04X}",
            short(text),
            u32::from(c)
        )));
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

fn short(text: &str) -> String {
    let shown: String = text.chars().take(60).collect();
    serde_json::Value::String(shown).to_string()
}

/// Writes a key: segments of letters, digits, `-` and `_` bare, others quoted.
pub fn key(segments: &[String]) -> Result<String, TomlError> {
    let mut out = String::new();
    for (index, segment) in segments.iter().enumerate() {
        if index > 0 {
            out.push('.');
        }
        if !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            out.push_str(segment);
        } else {
            out.push_str(&string(segment)?);
        }
    }
    Ok(out)
}

/// Writes a template value as an inline TOML value.
pub fn value(value: &Value) -> Result<String, TomlError> {
    match value.kind() {
        ValueKind::Bool => Ok(value.is_true().to_string()),
        ValueKind::Number => {
            if let Ok(number) = i64::try_from(value.clone()) {
                Ok(number.to_string())
            } else {
                Err(TomlError(format!("{value} is not an integer")))
            }
        }
        ValueKind::String => string(value.as_str().unwrap_or_default()),
        ValueKind::Seq => {
            let mut items = Vec::new();
            for item in value.try_iter().map_err(|e| TomlError(e.to_string()))? {
                items.push(self::value(&item)?);
            }
            Ok(format!("[{}]", items.join(", ")))
        }
        ValueKind::Map => {
            let mut out = String::from("{ ");
            let mut first = true;
            for map_key in value.try_iter().map_err(|e| TomlError(e.to_string()))? {
                let item = value
                    .get_item(&map_key)
                    .map_err(|e| TomlError(e.to_string()))?;
                if item.is_none() || item.is_undefined() {
                    continue;
                }
                if !first {
                    out.push_str(", ");
                }
                first = false;
                let name = map_key
                    .as_str()
                    .map_or_else(|| map_key.to_string(), str::to_owned);
                let _ = write!(out, "{} = {}", key(&[name])?, self::value(&item)?);
            }
            out.push_str(" }");
            Ok(out)
        }
        other => Err(TomlError(format!(
            "a {other} cannot be written into config.toml"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_strings() {
        assert_eq!(string("a \"b\"\nc").unwrap(), "\"a \\\"b\\\"\\nc\"");
        assert!(string("a\\b").is_err());
        assert!(string("a\u{0}b").is_err());
    }

    #[test]
    fn quotes_odd_key_segments() {
        let segments = vec![
            "lookup".to_owned(),
            "sender-allow".to_owned(),
            "admin|postmaster@acme.example".to_owned(),
        ];
        assert_eq!(
            key(&segments).unwrap(),
            "lookup.sender-allow.\"admin|postmaster@acme.example\""
        );
    }

    #[test]
    fn writes_expression_blocks() {
        let rules = crate::render::to_value(
            serde_json::json!([{"if": "a == 1", "then": "'x'"}, {"else": false}]),
        );
        assert_eq!(
            value(&rules).unwrap(),
            "[{ if = \"a == 1\", then = \"'x'\" }, { else = false }]"
        );
    }
}
