//! `stalwart.settings` end to end through the real binary: expression blocks
//! pass the audit or fail the render with a located report, and keys the
//! product writes need the `{override: true, value: ...}` marker.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use stalwart_tenant::audit::dialect::{self, Leaf};
use tempfile::TempDir;

/// The smallest tenant that renders without Keycloak or External Secrets.
const BASE_TENANT: &str = "\
domain: acme.test
keycloak:
  enabled: false
admin:
  externalSecret:
    enabled: false
";

const BAD_RULE: &str = "rcpt_domain = 'huawei.com'";
const FIXED_RULE: &str = "rcpt_domain == 'huawei.com'";

struct Render {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Writes a tenant file of `BASE_TENANT` plus `settings` (the lines under
/// `stalwart.settings`, indented by 4) and returns the directory and path.
fn tenant_file(settings: &str) -> (TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tenant.yaml");
    let text = format!("{BASE_TENANT}stalwart:\n  settings:\n{settings}");
    std::fs::write(&path, text).unwrap();
    (directory, path)
}

fn render(path: &Path) -> Render {
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .args(["render", "-o", "json", "-f"])
        .arg(path)
        .output()
        .unwrap();
    Render {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn tls_rule_settings(condition: &str) -> String {
    format!(
        "    queue.strategy.tls:\n      - if: \"{condition}\"\n        then: \"'invalid-tls'\"\n      - else: \"'default'\"\n"
    )
}

/// Returns the config.toml of the rendered `ConfigMap`.
fn rendered_config_toml(stdout: &str) -> String {
    let list: Value = serde_json::from_str(stdout).unwrap();
    let texts: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["kind"] == "ConfigMap")
        .filter_map(|item| item["data"]["config.toml"].as_str())
        .collect();
    assert_eq!(texts.len(), 1, "expected one ConfigMap with config.toml");
    texts[0].to_owned()
}

fn leaf<'a>(leaves: &'a [Leaf], key: &str) -> Option<&'a Leaf> {
    leaves.iter().find(|leaf| leaf.key == key)
}

fn assert_failed_cleanly(render: &Render) {
    assert!(!render.success, "render succeeded:\n{}", render.stderr);
    assert_eq!(render.code, Some(1), "stderr:\n{}", render.stderr);
    assert!(
        render.stdout.is_empty(),
        "a failed render printed to stdout"
    );
}

/// Returns the 1-based line and column of `needle` in `text`.
fn line_and_column(text: &str, needle: &str) -> (usize, usize) {
    for (index, line) in text.lines().enumerate() {
        if let Some(byte) = line.find(needle) {
            return (index + 1, line[..byte].chars().count() + 1);
        }
    }
    panic!("{needle:?} is not in the text");
}

#[test]
fn bare_equals_rule_fails_render() {
    let (_directory, path) = tenant_file(&tls_rule_settings(BAD_RULE));
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    let stderr = &failed.stderr;

    assert!(stderr.contains("queue.strategy.tls"), "{stderr}");

    // The location is that of the bare `=` in the rendered config.toml, whose
    // line is the one the fixed rule renders on.
    let (fixed_directory, fixed_path) = tenant_file(&tls_rule_settings(FIXED_RULE));
    let fixed = render(&fixed_path);
    assert!(fixed.success, "{}", fixed.stderr);
    let config = rendered_config_toml(&fixed.stdout).replace(FIXED_RULE, BAD_RULE);
    let (line, column) = line_and_column(&config, "rcpt_domain = ");
    let equals_column = column + "rcpt_domain ".len();
    let location = format!("config.toml (rendered):{line}:{equals_column}");
    assert!(
        stderr.contains(&location),
        "{location} is not named\n{stderr}"
    );
    drop(fixed_directory);

    // The expression, then a caret under its `=`.
    let lines: Vec<&str> = stderr.lines().collect();
    let expression_index = lines
        .iter()
        .position(|line| line.trim() == BAD_RULE)
        .unwrap_or_else(|| panic!("the expression is not shown on a line of its own\n{stderr}"));
    let expression_line = lines[expression_index];
    let caret_line = lines[expression_index + 1];
    let expression_start = expression_line.find(BAD_RULE).unwrap();
    assert_eq!(
        caret_line.trim(),
        "^",
        "no caret below the expression\n{stderr}"
    );
    assert_eq!(
        caret_line.find('^').unwrap() - expression_start,
        BAD_RULE.find('=').unwrap(),
        "the caret is not under the `=`\n{stderr}"
    );

    assert!(stderr.contains(FIXED_RULE), "no fix proposed\n{stderr}");

    let tenant_text = std::fs::read_to_string(&path).unwrap();
    let (key_line, key_column) = line_and_column(&tenant_text, "queue.strategy.tls:");
    let origin = format!("{}:{key_line}:{key_column}", path.display());
    assert!(
        stderr.contains(&origin),
        "the tenant file location {origin} is not named\n{stderr}"
    );
}

#[test]
fn fixed_rule_renders_into_config() {
    let (_directory, path) = tenant_file(&tls_rule_settings(FIXED_RULE));
    let rendered = render(&path);
    assert!(rendered.success, "{}", rendered.stderr);

    let config = rendered_config_toml(&rendered.stdout);
    let leaves = dialect::parse(&config).unwrap();
    let condition = leaf(&leaves, "queue.strategy.tls.0000.if").unwrap();
    assert_eq!(condition.value, FIXED_RULE);
    let then = leaf(&leaves, "queue.strategy.tls.0000.then").unwrap();
    assert_eq!(then.value, "'invalid-tls'");
    let otherwise = leaf(&leaves, "queue.strategy.tls.0001.else").unwrap();
    assert_eq!(otherwise.value, "'default'");
    assert!(
        stalwart_tenant::audit::audit_config(&config)
            .unwrap()
            .is_empty(),
        "the rendered config.toml has audit findings"
    );
}

#[test]
fn managed_key_without_marker_fails() {
    let (_directory, path) = tenant_file("    server.hostname: \"mx.acme.test\"\n");
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    assert!(
        failed.stderr.contains("server.hostname"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("already writes"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("{override: true, value: ...}"),
        "the marker is not named\n{}",
        failed.stderr
    );
}

#[test]
fn override_marker_replaces_product_value() {
    let (_directory, path) =
        tenant_file("    server.hostname:\n      override: true\n      value: \"mx.acme.test\"\n");
    let rendered = render(&path);
    assert!(rendered.success, "{}", rendered.stderr);

    let config = rendered_config_toml(&rendered.stdout);
    let leaves = dialect::parse(&config).unwrap();
    let hostnames: Vec<&Leaf> = leaves
        .iter()
        .filter(|leaf| leaf.key == "server.hostname")
        .collect();
    assert_eq!(hostnames.len(), 1, "server.hostname is written twice");
    assert_eq!(hostnames[0].value, "mx.acme.test");
    assert!(
        !config.contains("mail.acme.test\""),
        "the product's hostname is still in config.toml"
    );
}

#[test]
fn override_marker_on_unmanaged_key_fails() {
    let (_directory, path) =
        tenant_file("    queue.strategy.route:\n      override: true\n      value: \"'mx'\"\n");
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    assert!(
        failed.stderr.contains("queue.strategy.route"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("does not write"),
        "{}",
        failed.stderr
    );
}

#[test]
fn override_false_fails() {
    let (_directory, path) =
        tenant_file("    server.hostname:\n      override: false\n      value: \"mx.acme.test\"\n");
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    assert!(
        failed.stderr.contains("server.hostname"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("override: false"),
        "{}",
        failed.stderr
    );
}

#[test]
fn table_value_clash_fails() {
    let (_directory, path) = tenant_file("    server.listener.smtp: \"x\"\n");
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    assert!(
        failed.stderr.contains("server.listener.smtp"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("both a value and a table"),
        "{}",
        failed.stderr
    );

    // The other direction: a key below one the product writes as a value.
    let (_directory, path) = tenant_file("    server.hostname.extra: \"x\"\n");
    let failed = render(&path);
    assert_failed_cleanly(&failed);
    assert!(
        failed.stderr.contains("server.hostname"),
        "{}",
        failed.stderr
    );
}
