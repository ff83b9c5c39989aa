//! Property tests: free text that reaches config.toml never changes its
//! structure. Each case loads a tenant through `values::load` and renders it
//! in process with `render::render`.
//!
//! For every generated string the render either rejects it with an error that
//! names the value, or it succeeds. On success the rendered config.toml parses
//! with Stalwart's dialect, has exactly the keys of a render with a plain
//! value, and reads the string back unchanged. A backslash or a control character other than a newline
//! must be rejected, because Stalwart's config parser cannot carry it, and so
//! must `%{`, which would start a Stalwart macro.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Value, json};
use stalwart_tenant::audit::dialect;
use stalwart_tenant::render::context::RenderOptions;
use stalwart_tenant::render::templates::TemplateSet;
use stalwart_tenant::render::{self, Rendered};
use stalwart_tenant::values::{self, Input};

/// Where a generated string is placed in the tenant values.
#[derive(Debug, Clone, Copy)]
enum Slot {
    ClientId,
    EmailClaim,
    UsernameClaim,
    FullNameClaim,
    /// A plain string setting, not an expression.
    SettingString,
    /// The `then` value of an expression block.
    RuleThen,
}

impl Slot {
    /// Returns the config.toml key that carries the string.
    fn config_key(self) -> &'static str {
        match self {
            Slot::ClientId => "directory.keycloak.auth.username",
            Slot::EmailClaim => "directory.keycloak.fields.email",
            Slot::UsernameClaim => "directory.keycloak.fields.username",
            Slot::FullNameClaim => "directory.keycloak.fields.full-name",
            Slot::SettingString => "imap.folders.name.shared",
            Slot::RuleThen => "queue.strategy.tls.0000.then",
        }
    }

    /// Text that an error about this slot must contain.
    fn error_mentions(self) -> &'static [&'static str] {
        match self {
            Slot::ClientId => &["keycloak.clientID"],
            Slot::EmailClaim => &["keycloak.claims.email"],
            Slot::UsernameClaim => &["keycloak.claims.username"],
            Slot::FullNameClaim => &["keycloak.claims.fullName"],
            Slot::SettingString => &["imap.folders.name.shared"],
            Slot::RuleThen => &["queue.strategy.tls"],
        }
    }
}

/// Builds a tenant with Keycloak, a plain setting and an expression block,
/// with `text` in `slot` and plain values everywhere else.
fn tenant(slot: Slot, text: &str) -> Value {
    let pick = |wanted: Slot, plain: &str| -> String {
        if std::mem::discriminant(&slot) == std::mem::discriminant(&wanted) {
            text.to_owned()
        } else {
            plain.to_owned()
        }
    };
    json!({
        "domain": "acme.test",
        "keycloak": {
            "realmURL": "https://auth.acme.test/realms/acme",
            "clientID": pick(Slot::ClientId, "stalwart"),
            "claims": {
                "email": pick(Slot::EmailClaim, "email"),
                "username": pick(Slot::UsernameClaim, "preferred_username"),
                "fullName": pick(Slot::FullNameClaim, "name"),
            },
            "oidcExternalSecret": {"remoteRef": {"key": "platform/acme/oidc"}},
        },
        "admin": {"externalSecret": {"remoteRef": {"key": "platform/acme/admin"}}},
        "stalwart": {
            "settings": {
                "imap.folders.name.shared": pick(Slot::SettingString, "Shared Folders"),
                "queue.strategy.tls": [
                    {"if": "rcpt_domain == 'partner.test'", "then": pick(Slot::RuleThen, "'strict'")},
                    {"else": "'default'"},
                ],
            },
        },
    })
}

/// The result of loading and rendering one tenant.
enum Result {
    Rendered(Box<Rendered>),
    /// Every error, formatted as the command line prints it.
    Rejected(String),
}

/// Writes the tenant as YAML in JSON syntax, with every character outside
/// printable ASCII as a `\u` or `\U` escape: a YAML stream cannot contain
/// characters such as U+007F or U+0085 raw, but a quoted scalar can carry
/// them escaped.
fn tenant_yaml(tenant: &Value) -> String {
    let json = serde_json::to_string_pretty(tenant).unwrap();
    let mut yaml = String::with_capacity(json.len());
    for character in json.chars() {
        let code = u32::from(character);
        if (character.is_ascii() && !character.is_ascii_control()) || character == '\n' {
            yaml.push(character);
        } else if code <= 0xFFFF {
            let _ = write!(yaml, "\\u{code:04X}");
        } else {
            let _ = write!(yaml, "\\U{code:08X}");
        }
    }
    yaml
}

fn render_tenant(tenant: &Value) -> Result {
    let text = tenant_yaml(tenant);
    let inputs = [Input::File(PathBuf::from("-"))];
    let loaded = match values::load(&inputs, &mut text.as_bytes()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            return Result::Rejected(
                diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.is_error())
                    .map(ToString::to_string)
                    .collect(),
            );
        }
    };
    let options = RenderOptions {
        release_name: "stalwart".to_owned(),
        namespace: Some("acme".to_owned()),
        smoke: false,
    };
    let outcome = render::render(&loaded, &options, &TemplateSet::embedded());
    match outcome.rendered {
        Some(rendered) => Result::Rendered(Box::new(rendered)),
        None => Result::Rejected(
            outcome
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.is_error())
                .map(ToString::to_string)
                .collect(),
        ),
    }
}

fn config_keys(config_toml: &str) -> BTreeSet<String> {
    dialect::parse(config_toml)
        .unwrap()
        .into_iter()
        .map(|leaf| leaf.key)
        .collect()
}

