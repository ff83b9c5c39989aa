//! The output checks catch the product's own template mistakes: a broken
//! template added through the hidden --templates-dir option makes render
//! fail with the template, the object and the field, and print nothing.

use std::path::Path;

use assert_cmd::Command;

fn render_with(fixture: &str) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let templates = root.join("tests/fixtures/broken-templates").join(fixture);
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(root)
        .args([
            "render",
            "-f",
            "examples/acme.yaml",
            "-n",
            "acme",
            "--templates-dir",
        ])
        .arg(&templates)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn misspelled_field_names_template_object_and_path() {
    let (code, stdout, stderr) = render_with("misspelled-field");
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("templates/zz-broken.yaml"), "{stderr}");
    assert!(stderr.contains("Service/stalwart-broken"), "{stderr}");
    assert!(stderr.contains("spec.ports[0].targetPortt"), "{stderr}");
}

#[test]
fn duplicate_key_names_template_and_line() {
    let (code, stdout, stderr) = render_with("duplicate-key");
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("templates/zz-broken.yaml:"), "{stderr}");
    assert!(stderr.to_lowercase().contains("duplicate"), "{stderr}");
}

#[test]
fn oversized_object_is_rejected() {
    let (code, stdout, stderr) = render_with("oversized");
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("ConfigMap/stalwart-broken"), "{stderr}");
    assert!(stderr.contains("256 KiB"), "{stderr}");
    assert!(
        stderr.contains("the values make this object too large"),
        "a size problem is blamed on the values, not the templates: {stderr}"
    );
    assert!(!stderr.contains("internal error"), "{stderr}");
}

#[test]
fn unbroken_templates_directory_changes_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let empty = tempfile::tempdir().unwrap();
    let with_dir = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(root)
        .args(["render", "-f", "examples/acme.yaml", "--templates-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    let plain = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(root)
        .args(["render", "-f", "examples/acme.yaml"])
        .output()
        .unwrap();
    assert!(with_dir.status.success());
    assert_eq!(with_dir.stdout, plain.stdout);
}
