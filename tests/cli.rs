//! End-to-end runs of the real binary: the example tenants render to the
//! snapshots under tests/snapshots/, and every error path exits 1 with
//! nothing on stdout and a message that says what and where.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn binary() -> Command {
    let mut command = Command::cargo_bin("stalwart-tenant").unwrap();
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    // Flags given as environment variables by a developer's shell must not leak in.
    for name in [
        "STALWART_TENANT_VALUES",
        "STALWART_TENANT_NAMESPACE",
        "STALWART_TENANT_RELEASE_NAME",
        "STALWART_TENANT_SMOKE",
        "STALWART_TENANT_OUTPUT",
        "STALWART_TENANT_TEMPLATES_DIR",
    ] {
        command.env_remove(name);
    }
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let output = binary().args(args).write_stdin(stdin).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn write_tenant(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Stderr with the temporary directory replaced, for snapshots.
fn stable(stderr: &str, dir: &Path) -> String {
    stderr.replace(&dir.display().to_string(), "[TMP]")
}

fn assert_failed_cleanly(run: &Run) {
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "stdout must be empty on error, got:\n{}",
        run.stdout
    );
    assert!(
        run.stderr.starts_with("stalwart-tenant: error: "),
        "first line must be decisive:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn acme_example_renders() {
    let run = run(&["render", "-f", "examples/acme.yaml", "-n", "acme"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("acme", run.stdout);
}

#[test]
fn byo_example_renders() {
    let run = run(&["render", "-f", "examples/byo.yaml", "-n", "globex"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("byo", run.stdout);
}

#[test]
fn smoke_renders_defaults_and_says_what_it_skipped() {
    let run = run(&["render", "--smoke"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: StatefulSet"));
    assert!(
        run.stderr
            .contains("skipped templates/externalsecret-admin.yaml"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("placeholder domain tenant.example"),
        "{}",
        run.stderr
    );
    insta::assert_snapshot!("smoke", run.stdout);
}

#[test]
fn no_values_lists_every_missing_required_value() {
    let run = run(&["render"]);
    assert_failed_cleanly(&run);
    for path in [
        "domain.primary",
        "keycloak.realmURL",
        "admin.externalSecret.remoteRef.key",
        "keycloak.oidcExternalSecret.remoteRef.key",
    ] {
        assert!(
            run.stderr.contains(&format!("missing value `{path}`")),
            "{path} not reported:\n{}",
            run.stderr
        );
    }
    insta::assert_snapshot!("no_values", run.stderr);
}

#[test]
fn three_typos_give_three_errors_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tenant(
        dir.path(),
        "typos.yaml",
        "domain:\n  primry: acme.example\nkeycloak:\n  realmUrl: https://auth.acme.example/realms/sme\nservice:\n  smtp:\n    tpye: LoadBalancer\n",
    );
    let run = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert_failed_cleanly(&run);
    assert!(
        run.stderr.contains("render failed with 3 errors"),
        "{}",
        run.stderr
    );
    for (line_column, suggestion) in [
        ("typos.yaml:2:3", "domain.primary"),
        ("typos.yaml:4:3", "keycloak.realmURL"),
        ("typos.yaml:7:5", "service.smtp.type"),
    ] {
        assert!(
            run.stderr.contains(line_column),
            "{line_column} missing:\n{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains(&format!("did you mean `{suggestion}`?")),
            "{suggestion} missing:\n{}",
            run.stderr
        );
    }
    insta::assert_snapshot!("typos", stable(&run.stderr, dir.path()));
}

#[test]
fn unknown_keys_do_not_hide_later_problems() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tenant(dir.path(), "mixed.yaml", "domian: acme.example\n");
    let run = run(&["lint", "-f", file.to_str().unwrap()]);
    assert_failed_cleanly(&run);
    assert!(
        run.stderr.contains("unknown key `domian`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `domain`?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("missing value `domain.primary`"),
        "{}",
        run.stderr
    );
}

#[test]
fn wrong_type_is_reported_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tenant(
        dir.path(),
        "port.yaml",
        "service:\n  smtp:\n    ports:\n      smtp: \"twenty-five\"\n",
    );
    let run = run(&[
        "render",
        "-f",
        file.to_str().unwrap(),
        "-f",
        "examples/acme.yaml",
    ]);
    assert_failed_cleanly(&run);
    assert!(run.stderr.contains("`service.smtp.ports.smtp` has the wrong type: expected an integer, found string \"twenty-five\""), "{}", run.stderr);
    assert!(run.stderr.contains("port.yaml:4:13"), "{}", run.stderr);
}

#[test]
fn enabled_external_secret_without_key_fails_closed() {
    let run = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "--set",
        "admin.externalSecret.remoteRef.key=",
    ]);
    assert_failed_cleanly(&run);
    assert!(
        run.stderr
            .contains("missing value `admin.externalSecret.remoteRef.key`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "set admin.externalSecret.enabled=false and create the Secret stalwart-admin yourself"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn userinfo_validation_renders_no_client_secret() {
    let introspect = run(&["render", "-f", "examples/acme.yaml", "-n", "acme"]);
    assert_eq!(introspect.code, 0, "{}", introspect.stderr);
    assert!(introspect.stdout.contains("name: stalwart-oidc"));

    let userinfo = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "-n",
        "acme",
        "--set-string",
        "keycloak.tokenValidation=userinfo",
    ]);
    assert_eq!(userinfo.code, 0, "{}", userinfo.stderr);
    assert!(
        !userinfo.stdout.contains("stalwart-oidc"),
        "an unused OIDC client secret is still rendered or mounted"
    );
    assert!(userinfo.stdout.contains("kind: ExternalSecret"));
}

#[test]
fn name_over_63_characters_is_rejected() {
    let release = "a-very-long-release-name-for-a-tenant-that-goes-on";
    let run = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "--release-name",
        release,
    ]);
    assert_failed_cleanly(&run);
    assert!(
        run.stderr.contains("render failed with 1 error"),
        "one error for all names:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "the longest is the Job {release}-dns-publish-<hash> (73 characters)"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("of at most 40 characters"),
        "{}",
        run.stderr
    );
}

#[test]
fn set_and_files_apply_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_tenant(dir.path(), "late.yaml", "stalwart:\n  logLevel: debug\n");
    let later_file = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "--set",
        "stalwart.logLevel=trace",
        "-f",
        file.to_str().unwrap(),
        "--show-only",
        "ConfigMap/stalwart-config",
    ]);
    assert_eq!(later_file.code, 0, "{}", later_file.stderr);
    assert!(
        later_file
            .stdout
            .contains("tracer.stdout.level = \"debug\"")
    );
    let later_set = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "-f",
        file.to_str().unwrap(),
        "--set",
        "stalwart.logLevel=trace",
        "--show-only",
        "ConfigMap/stalwart-config",
    ]);
    assert!(later_set.stdout.contains("tracer.stdout.level = \"trace\""));
}

