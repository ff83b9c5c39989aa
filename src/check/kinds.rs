//! Deserializing each object into the Rust type of its kind, and reporting the
//! fields that the type does not know or cannot read.

use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};

use super::crds::{Certificate, ExternalSecret, HttpRoute};
use super::path::{FieldPath, Segment};

/// The `apiVersion` and `kind` of every object the product emits.
pub const EMITTED_KINDS: &[(&str, &str)] = &[
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("networking.k8s.io/v1", "Ingress"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("external-secrets.io/v1", "ExternalSecret"),
    ("external-secrets.io/v1beta1", "ExternalSecret"),
    ("cert-manager.io/v1", "Certificate"),
];

/// A field of an object that does not match its type.
#[derive(Debug)]
pub struct FieldProblem {
    /// `None` when the problem concerns the whole object.
    pub path: Option<FieldPath>,
    pub message: String,
}

/// Deserializes `value` into the type of its `apiVersion` and `kind` and
/// returns every unknown field and the first type error.
pub fn check_kind(api_version: &str, kind: &str, value: &Value) -> Vec<FieldProblem> {
    match (api_version, kind) {
        ("v1", "ServiceAccount") => check_typed::<ServiceAccount>(value, kind),
        ("v1", "ConfigMap") => check_typed::<ConfigMap>(value, kind),
        ("v1", "Secret") => check_typed::<Secret>(value, kind),
        ("v1", "Service") => check_typed::<Service>(value, kind),
        ("apps/v1", "StatefulSet") => check_typed::<StatefulSet>(value, kind),
        ("batch/v1", "Job") => check_typed::<Job>(value, kind),
        ("networking.k8s.io/v1", "NetworkPolicy") => check_typed::<NetworkPolicy>(value, kind),
        ("networking.k8s.io/v1", "Ingress") => check_typed::<Ingress>(value, kind),
        ("gateway.networking.k8s.io/v1", "HTTPRoute") => check_typed::<HttpRoute>(value, kind),
        // v1beta1 is emitted only when externalSecrets.apiVersion asks for
        // it (older clusters); the fields the product writes are the same.
        ("external-secrets.io/v1" | "external-secrets.io/v1beta1", "ExternalSecret") => {
            check_typed::<ExternalSecret>(value, kind)
        }
        ("cert-manager.io/v1", "Certificate") => check_typed::<Certificate>(value, kind),
        _ => vec![FieldProblem {
            path: None,
            message: unsupported_kind_message(api_version, kind),
        }],
    }
}

fn unsupported_kind_message(api_version: &str, kind: &str) -> String {
    let emitted_versions: Vec<&str> = EMITTED_KINDS
        .iter()
        .filter(|(_, emitted_kind)| *emitted_kind == kind)
        .map(|(version, _)| *version)
        .collect();
    if emitted_versions.is_empty() {
        let kinds: Vec<&str> = EMITTED_KINDS.iter().map(|(_, kind)| *kind).collect();
        format!(
            "the product does not emit this kind ({api_version} {kind}); it emits only {}",
            kinds.join(", ")
        )
    } else {
        format!(
            "the product does not emit this kind in apiVersion {api_version}; \
             it emits {kind} in {}",
            emitted_versions.join(", ")
        )
    }
}

fn check_typed<T: DeserializeOwned>(value: &Value, kind: &str) -> Vec<FieldProblem> {
    let mut unknown_fields = Vec::new();
    let result = {
        let mut record_unknown =
            |path: serde_ignored::Path<'_>| unknown_fields.push(FieldPath::from_ignored(&path));
        let deserializer = serde_ignored::Deserializer::new(value, &mut record_unknown);
        serde_path_to_error::deserialize::<_, T>(deserializer)
    };

    let mut problems: Vec<FieldProblem> = unknown_fields
        .into_iter()
        .map(|path| {
            let field = match path.0.last() {
                Some(Segment::Key(key)) => key.clone(),
                Some(Segment::Index(index)) => index.to_string(),
                None => String::new(),
            };
            FieldProblem {
                path: Some(path),
                message: format!(
                    "unknown field `{field}`: the {kind} type has no such field, so the API \
                     server would drop it (check its spelling and indentation)"
                ),
            }
        })
        .collect();

    if let Err(error) = result {
        let path = FieldPath::from_tracked(error.path());
        problems.push(FieldProblem {
            path: (!path.is_root()).then_some(path),
            message: format!("does not match the {kind} type: {}", error.inner()),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap()
    }

    #[test]
    fn configmap_unknown_top_level_field() {
        let value =
            parse("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndatta:\n  k: v\n");

        let problems = check_kind("v1", "ConfigMap", &value);

        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path.as_ref().unwrap().to_string(), "datta");
        assert!(problems[0].message.contains("unknown field `datta`"));
    }

    #[test]
    fn crd_unknown_fields_all_reported() {
        let value = parse(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: a\n\
             spec:\n  secretName: s\n  dnsName: [a]\n  issuerRef:\n    name: i\n    kinds: x\n",
        );

        let problems = check_kind("cert-manager.io/v1", "Certificate", &value);
        let paths: Vec<String> = problems
            .iter()
            .map(|problem| problem.path.as_ref().unwrap().to_string())
            .collect();

        assert_eq!(paths, ["spec.dnsName", "spec.issuerRef.kinds"]);
    }

    #[test]
    fn crd_enum_value_checked() {
        let value = parse(
            "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: a\n\
             spec:\n  secretStoreRef:\n    kind: ClusterStore\n    name: s\n",
        );

        let problems = check_kind("external-secrets.io/v1", "ExternalSecret", &value);

        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].path.as_ref().unwrap().to_string(),
            "spec.secretStoreRef.kind"
        );
        assert!(
            problems[0].message.contains("ClusterStore"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn old_api_version_names_emitted_one() {
        let value = parse("apiVersion: external-secrets.io/v1alpha1\nkind: ExternalSecret\n");

        let problems = check_kind("external-secrets.io/v1alpha1", "ExternalSecret", &value);

        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("external-secrets.io/v1"));
        assert!(problems[0].path.is_none());
    }

    #[test]
    fn redirect_status_code_restricted() {
        let value = parse(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: a\n\
             spec:\n  rules:\n  - filters:\n    - type: RequestRedirect\n      \
             requestRedirect:\n        statusCode: 308\n",
        );

        let problems = check_kind("gateway.networking.k8s.io/v1", "HTTPRoute", &value);

        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].path.as_ref().unwrap().to_string(),
            "spec.rules[0].filters[0].requestRedirect.statusCode"
        );
    }
}
