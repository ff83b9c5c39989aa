//! No dead configuration: changing any key of values.yaml changes the
//! rendered output of at least one example tenant, or is in the short list
//! of keys that only gate (a change makes the render fail on purpose).

use std::collections::BTreeMap;

use stalwart_tenant::render::context::RenderOptions;
use stalwart_tenant::render::templates::TemplateSet;
use stalwart_tenant::render::{self};
use stalwart_tenant::values::{self, Input};

/// Maps and lists whose entries are free-form: changed as a whole.
const WHOLE_VALUES: &[&str] = &[
    "commonLabels",
    "commonAnnotations",
    "stalwart.settings",
    "stalwart.image.pullSecrets",
    "stalwart.podSecurityContext.sysctls",
    "stalwart.containerSecurityContext.dropCapabilities",
    "service.smtp.annotations",
    "service.imap.annotations",
    "service.web.annotations",
    "ingress.webmail.annotations",
    "serviceAccount.annotations",
    "networkPolicy.gatewayNamespaceLabels",
    "networkPolicy.keycloakCIDRs",
    "networkPolicy.egress",
    "dns.powerdns.apiCIDRs",
    "persistence.spool.accessModes",
    "mailboxes.groups",
    "mailboxes.sendAs",
];

/// A valid value to change a key to, where appending to the default or
/// flipping it would not be valid. Written as YAML for `--set`.
fn replacement(path: &str) -> Option<&'static str> {
    Some(match path {
        "commonLabels" => "{team: mail}",
        "commonAnnotations" => "{example.com/owner: mail-team}",
        "stalwart.settings" => "{queue.strategy.route: \"'mx'\"}",
        "stalwart.image.pullSecrets" => "[regcred]",
        "stalwart.podSecurityContext.sysctls" => {
            "[{name: net.ipv4.tcp_keepalive_time, value: \"300\"}]"
        }
        "stalwart.containerSecurityContext.dropCapabilities" => "[NET_RAW]",
        "service.smtp.annotations"
        | "service.imap.annotations"
        | "service.web.annotations"
        | "ingress.webmail.annotations"
        | "serviceAccount.annotations" => "{example.com/note: x}",
        "networkPolicy.gatewayNamespaceLabels" => "{kubernetes.io/metadata.name: other}",
        "networkPolicy.keycloakCIDRs" | "dns.powerdns.apiCIDRs" => "[10.0.0.0/8]",
        "networkPolicy.egress" => "[{namespace: nats, port: 4222, protocol: TCP}]",
        "persistence.spool.accessModes" => "[ReadWriteOncePod]",
        "mailboxes.groups" => "[{name: sales, email: sales, members: [alice]}]",
        "mailboxes.sendAs" => "[{account: alice, address: sales}]",
        "nameOverride" => "mail",
        "fullnameOverride" => "acme-mail",
        "global.imageRegistry" => "mirror.example:5000",
        "domain.primary" => "other.omantel.omani.works",
        "stalwart.generation" => "\"0.15\"",
        "stalwart.hostname" => "smtp.other.example",
        "stalwart.image.registry" | "setupJob.image.registry" => "ghcr.io",
        "stalwart.image.repository" => "example/stalwart",
        "stalwart.image.tag" => "v0.15.4",
        "stalwart.image.digest" | "setupJob.image.digest" => {
            "sha256:0000000000000000000000000000000000000000000000000000000000000000"
        }
        // Requests stay below the default limits, which Kubernetes requires.
        "stalwart.resources.requests.cpu" | "setupJob.resources.requests.cpu" => "5m",
        "stalwart.resources.limits.cpu" | "setupJob.resources.limits.cpu" => "\"2\"",
        "stalwart.resources.requests.memory" | "setupJob.resources.requests.memory" => "8Mi",
        "stalwart.resources.limits.memory" | "setupJob.resources.limits.memory" => "3Gi",
        "stalwart.tls.secretName" => "other-tls",
        "stalwart.tls.certificate.issuer" | "ingress.webmail.tls.issuer" => "other-issuer",
        // Longer than renewBefore (360h), as cert-manager requires.
        "stalwart.tls.certificate.duration" => "4320h",
        "stalwart.tls.certificate.renewBefore"
        | "keycloak.timeout"
        | "keycloak.oidcExternalSecret.refreshInterval"
        | "admin.externalSecret.refreshInterval" => "7h",
        "keycloak.realmURL" => "https://auth.other.example/realms/other",
        "keycloak.clientSecretName" | "admin.secretName" | "dns.powerdns.apiKeySecretName" => {
            "other-secret"
        }
        "keycloak.oidcExternalSecret.secretStoreRef.name"
        | "admin.externalSecret.secretStoreRef.name" => "vault",
        "keycloak.oidcExternalSecret.remoteRef.key" | "admin.externalSecret.remoteRef.key" => {
            "other/path"
        }
        "setupJob.image.repository" => "example/curl",
        "setupJob.image.tag" => "8.11.0",
        "ingress.webmail.host" => "webmail.other.example",
        "ingress.webmail.path" => "/mail",
        "ingress.webmail.parentRef.name" => "other-gateway",
        "ingress.webmail.parentRef.namespace" => "other-ns",
        "ingress.webmail.parentRef.sectionName" => "https",
        "ingress.webmail.ingressClassName" => "traefik",
        "ingress.webmail.tls.secretName" => "other-webmail-tls",
        "dns.dkim.selector" => "mail2026",
        "dns.dmarc.rua" => "reports@other.example",
        "dns.powerdns.apiURL" => "https://dns.omantel.omani.works/api",
        "dns.powerdns.zone" => "omani.works",
        "dns.powerdns.serverID" => "primary",
        "serviceAccount.name" => "other-account",
        "admin.username" => "boss",
        "persistence.spool.storageClassName" => "fast-ssd",
        "persistence.spool.size" => "50Gi",
        _ => return None,
    })
}

