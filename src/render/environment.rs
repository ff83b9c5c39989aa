//! The minijinja environment: strict undefined behaviour, the embedded
//! templates, and the filters and functions templates use to write safe
//! YAML and TOML.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use super::context::Tenant;
use super::templates::TemplateSet;
use super::{toml, yaml};
use crate::gates::Features;
use crate::values::Loaded;

fn to_json(value: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot convert value: {e}"),
        )
    })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Builds the environment for one tenant. It is a clone of the base
/// environment, which compiles the templates once per process, with the
/// tenant, the values and the features added as globals, and the functions
/// that read them.
pub fn build(
    templates: &TemplateSet,
    loaded: &Loaded,
    tenant: &Tenant,
    features: &Features,
) -> Result<Environment<'static>, Error> {
    let mut env = templates
        .base_environment(base)
        .map_err(|message| invalid(message.clone()))?
        .clone();
    env.add_global("tenant", crate::render::to_value(tenant));
    env.add_global("values", crate::render::to_value(&loaded.values));
    env.add_global("features", crate::render::to_value(features));
    add_tenant_functions(&mut env, loaded, tenant);
    super::config::register(&mut env, loaded);
    Ok(env)
}

/// Builds what every tenant shares: the syntax, the templates and the
/// filters. Each manifest template is compiled here, so a run over many
/// tenants compiles it once. A template that does not compile is left out,
/// and fails again with its location when a tenant renders it.
fn base(templates: &TemplateSet) -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|error| format!("{error:#}"))?;
    env.set_syntax(syntax);
    // Templates write YAML and TOML; HTML escaping must never apply.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let files: BTreeMap<String, String> = super::templates::EMBEDDED
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .chain(templates.extra_manifests(&[]))
        .filter_map(|name| templates.get(&name).map(|text| (name, text.to_owned())))
        .collect();
    // The scripts are passed to the Jobs as text, not rendered as templates.
    let names: Vec<String> = files
        .keys()
        .filter(|name| !name.starts_with("scripts/"))
        .cloned()
        .collect();
    let files = Arc::new(files);
    env.set_loader(move |name| Ok(files.get(name).cloned()));
    for name in &names {
        // Errors are reported per tenant, where the template is rendered.
        let _ = env.get_template(name);
    }

    env.add_global(
        "setup_script",
        templates.get("scripts/setup.sh").unwrap_or_default(),
    );
    env.add_global(
        "dns_script",
        templates.get("scripts/dns-publish.sh").unwrap_or_default(),
    );
    add_filters(&mut env);
    Ok(env)
}

/// Adds the filters and the functions that do not depend on the tenant.
fn add_filters(env: &mut Environment<'static>) {
    // `{{ text | yaml }}`: a YAML scalar (or flow collection) that reads back unchanged.
    env.add_filter("yaml", |value: Value| -> Result<String, Error> {
        Ok(yaml::inline(&to_json(&value)?))
    });
    // `{{ map | toyaml(4) }}`: block YAML indented by N spaces, first line included.
    env.add_filter(
        "toyaml",
        |value: Value, indent: usize| -> Result<String, Error> {
            Ok(yaml::block(&to_json(&value)?, indent))
        },
    );
    // `{{ text | literal(4) }}`: a literal block scalar for multi-line text.
    env.add_filter("literal", |value: String, indent: usize| {
        yaml::literal(&value, indent)
    });
    // `{{ text | comment }}`: text for a YAML or TOML comment, on one line.
    env.add_filter("comment", |value: String| -> String {
        value
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    });
    // `{{ map | nonempty }}`: the map without empty strings and nulls.
    env.add_filter("nonempty", |value: Value| -> Result<Value, Error> {
        let mut kept = serde_json::Map::new();
        if let serde_json::Value::Object(map) = to_json(&value)? {
            for (key, item) in map {
                let empty = match &item {
                    serde_json::Value::Null => true,
                    serde_json::Value::String(text) => text.is_empty(),
                    serde_json::Value::Object(inner) => inner.is_empty(),
                    _ => false,
                };
                if !empty {
                    kept.insert(key, item);
                }
            }
        }
        Ok(crate::render::to_value(serde_json::Value::Object(kept)))
    });
    // `{{ text | toml }}`: a config.toml string.
    env.add_filter("toml", |value: Value| -> Result<String, Error> {
        toml::value(&value).map_err(|e| invalid(e.0))
    });

    // `{{ merge(a, b) }}`: a map with b's entries over a's.
    env.add_function("merge", |maps: Rest<Value>| -> Result<Value, Error> {
        let mut merged = serde_json::Map::new();
        for map in maps.iter() {
            if let serde_json::Value::Object(entries) = to_json(map)? {
                merged.extend(entries);
            }
        }
        Ok(crate::render::to_value(serde_json::Value::Object(merged)))
    });

    // `{{ fail("message") }}`: stops the render with an internal error.
    env.add_function("fail", |message: String| -> Result<String, Error> {
        Err(invalid(message))
    });
}

/// Adds the functions that write the tenant's names and labels.
fn add_tenant_functions(env: &mut Environment<'static>, loaded: &Loaded, tenant: &Tenant) {
    let label_tenant = tenant.clone();
    let label_values = loaded.values.clone();
    env.add_function("labels", move |component: String| -> Value {
        crate::render::to_value(label_tenant.labels(&label_values, &component))
    });
    let selector_tenant = tenant.clone();
    env.add_function("selector", move |component: String| -> Value {
        crate::render::to_value(selector_tenant.selector_labels(&component))
    });

    // `{{ metadata(name, component, annotations={...}) }}`: the whole
    // metadata block body (indented by 2): name, namespace, labels and
    // commonAnnotations merged with the object's own annotations.
    let meta_tenant = tenant.clone();
    let meta_values = loaded.values.clone();
    env.add_function(
        "metadata",
        move |name: String, component: String, kwargs: Kwargs| -> Result<String, Error> {
            let extra: Option<Value> = kwargs.get("annotations")?;
            let indent: Option<usize> = kwargs.get("indent")?;
            kwargs.assert_all_used()?;
            let mut block = serde_json::Map::new();
            block.insert("name".to_owned(), serde_json::Value::String(name));
            if let Some(namespace) = &meta_tenant.namespace {
                block.insert(
                    "namespace".to_owned(),
                    serde_json::Value::String(namespace.clone()),
                );
            }
            block.insert(
                "labels".to_owned(),
                serde_json::to_value(meta_tenant.labels(&meta_values, &component))
                    .unwrap_or_default(),
            );
            let mut annotations: BTreeMap<String, serde_json::Value> = meta_values
                .common_annotations
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            if let Some(extra) = extra
                && let serde_json::Value::Object(map) = to_json(&extra)?
            {
                annotations.extend(map);
            }
            if !annotations.is_empty() {
                block.insert(
                    "annotations".to_owned(),
                    serde_json::to_value(annotations).unwrap_or_default(),
                );
            }
            Ok(yaml::block(
                &serde_json::Value::Object(block),
                indent.unwrap_or(2),
            ))
        },
    );
}
