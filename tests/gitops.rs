//! Tests against the real binary: `--output-dir`, many tenants in one run,
//! the Argo CD plugin environment and the committed values schema.
//!
//! The kustomization tests run `kubectl kustomize`, which needs kubectl on
//! PATH but no cluster.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Returns the binary as a command in the repository root, without any
/// Argo CD or output-directory variables inherited from the caller.
fn stalwart_tenant() -> assert_cmd::Command {
    let mut command = cargo_bin_cmd!("stalwart-tenant");
    command.current_dir(MANIFEST_DIR);
    for name in [
        "ARGOCD_APP_NAME",
        "ARGOCD_APP_NAMESPACE",
        "ARGOCD_APP_PARAMETERS",
        "ARGOCD_APP_SOURCE_PATH",
        "ARGOCD_ENV_VALUES_FILES",
        "ARGOCD_ENV_RELEASE_NAME",
        "STALWART_TENANT_OUTPUT_DIR",
        "STALWART_TENANT_VALUES",
        "STALWART_TENANT_NAMESPACE",
        "STALWART_TENANT_RELEASE_NAME",
    ] {
        command.env_remove(name);
    }
    command
}

fn example(name: &str) -> PathBuf {
    Path::new(MANIFEST_DIR).join("examples").join(name)
}

/// Renders `-f examples/acme.yaml -n acme` to stdout.
fn acme_stream() -> String {
    let output = stalwart_tenant()
        .args(["render", "-f", "examples/acme.yaml", "-n", "acme"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Reads every file of a directory (not recursive): name to contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().into_string().unwrap(),
                fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// Returns the names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn kustomization_resources(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let value: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(value["apiVersion"], "kustomize.config.k8s.io/v1beta1");
    assert_eq!(value["kind"], "Kustomization");
    value["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

/// Parses a YAML stream into its objects, sorted by kind and name.
fn objects(stream: &str) -> Vec<Value> {
    let mut objects: Vec<Value> = serde_saphyr::from_multiple(stream).unwrap();
    objects.retain(|object| !object.is_null());
    objects.sort_by_key(|object| {
        (
            object["kind"].to_string(),
            object["metadata"]["name"].to_string(),
        )
    });
    objects
}

/// Runs `kubectl kustomize DIR` and returns its output.
fn kustomize(dir: &Path) -> String {
    let output = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(output) => output,
        Err(error) => panic!(
            "cannot run kubectl ({error}): these tests need kubectl on PATH to check the kustomization"
        ),
    };
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn output_dir_layout() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("acme");
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();

    let resources = kustomization_resources(&out);
    let mut expected_entries = resources.clone();
    expected_entries.push("kustomization.yaml".to_owned());
    expected_entries.sort();
    assert_eq!(
        entries(&out),
        expected_entries,
        "the directory holds exactly the listed files"
    );
    assert_eq!(
        resources,
        {
            let mut sorted = resources.clone();
            sorted.sort();
            sorted
        },
        "file names sort in output order"
    );
    assert_eq!(resources[0], "01-serviceaccount-stalwart.yaml");

    let mut joined = String::new();
    for resource in &resources {
        let text = fs::read_to_string(out.join(resource)).unwrap();
        assert!(
            text.starts_with("# Source: templates/"),
            "{resource} starts with its source comment"
        );
        assert!(
            !text.lines().any(|line| line == "---"),
            "{resource} holds one document"
        );
        joined.push_str("---\n");
        joined.push_str(&text);
    }
    assert_eq!(
        joined,
        acme_stream(),
        "the files joined give the stdout stream"
    );
    assert_eq!(
        entries(work.path()),
        ["acme"],
        "no staging or old tree is left beside the output"
    );
}

#[test]
fn kustomize_accepts_output_dir() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("acme");
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    let built = kustomize(&out);
    assert_eq!(
        objects(&built),
        objects(&acme_stream()),
        "kustomize builds the same objects as the stdout render"
    );
}

#[test]
fn output_dir_from_environment() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("from-env");
    stalwart_tenant()
        .env("STALWART_TENANT_OUTPUT_DIR", &out)
        .args(["render", "-f", "examples/acme.yaml", "-n", "acme"])
        .assert()
        .success()
        .stdout("");
    assert!(out.join("kustomization.yaml").is_file());
}

#[test]
fn second_run_byte_identical() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("acme");
    let render = || {
        stalwart_tenant()
            .args([
                "render",
                "-f",
                "examples/acme.yaml",
                "-n",
                "acme",
                "--output-dir",
            ])
            .arg(&out)
            .assert()
            .success();
    };
    render();
    let first = snapshot(&out);
    render();
    assert_eq!(snapshot(&out), first);
    assert_eq!(entries(work.path()), ["acme"]);
}