/// Keys whose only job is to gate: the other value is rejected on purpose,
/// so the change fails the render instead of changing the output.
const GATE_ONLY: &[(&str, &str, &str)] = &[
    (
        "stalwart.replicas",
        "2",
        "must stay 1: RocksDB has a single writer",
    ),
    (
        "stalwart.podSecurityContext.unprivilegedPorts",
        "false",
        "a non-root Stalwart 0.15 cannot bind ports below 1024 without it",
    ),
];

/// `stalwart.generation` changes nothing while the tag names a 0.15
/// version, because `auto` derives the same generation; it matters for tags
/// without a version, tested on its own below.
const SAME_AS_DERIVED: &[&str] = &["stalwart.generation"];

fn leaves(value: &serde_json::Value, prefix: &str, out: &mut Vec<(String, serde_json::Value)>) {
    match value {
        serde_json::Value::Object(map) if !WHOLE_VALUES.contains(&prefix) => {
            for (key, item) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(item, &path, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn mutation(path: &str, default: &serde_json::Value, schema: &serde_json::Value) -> String {
    if let Some(value) = replacement(path) {
        return value.to_owned();
    }
    // An enum: any other choice.
    let pointer = format!("/properties/{}", path.replace('.', "/properties/"));
    if let Some(choices) = resolve(schema, &pointer).and_then(|s| {
        s.get("enum").cloned().or_else(|| {
            s.get("oneOf").map(|o| {
                serde_json::Value::Array(
                    o.as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|b| b.get("const").cloned())
                        .collect(),
                )
            })
        })
    }) && let Some(other) = choices
        .as_array()
        .and_then(|c| c.iter().find(|c| *c != default))
    {
        return other.to_string();
    }
    match default {
        serde_json::Value::Bool(b) => (!b).to_string(),
        serde_json::Value::Number(n) => (n.as_i64().unwrap() + 1).to_string(),
        serde_json::Value::String(s) if !s.is_empty() => format!("{s}x"),
        other => panic!("no mutation for {path} (default {other}); add one to replacement()"),
    }
}

/// Follows a JSON pointer of `properties` through `$ref`s.
fn resolve<'a>(schema: &'a serde_json::Value, pointer: &str) -> Option<&'a serde_json::Value> {
    let mut node = schema;
    for part in pointer.split('/').skip(1) {
        while let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
            node = schema.pointer(&reference[1..])?;
        }
        if let Some(branches) = node.get("anyOf").and_then(|a| a.as_array()) {
            node = branches
                .iter()
                .find(|b| b.get("$ref").is_some() || b.get("properties").is_some())?;
            while let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
                node = schema.pointer(&reference[1..])?;
            }
        }
        node = node.get(part)?;
    }
    while let Some(reference) = node.get("$ref").and_then(|r| r.as_str()) {
        node = schema.pointer(&reference[1..])?;
    }
    Some(node)
}