#[test]
fn stdin_values_and_plain_string_domain() {
    let tenant =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme.yaml"))
            .unwrap();
    let tenant = tenant.replace("domain:\n  primary: \"acme.omantel.omani.works\"   # or \"acme.com\" for BYO\n  mode: \"free-subdomain\"                 # or \"byo\"\n", "domain: acme.omantel.omani.works\n");
    let from_stdin = run_with_stdin(&["render", "-f", "-", "-n", "acme"], &tenant);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    let from_file = run(&["render", "-f", "examples/acme.yaml", "-n", "acme"]);
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

#[test]
fn json_output_is_a_v1_list() {
    let run = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "-n",
        "acme",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().unwrap().len(), run_yaml_count());
}

fn run_yaml_count() -> usize {
    run(&["render", "-f", "examples/acme.yaml", "-n", "acme"])
        .stdout
        .matches("\n# Source: ")
        .count()
}

#[test]
fn show_only_selects_and_rejects_unknown() {
    let selected = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "--show-only",
        "StatefulSet/stalwart",
    ]);
    assert_eq!(selected.code, 0, "{}", selected.stderr);
    assert_eq!(selected.stdout.matches("\nkind: ").count(), 1);
    let unknown = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "--show-only",
        "Deployment/stalwart",
    ]);
    assert_failed_cleanly(&unknown);
    assert!(
        unknown
            .stderr
            .contains("rendered objects: ServiceAccount/stalwart"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["render", "--no-such-flag"]).code, 2);
    assert_eq!(run(&["no-such-command"]).code, 2);
    assert_eq!(run(&["render", "-o", "xml"]).code, 2);
}

#[test]
fn every_object_has_namespace_and_standard_labels() {
    let run = run(&[
        "render",
        "-f",
        "examples/acme.yaml",
        "-n",
        "acme",
        "-o",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for item in list["items"].as_array().unwrap() {
        let name = item["metadata"]["name"].as_str().unwrap();
        assert_eq!(item["metadata"]["namespace"], "acme", "{name}");
        for label in ["name", "instance", "version", "managed-by", "component"] {
            assert!(
                item["metadata"]["labels"][format!("app.kubernetes.io/{label}")].is_string(),
                "{name} lacks {label}"
            );
        }
    }
}

#[test]
fn lint_reports_without_manifests() {
    let good = run(&["lint", "-f", "examples/acme.yaml"]);
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert!(good.stdout.is_empty());
    assert!(
        good.stderr
            .starts_with("stalwart-tenant: lint passed: 16 objects"),
        "{}",
        good.stderr
    );
    let strict = run(&["lint", "--strict", "-f", "examples/acme.yaml"]);
    assert_eq!(
        strict.code, 1,
        "the tag-only Stalwart image is an error under --strict"
    );
    assert!(strict.stderr.contains("pinned by tag only"));
}

#[test]
fn dns_prints_records() {
    let zone = run(&["dns", "-f", "examples/byo.yaml"]);
    assert_eq!(zone.code, 0, "{}", zone.stderr);
    insta::assert_snapshot!("dns_zone", zone.stdout);
    let json = run(&["dns", "-f", "examples/byo.yaml", "--format", "json"]);
    let records: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(records["records"].as_array().unwrap().len(), 4);
    let missing = run(&["dns"]);
    assert_failed_cleanly(&missing);
}

#[test]
fn values_prints_defaults() {
    let run = run(&["values"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("values.yaml")).unwrap()
    );
}