#[test]
fn stale_files_removed() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("acme");
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    fs::write(out.join("99-left-over.yaml"), "kind: ConfigMap\n").unwrap();

    assert!(out.join("03-externalsecret-stalwart-oidc.yaml").is_file());

    // The second render has one object fewer, so every later file moves up.
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--set",
            "keycloak.oidcExternalSecret.enabled=false",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    let files = entries(&out);
    assert!(
        !files.contains(&"99-left-over.yaml".to_owned()),
        "{files:?}"
    );
    assert!(
        !files
            .iter()
            .any(|file| file.contains("externalsecret-stalwart-oidc")),
        "{files:?}"
    );
    assert_eq!(files.len(), 16, "{files:?}");
    assert_eq!(kustomization_resources(&out).len(), 15);
    assert_eq!(files[2], "03-configmap-stalwart-config.yaml");
}

#[test]
fn failed_render_keeps_directory() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("acme");
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);

    let broken = work.path().join("broken.yaml");
    fs::write(&broken, "domian: typo.example\n").unwrap();
    let output = stalwart_tenant()
        .args(["render", "-f", "examples/acme.yaml", "-n", "acme", "-f"])
        .arg(&broken)
        .arg("--output-dir")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was left unchanged"), "{stderr}");
    assert_eq!(snapshot(&out), before);
    assert_eq!(
        entries(work.path()),
        ["acme", "broken.yaml"],
        "no staging tree is left behind"
    );
}

#[test]
fn foreign_directory_not_replaced() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("notes");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("todo.txt"), "keep me\n").unwrap();
    let output = stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is not an output directory of stalwart-tenant"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(out.join("todo.txt")).unwrap(),
        "keep me\n"
    );
}

#[test]
fn output_dir_rejects_json() {
    let work = tempfile::tempdir().unwrap();
    stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-o",
            "json",
            "--output-dir",
        ])
        .arg(work.path().join("out"))
        .assert()
        .code(2);
}

#[test]
fn output_dir_rejects_show_only() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let output = stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--show-only",
            "StatefulSet/stalwart",
            "--output-dir",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot be combined with --show-only"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Writes `count` tenant files named t000.yaml, t001.yaml, ... into `dir`,
/// each a copy of examples/acme.yaml with its own domain.
fn write_tenants(dir: &Path, count: usize) {
    let acme = fs::read_to_string(example("acme.yaml")).unwrap();
    fs::create_dir_all(dir).unwrap();
    for index in 0..count {
        let name = format!("t{index:03}");
        fs::write(
            dir.join(format!("{name}.yaml")),
            acme.replace("acme", &name),
        )
        .unwrap();
    }
}

#[test]
fn many_tenants_one_broken() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    let out = work.path().join("rendered");
    write_tenants(&tenants, 200);

    // A first run renders t137 while its file is still good.
    stalwart_tenant()
        .args(["render", "--namespace-from-file-stem", "--tenant"])
        .arg(tenants.join("t137.yaml"))
        .arg("--output-dir")
        .arg(&out)
        .assert()
        .success();
    let t137_before = snapshot(&out.join("t137"));

    let broken = fs::read_to_string(tenants.join("t137.yaml"))
        .unwrap()
        .replace("keycloak:", "keycloack:");
    fs::write(tenants.join("t137.yaml"), broken).unwrap();
    let output = stalwart_tenant()
        .args(["render", "--namespace-from-file-stem", "--tenants-dir"])
        .arg(&tenants)
        .arg("--output-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());

    let error_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("stalwart-tenant: error: tenant "))
        .collect();
    assert_eq!(error_lines.len(), 1, "{stderr}");
    assert!(error_lines[0].contains("t137.yaml"), "{stderr}");
    assert!(
        stderr.contains("keycloack"),
        "the error names the unknown key: {stderr}"
    );
    assert!(stderr.contains("1 of 200 tenants failed"), "{stderr}");

    let directories = entries(&out);
    assert_eq!(
        directories.len(),
        200,
        "199 new directories and the old t137: {directories:?}"
    );
    assert_eq!(
        snapshot(&out.join("t137")),
        t137_before,
        "the failed tenant keeps its previous directory"
    );
    for index in (0..200).filter(|index| *index != 137) {
        let dir = out.join(format!("t{index:03}"));
        assert!(
            dir.join("kustomization.yaml").is_file(),
            "{} was written",
            dir.display()
        );
    }

    let t005 =
        fs::read_to_string(out.join("t005").join("01-serviceaccount-stalwart.yaml")).unwrap();
    assert!(
        t005.contains("namespace: t005"),
        "the namespace is the file stem: {t005}"
    );
    let certificate = fs::read_dir(out.join("t005"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("-certificate-"))
        .unwrap();
    assert!(
        fs::read_to_string(certificate)
            .unwrap()
            .contains("t005.omantel.omani.works"),
        "each tenant has its own domain"
    );
    kustomize(&out.join("t005"));
}