/// Returns the config.toml keys of a render with plain values in every slot.
fn baseline_keys() -> &'static BTreeSet<String> {
    static KEYS: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    KEYS.get_or_init(
        || match render_tenant(&tenant(Slot::ClientId, "stalwart")) {
            Result::Rendered(rendered) => config_keys(&rendered.config_toml),
            Result::Rejected(errors) => panic!("the plain tenant does not render:\n{errors}"),
        },
    )
}

/// Backslashes and control characters cannot be written for Stalwart's
/// parser; `%{` would start a macro that Stalwart expands when it reads the
/// file, so it is rejected too.
fn cannot_be_carried(text: &str) -> bool {
    text.contains('\\') || text.contains("%{") || text.chars().any(|c| c.is_control() && c != '\n')
}

/// Checks the property for one string in one slot.
fn check(slot: Slot, text: &str) {
    match render_tenant(&tenant(slot, text)) {
        Result::Rejected(errors) => {
            assert!(
                !errors.is_empty(),
                "{slot:?} {text:?}: rejected without an error"
            );
            assert!(
                slot.error_mentions()
                    .iter()
                    .any(|name| errors.contains(name)),
                "{slot:?} {text:?}: the error does not name {:?}:\n{errors}",
                slot.error_mentions()
            );
            if slot_accepts_any_carried_text(slot) {
                assert!(
                    cannot_be_carried(text),
                    "{slot:?} {text:?}: a string config.toml can carry was rejected:\n{errors}"
                );
            }
        }
        Result::Rendered(rendered) => {
            assert!(
                !cannot_be_carried(text),
                "{slot:?} {text:?}: a backslash or control character was rendered"
            );
            check_config(slot, text, &rendered.config_toml);
            check_manifests(slot, text, &rendered);
        }
    }
}

/// Returns true for the slot that must accept every string config.toml can
/// carry: a plain string setting is written as given. The other slots are validated further (a
/// claim name or client ID) or audited as expressions (`then`).
fn slot_accepts_any_carried_text(slot: Slot) -> bool {
    matches!(slot, Slot::SettingString)
}

fn check_config(slot: Slot, text: &str, config_toml: &str) {
    let leaves = dialect::parse(config_toml).unwrap_or_else(|error| {
        panic!("{slot:?} {text:?}: config.toml does not parse: {error}\n{config_toml}")
    });
    let keys: BTreeSet<String> = leaves.iter().map(|leaf| leaf.key.clone()).collect();
    assert_eq!(
        &keys,
        baseline_keys(),
        "{slot:?} {text:?}: the string changed the keys of config.toml"
    );
    let values: Vec<&str> = leaves
        .iter()
        .filter(|leaf| leaf.key == slot.config_key())
        .map(|leaf| leaf.value.as_str())
        .collect();
    assert_eq!(
        values,
        vec![text],
        "{slot:?} {text:?}: {} does not read back",
        slot.config_key()
    );
}

fn check_manifests(slot: Slot, text: &str, rendered: &Rendered) {
    let mut config_maps = 0;
    for object in &rendered.objects {
        let parsed: Value = serde_saphyr::from_str(&object.text).unwrap_or_else(|error| {
            panic!(
                "{slot:?} {text:?}: {} does not parse back: {error}",
                object.source
            )
        });
        assert_eq!(
            parsed, object.object.value,
            "{slot:?} {text:?}: {} reads back differently",
            object.source
        );
        if let Some(config) = parsed["data"]["config.toml"].as_str() {
            config_maps += 1;
            assert_eq!(
                config, rendered.config_toml,
                "{slot:?} {text:?}: the ConfigMap does not carry config.toml unchanged"
            );
        }
    }
    assert_eq!(
        config_maps, 1,
        "{slot:?} {text:?}: expected one config ConfigMap"
    );
}

/// Strings mixing the characters that break TOML, YAML or shell quoting with
/// letters, unicode and any other character.
fn free_text() -> impl Strategy<Value = String> {
    let hostile = prop::sample::select(vec![
        '"', '\'', '\n', '[', ']', '=', '#', '{', '}', '\\', ',', ':', '%', '$', '`', ' ', '\t',
        '\r', '\u{0}', '\u{7f}', '\u{85}', '\u{2028}', 'é', '日', '🙂',
    ]);
    let character = prop_oneof![
        3 => hostile,
        3 => prop::char::range('a', 'z'),
        1 => any::<char>(),
    ];
    prop::collection::vec(character, 0..24).prop_map(|characters| characters.into_iter().collect())
}

const SLOTS: [Slot; 6] = [
    Slot::ClientId,
    Slot::EmailClaim,
    Slot::UsernameClaim,
    Slot::FullNameClaim,
    Slot::SettingString,
    Slot::RuleThen,
];

proptest! {
    // Each case renders a whole tenant, so the count stays modest.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn free_text_keeps_config_structure(text in free_text(), slot in prop::sample::select(SLOTS.to_vec())) {
        check(slot, &text);
    }
}

#[test]
fn injection_attempts_keep_structure() {
    let cases = [
        "x\"\nserver.hostname = \"evil.test",
        "x\nsession.rcpt.relay = true #",
        "x\" }, { else = true }]\n[server]\nhostname = \"evil",
        "'a' ]\n[[queue.strategy.route]]\nif = \"true",
        "# not a comment",
        "{ \"a\", \"b\" }",
        "%{env:ADMIN_PASSWORD}%",
        "multi\nline\nvalue",
        "trailing backslash \\",
        "escaped \\\" quote",
        "tab\there",
        "nul\u{0}byte",
        "carriage\rreturn",
        "ünïcödé 日本 🙂",
        "",
    ];
    for slot in SLOTS {
        for text in cases {
            check(slot, text);
        }
    }
}