fn render(base: &[Input], extra: Option<Input>) -> Result<String, String> {
    let mut inputs = base.to_vec();
    inputs.extend(extra);
    let loaded = values::load(&inputs, &mut std::io::empty())
        .map_err(|e| e.iter().map(ToString::to_string).collect::<String>())?;
    let options = RenderOptions {
        release_name: "stalwart".to_owned(),
        namespace: Some("acme".to_owned()),
        smoke: false,
    };
    let outcome = render::render(&loaded, &options, &TemplateSet::embedded());
    match outcome.rendered {
        Some(rendered) => Ok(rendered.objects.iter().map(|o| o.text.clone()).collect()),
        None => Err(outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect()),
    }
}

#[test]
fn every_key_changes_the_output() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let defaults: serde_json::Value = serde_saphyr::from_str(values::DEFAULT_VALUES).unwrap();
    let schema = serde_json::to_value(schemars::schema_for!(values::Values)).unwrap();
    let mut all = Vec::new();
    leaves(&defaults, "", &mut all);
    // Between them these tenants turn every feature on and off: acme
    // (gateway, ExternalSecrets, PowerDNS), byo (ingress, Secrets by hand),
    // byo with userinfo token validation, and acme without PowerDNS.
    let bases: Vec<Vec<Input>> = vec![
        vec![Input::File(root.join("examples/acme.yaml"))],
        vec![Input::File(root.join("examples/byo.yaml"))],
        vec![
            Input::File(root.join("examples/byo.yaml")),
            Input::Set("keycloak.tokenValidation=userinfo".to_owned()),
        ],
        vec![
            Input::File(root.join("examples/acme.yaml")),
            Input::Set("dns.powerdns.enabled=false".to_owned()),
        ],
    ];
    let baselines: Vec<String> = bases.iter().map(|b| render(b, None).unwrap()).collect();
    let mut unread = BTreeMap::new();
    for (path, default) in &all {
        if GATE_ONLY.iter().any(|(p, _, _)| p == path) || SAME_AS_DERIVED.contains(&path.as_str()) {
            continue;
        }
        let set = format!("{}={}", path, mutation(path, default, &schema));
        let mut changed = false;
        let mut errors = Vec::new();
        for (base, baseline) in bases.iter().zip(&baselines) {
            match render(base, Some(Input::Set(set.clone()))) {
                Ok(output) if output != *baseline => changed = true,
                Ok(_) => {}
                Err(error) => errors.push(error),
            }
        }
        if !changed {
            unread.insert(set, errors);
        }
    }
    assert!(
        unread.is_empty(),
        "these changes did not change any output:\n{unread:#?}"
    );
}

#[test]
fn gate_only_keys_fail_when_changed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, value, reason) in GATE_ONLY {
        let result = render(
            &[Input::File(root.join("examples/acme.yaml"))],
            Some(Input::Set(format!("{path}={value}"))),
        );
        assert!(
            result.is_err(),
            "{path} ({reason}) should fail the render when changed"
        );
    }
}

#[test]
fn generation_matters_for_unversioned_tags() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = vec![
        Input::File(root.join("examples/acme.yaml")),
        Input::Set("stalwart.image.tag=latest".to_owned()),
    ];
    let derived = render(&base, None);
    assert!(
        derived
            .as_ref()
            .is_err_and(|e| e.contains("cannot tell the Stalwart version")),
        "{derived:?}"
    );
    assert!(
        render(
            &base,
            Some(Input::Set("stalwart.generation=\"0.15\"".to_owned()))
        )
        .is_ok()
    );
}
