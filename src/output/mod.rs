//! Turning rendered objects into output: the YAML stream, the JSON `v1 List`,
//! and the `--show-only` filter.

pub mod dir;

use crate::render::RenderedObject;

/// The output format of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A stream of YAML documents, each starting `---` and a `# Source:` comment.
    #[default]
    Yaml,
    /// One JSON `v1 List` holding every object.
    Json,
}

/// Formats the objects as one stream in the given format.
#[must_use]
pub fn format(objects: &[&RenderedObject], format: Format) -> String {
    match format {
        Format::Yaml => yaml_stream(objects),
        Format::Json => json_list(objects),
    }
}

/// Formats one YAML document per object, in render order.
#[must_use]
pub fn yaml_stream(objects: &[&RenderedObject]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n# Source: ");
        out.push_str(&object.source);
        out.push('\n');
        out.push_str(&object.text);
        if !object.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Formats a `v1 List` of the objects, pretty-printed, with a final newline.
#[must_use]
pub fn json_list(objects: &[&RenderedObject]) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects.iter().map(|o| o.object.value.clone()).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

/// Selects objects by `Kind/name` (case-insensitive kind) or by template
/// path (`templates/services.yaml`). Returns the selection, or the
/// selectors that matched nothing.
pub fn select<'a>(
    objects: &'a [RenderedObject],
    selectors: &[String],
) -> Result<Vec<&'a RenderedObject>, Vec<String>> {
    if selectors.is_empty() {
        return Ok(objects.iter().collect());
    }
    let matches = |object: &RenderedObject, selector: &str| {
        let is_yaml = std::path::Path::new(selector)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml"));
        if selector.starts_with("templates/") || is_yaml {
            let wanted = selector.strip_prefix("templates/").unwrap_or(selector);
            return object
                .source
                .strip_prefix("templates/")
                .unwrap_or(&object.source)
                == wanted;
        }
        match selector.split_once('/') {
            Some((kind, name)) => {
                object.object.kind.eq_ignore_ascii_case(kind)
                    && (name == "*" || object.object.name == name)
            }
            None => object.object.kind.eq_ignore_ascii_case(selector),
        }
    };
    let unmatched: Vec<String> = selectors
        .iter()
        .filter(|s| !objects.iter().any(|o| matches(o, s)))
        .cloned()
        .collect();
    if !unmatched.is_empty() {
        return Err(unmatched);
    }
    Ok(objects
        .iter()
        .filter(|o| selectors.iter().any(|s| matches(o, s)))
        .collect())
}
