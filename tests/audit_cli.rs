//! `stalwart-tenant audit FILE|-` on hand-written config.toml files in
//! tests/fixtures/audit/, run as the real binary.

use std::path::PathBuf;

use assert_cmd::Command;

struct Audit {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit")
        .join(name)
}

fn audit(argument: &str, stdin: Option<Vec<u8>>) -> Audit {
    let mut command = Command::cargo_bin("stalwart-tenant").unwrap();
    command.args(["audit", argument]);
    if let Some(bytes) = stdin {
        command.write_stdin(bytes);
    }
    let output = command.output().unwrap();
    Audit {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Returns the 1-based line and column of the first `=` after `prefix` on
/// the line that contains `prefix`.
fn equals_location(text: &str, prefix: &str) -> (usize, usize) {
    for (index, line) in text.lines().enumerate() {
        if let Some(start) = line.find(prefix) {
            let equals = start + line[start..].find('=').unwrap();
            return (index + 1, line[..equals].chars().count() + 1);
        }
    }
    panic!("{prefix:?} is not in the text");
}

/// Checks one finding block: key, location, the expression with a caret
/// under its `=`, and the fix.
fn assert_finding(
    report: &str,
    file_name: &str,
    text: &str,
    key: &str,
    expression: &str,
    fix: &str,
) {
    let lines: Vec<&str> = report.lines().collect();
    let key_index = lines
        .iter()
        .position(|line| line.starts_with(&format!("error: in the expression `{key}`: ")))
        .unwrap_or_else(|| panic!("no finding for {key}\n{report}"));

    let (line, column) = equals_location(text, expression);
    assert_eq!(
        lines[key_index + 1].trim(),
        format!("--> {file_name}:{line}:{column}"),
        "wrong location for {key}\n{report}"
    );

    let expression_line = lines[key_index + 2];
    let caret_line = lines[key_index + 3];
    let shown = expression_line
        .find(expression)
        .unwrap_or_else(|| panic!("the expression of {key} is not shown\n{report}"));
    assert_eq!(
        caret_line.find('^').unwrap() - shown,
        expression.find('=').unwrap(),
        "the caret is not under the `=` of {key}\n{report}"
    );
    assert_eq!(
        lines[key_index + 4].trim(),
        format!("= help: write {fix}"),
        "wrong fix for {key}\n{report}"
    );
}

#[test]
fn audit_reports_two_bad_expressions() {
    let path = fixture("two-findings.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let result = audit(path.to_str().unwrap(), None);

    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let name = path.display().to_string();
    assert!(
        result
            .stderr
            .contains(&format!("{name}: 2 expression problems found")),
        "{}",
        result.stderr
    );
    assert_finding(
        &result.stderr,
        &name,
        &text,
        "queue.strategy.route.0000.if",
        "rcpt_domain='example.org'",
        "rcpt_domain=='example.org'",
    );
    assert_finding(
        &result.stderr,
        &name,
        &text,
        "auth.dkim.sign.0000.if",
        "sender_domain = 'example.org'",
        "sender_domain == 'example.org'",
    );
    assert!(
        !result.stderr.contains("session.rcpt.relay"),
        "the good expression was reported\n{}",
        result.stderr
    );
    assert!(
        !result.stderr.contains("lookup.notes"),
        "a string that is not an expression was reported\n{}",
        result.stderr
    );
}

#[test]
fn audit_clean_file_exits_zero() {
    let path = fixture("clean.toml");
    let result = audit(path.to_str().unwrap(), None);
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    assert!(
        result.stderr.contains("no expression problems found"),
        "{}",
        result.stderr
    );
}

#[test]
fn audit_invalid_toml_names_location() {
    let path = fixture("invalid.toml");
    let result = audit(path.to_str().unwrap(), None);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    // `1_000` on line 3: Stalwart's parser stops at the `_`, column 20.
    let location = format!("{}:3:20:", path.display());
    assert!(
        result.stderr.contains(&location),
        "{location} is not named\n{}",
        result.stderr
    );
    assert!(result.stderr.contains("error"), "{}", result.stderr);
}

#[test]
fn audit_reads_stdin() {
    let text = std::fs::read(fixture("two-findings.toml")).unwrap();
    let result = audit("-", Some(text.clone()));
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let text = String::from_utf8(text).unwrap();
    assert_finding(
        &result.stderr,
        "<stdin>",
        &text,
        "queue.strategy.route.0000.if",
        "rcpt_domain='example.org'",
        "rcpt_domain=='example.org'",
    );

    let clean = std::fs::read(fixture("clean.toml")).unwrap();
    let result = audit("-", Some(clean));
    assert_eq!(result.code, Some(0), "{}", result.stderr);
}

#[test]
fn audit_missing_file_fails() {
    let result = audit("/nonexistent/config.toml", None);
    assert_eq!(result.code, Some(1));
    assert!(result.stdout.is_empty());
    assert!(
        result
            .stderr
            .contains("cannot read /nonexistent/config.toml"),
        "{}",
        result.stderr
    );
}
