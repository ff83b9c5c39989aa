//! Rendering config.toml, with the tenant's own Stalwart settings.
//!
//! The config template writes every key it manages through the `key()`
//! function, which records the key and substitutes the tenant's value when
//! `stalwart.settings` marks that key as an intended override. At the end,
//! `tenant_settings()` writes the remaining tenant settings and reports any
//! that would clash with a managed key. Every key is written as a dotted key
//! at the top level, so appended settings can never land inside a table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

use super::toml;
use crate::diagnostic::Diagnostic;
use crate::generation::StalwartGeneration;
use crate::values::Loaded;
use crate::values::model::Setting;
use crate::values::node::{PathSegment, display_path};

#[derive(Default)]
struct ConfigState {
    /// Keys the template wrote, in order.
    managed: Vec<String>,
    /// Overrides that replaced a managed key.
    used_overrides: BTreeSet<String>,
    problems: Vec<Diagnostic>,
}

type SharedState = Arc<Mutex<ConfigState>>;

fn state_of(env: &Environment<'_>) -> Option<SharedState> {
    env.globals()
        .find(|(name, _)| *name == "__config_state")
        .and_then(|(_, value)| value.downcast_object::<StateHandle>())
        .map(|handle| Arc::clone(&handle.0))
}

#[derive(Debug)]
struct StateHandle(SharedState);

impl std::fmt::Debug for ConfigState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigState")
            .field("managed", &self.managed.len())
            .finish_non_exhaustive()
    }
}

impl minijinja::value::Object for StateHandle {}

fn lock(state: &SharedState) -> std::sync::MutexGuard<'_, ConfigState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// Returns the value a setting writes, without its override marker.
fn setting_value(setting: &Setting) -> Value {
    match setting {
        Setting::Override(inner) => setting_value(&inner.value),
        other => crate::render::to_value(other),
    }
}

fn settings_path(key: &str) -> Vec<PathSegment> {
    vec![
        PathSegment::Key("stalwart".to_owned()),
        PathSegment::Key("settings".to_owned()),
        PathSegment::Key(key.to_owned()),
    ]
}

/// Returns where a tenant setting behind a config.toml key was written,
/// when the key (or the key it belongs to) came from `stalwart.settings`.
#[must_use]
pub fn setting_origin(loaded: &Loaded, config_key: &str) -> Option<String> {
    let settings = &loaded.values.stalwart.settings;
    let owner = settings.keys().find(|key| {
        config_key == key.as_str()
            || config_key.starts_with(&format!("{key}."))
            || config_key.starts_with(&format!("{key}["))
    })?;
    loaded
        .locate(&settings_path(owner))
        .map(|location| format!("{location} (`{}`)", display_path(&settings_path(owner))))
}

/// Registers `key()` and `tenant_settings()`.
pub fn register(env: &mut Environment<'static>, loaded: &Loaded) {
    let state: SharedState = Arc::new(Mutex::new(ConfigState::default()));
    env.add_global(
        "__config_state",
        Value::from_object(StateHandle(Arc::clone(&state))),
    );
    let settings: Arc<BTreeMap<String, Setting>> =
        Arc::new(loaded.values.stalwart.settings.clone());

    // `{{ key("server.hostname", value) }}` or `{{ key(["lookup", "x", entry], value) }}`.
    let key_state = Arc::clone(&state);
    let key_settings = Arc::clone(&settings);
    env.add_function(
        "key",
        move |name: Value, value: Value| -> Result<String, Error> {
            let segments: Vec<String> = if let Some(dotted) = name.as_str() {
                dotted.split('.').map(str::to_owned).collect()
            } else {
                name.try_iter()?
                    .map(|segment| {
                        segment
                            .as_str()
                            .map_or_else(|| segment.to_string(), str::to_owned)
                    })
                    .collect()
            };
            let flat = segments.join(".");
            let mut state = lock(&key_state);
            if state.managed.contains(&flat) {
                return Err(invalid(format!("config.toml template writes {flat} twice")));
            }
            state.managed.push(flat.clone());
            let value = match key_settings.get(&flat) {
                Some(setting @ Setting::Override(_)) => {
                    state.used_overrides.insert(flat.clone());
                    setting_value(setting)
                }
                _ => value,
            };
            drop(state);
            let written_key = toml::key(&segments).map_err(|e| invalid(e.0))?;
            let written_value =
                toml::value(&value).map_err(|e| invalid(format!("{flat}: {}", e.0)))?;
            Ok(format!("{written_key} = {written_value}"))
        },
    );

    let tenant_state = Arc::clone(&state);
    let loaded_for_messages = loaded.clone();
    env.add_function("tenant_settings", move || -> Result<String, Error> {
        let mut state = lock(&tenant_state);
        let mut lines = Vec::new();
        for (key, setting) in settings.iter() {
            let path = settings_path(key);
            let location = loaded_for_messages.locate(&path);
            let is_override = matches!(setting, Setting::Override(_));
            if state.used_overrides.contains(key) {
                continue;
            }
            if state.managed.contains(key) {
                state.problems.push(
                    Diagnostic::error(format!("`{}` sets {key}, which stalwart-tenant already writes in config.toml", display_path(&path)))
                        .at(location)
                        .help(format!("to replace the product's value on purpose, write it as {{override: true, value: ...}} under stalwart.settings[\"{key}\"]")),
                );
                continue;
            }
            if let Some(clash) = state.managed.iter().find(|managed| managed.starts_with(&format!("{key}.")) || key.starts_with(&format!("{managed}."))).cloned() {
                state.problems.push(
                    Diagnostic::error(format!("`{}` clashes with the key {clash} that stalwart-tenant writes: one cannot be both a value and a table", display_path(&path)))
                        .at(location)
                        .help("set the individual keys you need under a different name, or choose a key that does not overlap"),
                );
                continue;
            }
            if is_override {
                state.problems.push(
                    Diagnostic::error(format!("`{}` is marked as an override, but stalwart-tenant does not write {key}", display_path(&path)))
                        .at(location)
                        .help("remove the override marker and give the value directly"),
                );
                continue;
            }
            let segments: Vec<String> = key.split('.').map(str::to_owned).collect();
            let written_key = toml::key(&segments).map_err(|e| invalid(e.0))?;
            let written_value = toml::value(&setting_value(setting)).map_err(|e| invalid(format!("{key}: {}", e.0)))?;
            lines.push(format!("{written_key} = {written_value}"));
        }
        Ok(lines.join("\n"))
    });
}

/// Renders the config file of `generation` and returns its text, unless
/// the template failed, with every problem the `key()` and
/// `tenant_settings()` functions found.
pub fn render(
    env: &Environment<'_>,
    generation: StalwartGeneration,
    loaded: &Loaded,
) -> (Option<String>, Vec<Diagnostic>) {
    let name = generation.config_template();
    let result = env
        .get_template(name)
        .and_then(|template| template.render(minijinja::context! {}));
    let state = state_of(env);
    let problems = state
        .as_ref()
        .map(|s| std::mem::take(&mut lock(s).problems))
        .unwrap_or_default();
    if let Some(state) = &state {
        // The environment may render again (tests, several tenants): start clean.
        let mut state = lock(state);
        state.managed.clear();
        state.used_overrides.clear();
    }
    let _ = loaded;
    match result {
        Ok(text) => (Some(text), problems),
        Err(error) => {
            let mut all = problems;
            all.push(Diagnostic::error(format!(
                "cannot render templates/{name}: {}",
                error
                    .detail()
                    .map_or_else(|| error.to_string(), str::to_owned)
            )));
            (None, all)
        }
    }
}
