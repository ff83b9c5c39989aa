//! The failures of the Helm chart this product replaces, checked one by
//! one on the rendered reference tenant: each assertion is a way a
//! plausible-looking manifest failed to boot a mail server.

use assert_cmd::Command;
use serde_json::Value;

fn render(args: &[&str]) -> Vec<Value> {
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["render", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn acme() -> Vec<Value> {
    render(&["-f", "examples/acme.yaml", "-n", "acme"])
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not rendered"))
}

fn config_toml(objects: &[Value]) -> String {
    find(objects, "ConfigMap", "stalwart-config")["data"]["config.toml"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn runs_as_2000_and_binds_low_ports_without_capabilities() {
    let objects = acme();
    let pod = &find(&objects, "StatefulSet", "stalwart")["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsUser"], 2000);
    assert_eq!(pod["securityContext"]["runAsGroup"], 2000);
    assert_eq!(pod["securityContext"]["fsGroup"], 2000);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let sysctls = pod["securityContext"]["sysctls"].as_array().unwrap();
    assert!(
        sysctls
            .iter()
            .any(|s| s["name"] == "net.ipv4.ip_unprivileged_port_start" && s["value"] == "0")
    );
    let container = &pod["containers"][0];
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"],
        serde_json::json!(["ALL"])
    );
    assert!(
        container["securityContext"]["capabilities"]
            .get("add")
            .is_none(),
        "NET_BIND_SERVICE does nothing for the 0.15.5 binary"
    );
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
}

#[test]
fn tls_secret_is_mounted_where_config_reads_it() {
    let objects = acme();
    let config = config_toml(&objects);
    assert!(config.contains("certificate.default.cert = \"%{file:/etc/stalwart/tls/tls.crt}%\""));
    assert!(
        config.contains("certificate.default.private-key = \"%{file:/etc/stalwart/tls/tls.key}%\"")
    );
    let pod = &find(&objects, "StatefulSet", "stalwart")["spec"]["template"]["spec"];
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tls")
        .unwrap();
    assert_eq!(mount["mountPath"], "/etc/stalwart/tls");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "tls")
        .unwrap();
    assert_eq!(volume["secret"]["secretName"], "stalwart-tls");
    let certificate = find(&objects, "Certificate", "stalwart-tls");
    assert_eq!(certificate["spec"]["secretName"], "stalwart-tls");
}

#[test]
fn starts_stalwart_on_the_mounted_config() {
    let objects = acme();
    let pod = &find(&objects, "StatefulSet", "stalwart")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(
        container["command"],
        serde_json::json!([
            "/usr/local/bin/stalwart",
            "--config",
            "/opt/stalwart/etc/config.toml"
        ])
    );
    let mount = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "config")
        .unwrap();
    assert_eq!(mount["mountPath"], "/opt/stalwart/etc");
    assert_eq!(mount["readOnly"], true);
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "config")
        .unwrap();
    assert_eq!(volume["configMap"]["name"], "stalwart-config");
    assert_eq!(volume["configMap"]["items"][0]["path"], "config.toml");
}

#[test]
fn secrets_are_files_read_by_config_not_environment() {
    let objects = acme();
    let config = config_toml(&objects);
    assert!(config.contains("authentication.fallback-admin.secret = \"{PLAIN}%{file:/etc/stalwart/secrets/admin/password}%\""));
    assert!(config.contains(
        "directory.keycloak.auth.secret = \"%{file:/etc/stalwart/secrets/oidc/client-secret}%\""
    ));
    let container =
        &find(&objects, "StatefulSet", "stalwart")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container.get("env").is_none(),
        "no secret in the environment"
    );
    assert!(
        container.get("envFrom").is_none(),
        "no secret in the environment"
    );
}

#[test]
fn volume_claim_template_has_no_version_label() {
    let objects = acme();
    let claim = &find(&objects, "StatefulSet", "stalwart")["spec"]["volumeClaimTemplates"][0];
    let labels = claim["metadata"]["labels"].as_object().unwrap();
    assert!(!labels.contains_key("app.kubernetes.io/version"));
    assert!(labels.keys().all(|k| {
        [
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/component",
        ]
        .contains(&k.as_str())
    }));
}

#[test]
fn section_name_only_when_set() {
    let objects = acme();
    let route = find(&objects, "HTTPRoute", "stalwart-webmail");
    assert!(route["spec"]["parentRefs"][0].get("sectionName").is_none());
    let pinned = render(&[
        "-f",
        "examples/acme.yaml",
        "--set",
        "ingress.webmail.parentRef.sectionName=https",
    ]);
    assert_eq!(
        find(&pinned, "HTTPRoute", "stalwart-webmail")["spec"]["parentRefs"][0]["sectionName"],
        "https"
    );
}