/// Runs `render --tenants-dir TENANTS --output-dir OUT` with `extra` flags.
fn render_tenants(tenants: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    stalwart_tenant()
        .args(["render", "--namespace-from-file-stem", "--tenants-dir"])
        .arg(tenants)
        .arg("--output-dir")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn prune_removes_deleted_tenants_only() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    let out = work.path().join("rendered");
    write_tenants(&tenants, 3);
    let first = render_tenants(&tenants, &out, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // Entries in the output root that stalwart-tenant did not write.
    fs::create_dir_all(out.join("notes")).unwrap();
    fs::write(
        out.join("notes").join("kustomization.yaml"),
        "resources: []\n",
    )
    .unwrap();
    fs::write(out.join("kustomization.yaml"), "resources:\n- t000\n").unwrap();
    fs::remove_file(tenants.join("t001.yaml")).unwrap();

    // Without --prune, the deleted tenant's directory stays.
    let without_prune = render_tenants(&tenants, &out, &[]);
    assert!(without_prune.status.success());
    assert!(out.join("t001").is_dir());

    let pruned = render_tenants(&tenants, &out, &["--prune"]);
    let stderr = String::from_utf8_lossy(&pruned.stderr);
    assert_eq!(pruned.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("removed "), "{stderr}");
    assert!(stderr.contains("t001"), "{stderr}");
    assert_eq!(
        entries(&out),
        ["kustomization.yaml", "notes", "t000", "t002"],
        "only the generated directory of the deleted tenant is removed"
    );
    assert!(out.join("notes").join("kustomization.yaml").is_file());
}

#[cfg(unix)]
#[test]
fn prune_keeps_unreadable_tenant() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    let out = work.path().join("rendered");
    write_tenants(&tenants, 3);
    assert!(render_tenants(&tenants, &out, &[]).status.success());

    // t000.yaml becomes a broken link and t001.yaml a directory: neither
    // tenant was deleted, so neither output may go.
    fs::remove_file(tenants.join("t000.yaml")).unwrap();
    std::os::unix::fs::symlink(work.path().join("missing.yaml"), tenants.join("t000.yaml"))
        .unwrap();
    fs::remove_file(tenants.join("t001.yaml")).unwrap();
    fs::create_dir(tenants.join("t001.yaml")).unwrap();

    let run = render_tenants(&tenants, &out, &["--prune"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("removed "), "{stderr}");
    assert!(stderr.contains("t000.yaml"), "{stderr}");
    assert!(stderr.contains("it is a directory"), "{stderr}");
    assert!(stderr.contains("2 of 3 tenants failed"), "{stderr}");
    assert_eq!(entries(&out), ["t000", "t001", "t002"]);
}

#[test]
fn tenants_sharing_a_domain_fail_together() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    let out = work.path().join("rendered");
    write_tenants(&tenants, 3);
    // t002 becomes a copy of t000, domain included.
    fs::copy(tenants.join("t000.yaml"), tenants.join("t002.yaml")).unwrap();
    let run = render_tenants(&tenants, &out, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("t000.yaml and "), "{stderr}");
    assert!(
        stderr.contains("t002.yaml both have the domain"),
        "{stderr}"
    );
    assert!(stderr.contains("2 of 3 tenants failed"), "{stderr}");
    assert_eq!(entries(&out), ["t001"]);
}