#[test]
fn external_traffic_policy_only_where_allowed() {
    let objects = acme();
    for name in ["stalwart-smtp", "stalwart-imap"] {
        assert_eq!(
            find(&objects, "Service", name)["spec"]["externalTrafficPolicy"],
            "Local",
            "{name}"
        );
    }
    for name in ["stalwart-web", "stalwart-headless"] {
        assert!(
            find(&objects, "Service", name)["spec"]
                .get("externalTrafficPolicy")
                .is_none(),
            "{name}"
        );
    }
    let cluster_ip = render(&[
        "-f",
        "examples/acme.yaml",
        "--set",
        "service.smtp.type=ClusterIP",
    ]);
    assert!(
        find(&cluster_ip, "Service", "stalwart-smtp")["spec"]
            .get("externalTrafficPolicy")
            .is_none()
    );
}

#[test]
fn network_policies_let_jobs_reach_the_admin_api() {
    let objects = acme();
    let setup = objects
        .iter()
        .find(|o| {
            o["kind"] == "Job" && o["metadata"]["labels"]["app.kubernetes.io/component"] == "setup"
        })
        .unwrap();
    let job_labels = setup["spec"]["template"]["metadata"]["labels"]
        .as_object()
        .unwrap();
    let selects = |selector: &Value| {
        let match_labels = selector["matchLabels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let labels_match = match_labels
            .iter()
            .all(|(k, v)| job_labels.get(k) == Some(v));
        let expressions_match = selector["matchExpressions"]
            .as_array()
            .is_none_or(|expressions| {
                expressions.iter().all(|e| {
                    let value = job_labels.get(e["key"].as_str().unwrap());
                    e["operator"] == "In"
                        && e["values"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|v| Some(v) == value)
                })
            });
        labels_match && expressions_match
    };
    // The server's policy admits the Job's pods on 8080.
    let server = find(&objects, "NetworkPolicy", "stalwart-server");
    let admitted = server["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rule| {
            rule["from"].as_array().is_some_and(|from| {
                from.iter().any(|peer| {
                    peer.get("namespaceSelector").is_none() && selects(&peer["podSelector"])
                })
            }) && rule["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["port"] == 8080)
        });
    assert!(admitted, "the setup Job cannot reach Stalwart's admin API");
    // The Jobs' own policy lets them out to the server on 8080.
    let jobs = find(&objects, "NetworkPolicy", "stalwart-jobs");
    assert!(selects(&jobs["spec"]["podSelector"]));
    let egress = jobs["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .any(|rule| {
            rule["to"].as_array().is_some_and(|to| {
                to.iter().any(|peer| {
                    peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "server"
                })
            }) && rule["ports"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["port"] == 8080)
        });
    assert!(egress);
    // No Service selects the Job's pods.
    for service in objects.iter().filter(|o| o["kind"] == "Service") {
        let selector = service["spec"]["selector"].as_object().unwrap();
        assert!(
            !selector.iter().all(|(k, v)| job_labels.get(k) == Some(v)),
            "{} selects the setup pod",
            service["metadata"]["name"]
        );
    }
}

#[test]
fn external_secrets_use_v1_and_jobs_mount_no_token() {
    let objects = acme();
    let external: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "ExternalSecret")
        .collect();
    assert_eq!(external.len(), 2);
    assert!(
        external
            .iter()
            .all(|o| o["apiVersion"] == "external-secrets.io/v1")
    );
    for job in objects.iter().filter(|o| o["kind"] == "Job") {
        assert_eq!(
            job["spec"]["template"]["spec"]["automountServiceAccountToken"],
            false
        );
        let name = job["metadata"]["name"].as_str().unwrap();
        let hash = name.rsplit('-').next().unwrap();
        assert_eq!(hash.len(), 10, "{name} carries a spec hash");
    }
}

#[test]
fn job_name_changes_with_its_spec_only() {
    let name = |objects: &[Value]| {
        objects.iter().find(|o| o["kind"] == "Job").unwrap()["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = name(&acme());
    assert_eq!(
        first,
        name(&acme()),
        "the same inputs give the same Job name"
    );
    let changed = name(&render(&[
        "-f",
        "examples/acme.yaml",
        "-n",
        "acme",
        "--set",
        "mailboxes.groups=[{name: sales, email: sales, members: [alice]}]",
    ]));
    assert_ne!(first, changed);
}