#[test]
fn prune_needs_tenants_dir() {
    let work = tempfile::tempdir().unwrap();
    let output = stalwart_tenant()
        .args([
            "render",
            "--tenant",
            "examples/acme.yaml",
            "--prune",
            "--output-dir",
        ])
        .arg(work.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--prune needs --tenants-dir"), "{stderr}");
    assert!(!work.path().join("out").exists(), "nothing is written");
}

#[test]
fn one_tenant_message_is_singular() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    write_tenants(&tenants, 1);
    let output = render_tenants(&tenants, &work.path().join("out"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("rendered 1 tenant into"), "{stderr}");
}

#[test]
fn tenants_output_dir_is_a_file() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    write_tenants(&tenants, 1);
    let file = work.path().join("out");
    fs::write(&file, "not a directory\n").unwrap();
    let output = render_tenants(&tenants, &file, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("it exists and is not a directory"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a directory\n");
}

#[test]
fn boolean_variables_accept_one_and_zero() {
    let work = tempfile::tempdir().unwrap();
    let tenants = work.path().join("tenants");
    write_tenants(&tenants, 1);
    let out = work.path().join("out");
    let output = stalwart_tenant()
        .args(["render", "--tenants-dir"])
        .arg(&tenants)
        .arg("--output-dir")
        .arg(&out)
        .env("STALWART_TENANT_NAMESPACE_FROM_FILE_STEM", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let service_account =
        fs::read_to_string(out.join("t000").join("01-serviceaccount-stalwart.yaml")).unwrap();
    assert!(
        service_account.contains("namespace: t000"),
        "{service_account}"
    );

    let invalid = stalwart_tenant()
        .args(["render", "-f", "examples/acme.yaml"])
        .env("STALWART_TENANT_SMOKE", "maybe")
        .output()
        .unwrap();
    assert_eq!(invalid.status.code(), Some(2));
}

#[test]
fn tenants_need_output_dir() {
    stalwart_tenant()
        .args(["render", "--tenant", "examples/acme.yaml"])
        .assert()
        .code(2);
    stalwart_tenant()
        .args([
            "render",
            "--tenant",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--output-dir",
            "/nonexistent-parent/out",
        ])
        .assert()
        .code(2);
}

#[test]
fn tenant_layers_apply_shared_first() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("rendered");
    // The shared --set comes first, so the tenant file's domain wins over it.
    stalwart_tenant()
        .args([
            "render",
            "--set",
            "domain.primary=shared.example",
            "--tenant",
            "examples/acme.yaml",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .success();
    let certificate =
        fs::read_to_string(out.join("acme").join("13-certificate-stalwart-tls.yaml")).unwrap();
    assert!(
        certificate.contains("acme.omantel.omani.works"),
        "{certificate}"
    );
    assert!(!certificate.contains("shared.example"), "{certificate}");
}

#[test]
fn argocd_params_match_flag_render() {
    let output = stalwart_tenant()
        .env("ARGOCD_APP_NAME", "stalwart-acme")
        .env("ARGOCD_APP_NAMESPACE", "acme")
        .env("PARAM_VALUES_FILES_0", "examples/acme.yaml")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), acme_stream());
}

#[test]
fn argocd_json_parameters_match_flags() {
    let parameters = r#"[{"name":"values-files","array":["examples/acme.yaml"]},{"name":"set","map":{"stalwart.image.tag":"v0.15.4"}},{"name":"release-name","string":"mail"}]"#;
    let plugin = stalwart_tenant()
        .arg("argocd-generate")
        .env("ARGOCD_APP_NAMESPACE", "acme")
        .env("ARGOCD_APP_PARAMETERS", parameters)
        .output()
        .unwrap();
    assert!(
        plugin.status.success(),
        "{}",
        String::from_utf8_lossy(&plugin.stderr)
    );
    let flags = stalwart_tenant()
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "--set",
            "stalwart.image.tag=v0.15.4",
            "--release-name",
            "mail",
            "-n",
            "acme",
        ])
        .output()
        .unwrap();
    assert!(flags.status.success());
    assert_eq!(plugin.stdout, flags.stdout);
    assert!(String::from_utf8_lossy(&plugin.stdout).contains("stalwartlabs/stalwart:v0.15.4"));
}

#[test]
fn argocd_no_values_file_note() {
    let output = stalwart_tenant()
        .arg("argocd-generate")
        .env("ARGOCD_APP_NAMESPACE", "acme")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the Application names no values file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("set the `values-files` parameter"),
        "{stderr}"
    );
}

#[test]
fn argocd_rejects_files_outside_repository() {
    let output = stalwart_tenant()
        .env("ARGOCD_APP_NAMESPACE", "acme")
        .env("PARAM_VALUES_FILES_0", "/etc/passwd")
        .env("PARAM_VALUES_FILES_1", "../../../../../../etc/hostname")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/etc/passwd is an absolute path"),
        "{stderr}"
    );
}

#[test]
fn argocd_discover_finds_tenant() {
    let work = tempfile::tempdir().unwrap();
    stalwart_tenant()
        .arg("argocd-discover")
        .current_dir(work.path())
        .assert()
        .success()
        .stdout("");
    fs::create_dir(work.path().join("tenants")).unwrap();
    fs::write(
        work.path().join("tenants").join("notes.yaml"),
        "title: not a tenant\n",
    )
    .unwrap();
    stalwart_tenant()
        .arg("argocd-discover")
        .current_dir(work.path())
        .assert()
        .success()
        .stdout("");
    fs::copy(
        example("acme.yaml"),
        work.path().join("tenants").join("acme.yaml"),
    )
    .unwrap();
    stalwart_tenant()
        .arg("argocd-discover")
        .current_dir(work.path())
        .assert()
        .success()
        .stdout("tenants/acme.yaml\n");
}

#[test]
fn argocd_discover_searches_three_levels_below() {
    let work = tempfile::tempdir().unwrap();
    let deep = work.path().join("a/b/c/d");
    fs::create_dir_all(&deep).unwrap();
    fs::copy(example("acme.yaml"), deep.join("acme.yaml")).unwrap();
    let discover = || {
        stalwart_tenant()
            .arg("argocd-discover")
            .current_dir(work.path())
            .output()
            .unwrap()
    };
    assert_eq!(String::from_utf8(discover().stdout).unwrap(), "");
    fs::rename(deep.join("acme.yaml"), work.path().join("a/b/c/acme.yaml")).unwrap();
    assert_eq!(
        String::from_utf8(discover().stdout).unwrap(),
        "a/b/c/acme.yaml\n"
    );
}

fn values_schema() -> Value {
    serde_json::from_str(
        &fs::read_to_string(Path::new(MANIFEST_DIR).join("schema/values.schema.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn committed_schema_is_current() {
    let output = stalwart_tenant()
        .args(["values", "--schema"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let committed =
        fs::read_to_string(Path::new(MANIFEST_DIR).join("schema/values.schema.json")).unwrap();
    assert!(
        String::from_utf8(output.stdout).unwrap() == committed,
        "schema/values.schema.json is stale; regenerate it with `stalwart-tenant values --schema > schema/values.schema.json`"
    );
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = values_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("the values schema is not a valid draft 2020-12 schema: {error}");
    }
}

#[test]
fn schema_accepts_examples() {
    let validator = jsonschema::draft202012::new(&values_schema()).unwrap();
    let mut checked = 0;
    for entry in fs::read_dir(Path::new(MANIFEST_DIR).join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "yaml") {
            continue;
        }
        let instance: Value = serde_saphyr::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match the schema: {errors:?}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "examples/*.yaml found: {checked}");

    let defaults: Value = serde_saphyr::from_str(
        &fs::read_to_string(Path::new(MANIFEST_DIR).join("values.yaml")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&defaults)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "values.yaml does not match the schema: {errors:?}"
    );
}

#[test]
fn schema_rejects_typo_key() {
    let validator = jsonschema::draft202012::new(&values_schema()).unwrap();
    let text = fs::read_to_string(example("acme.yaml"))
        .unwrap()
        .replace("realmURL:", "realmUrl:");
    let instance: Value = serde_saphyr::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(!errors.is_empty(), "a typo'd key must be rejected");
    assert!(
        errors.iter().any(|error| error.contains("realmUrl")),
        "{errors:?}"
    );
}

#[test]
fn schema_requires_list_item_fields() {
    // A list in a tenant file replaces the default list, so its items get
    // no defaults: a group without members is an error in render and
    // must be one in the editor too. Top-level keys stay optional.
    let validator = jsonschema::draft202012::new(&values_schema()).unwrap();
    let group_without_members: Value = serde_json::json!({
        "domain": "acme.example",
        "mailboxes": {"groups": [{"name": "sales", "email": "sales"}]}
    });
    let errors: Vec<String> = validator
        .iter_errors(&group_without_members)
        .map(|error| error.to_string())
        .collect();
    assert!(
        errors.iter().any(|error| error.contains("members")),
        "{errors:?}"
    );
    let complete: Value = serde_json::json!({
        "domain": "acme.example",
        "mailboxes": {"groups": [{"name": "sales", "email": "sales", "members": ["admin"]}]}
    });
    assert!(validator.is_valid(&complete));
}
