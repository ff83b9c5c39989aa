//! Tests of the expression audit: the expression verdicts, whole configs, the
//! reader of Stalwart's TOML dialect, and properties over generated input.

use proptest::prelude::*;
use stalwart_tenant::audit::dialect::{self, ValueKind};
use stalwart_tenant::audit::{ProblemKind, audit_config, audit_expression};

/// Returns the character at a 1-based `line` and `column` of `text`, lines
/// split at `\n` and columns counted in characters.
fn char_at(text: &str, line: usize, column: usize) -> Option<char> {
    text.split('\n').nth(line - 1)?.chars().nth(column - 1)
}

fn leaf_value<'a>(leaves: &'a [dialect::Leaf], key: &str) -> Option<&'a str> {
    leaves
        .iter()
        .find(|leaf| leaf.key == key)
        .map(|leaf| leaf.value.as_str())
}

// ---------------------------------------------------------------------------
// Expressions

#[test]
fn expression_verdicts() {
    // (expression, expected problem kinds, expected fix of the first problem)
    let cases: &[(&str, &[ProblemKind], Option<&str>)] = &[
        ("rcpt_domain == 'x'", &[], None),
        (
            "rcpt_domain = 'x'",
            &[ProblemKind::BareEquals],
            Some("rcpt_domain == 'x'"),
        ),
        (
            "rcpt_domain='x'",
            &[ProblemKind::BareEquals],
            Some("rcpt_domain=='x'"),
        ),
        (
            "local_port=587",
            &[ProblemKind::BareEquals],
            Some("local_port==587"),
        ),
        (
            "retry_num=1",
            &[ProblemKind::BareEquals],
            Some("retry_num==1"),
        ),
        ("a != b", &[], None),
        (
            "rcpt_domain == 'x' &&",
            &[ProblemKind::MissingOperand],
            None,
        ),
        ("1 +", &[ProblemKind::MissingOperand], None),
        ("(== b)", &[ProblemKind::MissingOperand], None),
        ("a && || b", &[ProblemKind::MissingOperand], None),
        ("!a && -b", &[], None),
        ("a - -1", &[], None),
        ("f() && g(a, b)", &[], None),
        ("a >= 1", &[], None),
        ("a <= 1", &[], None),
        ("a > 1 && b < 2 || !c", &[], None),
        ("rcpt == 'a=b'", &[], None),
        ("rcpt == \"a=b\"", &[], None),
        ("matches('^user=.*$', rcpt)", &[], None),
        (
            "key_exists('sender-allow', authenticated_as + '|' + sender)",
            &[],
            None,
        ),
        ("is_local_domain('*', rcpt_domain)", &[], None),
        ("[1, 2, 3]", &[], None),
        ("%{env:ALLOWED}% == rcpt", &[], None),
        (
            "rcpt_domain == 'x",
            &[ProblemKind::UnterminatedString],
            None,
        ),
        (
            "rcpt_domain == \"x",
            &[ProblemKind::UnterminatedString],
            None,
        ),
        ("(a == 1", &[ProblemKind::UnclosedDelimiter], None),
        ("a == 1)", &[ProblemKind::UnmatchedClose], None),
        ("[a, b", &[ProblemKind::UnclosedDelimiter], None),
        ("(a, b]", &[ProblemKind::UnmatchedClose], None),
        (
            "(a, [b)]",
            &[ProblemKind::UnmatchedClose, ProblemKind::UnmatchedClose],
            None,
        ),
        ("a => 1", &[ProblemKind::ReversedComparison], Some("a >= 1")),
        ("a =< 1", &[ProblemKind::ReversedComparison], Some("a <= 1")),
        ("a === 1", &[ProblemKind::ExtraEquals], Some("a == 1")),
        (
            "a ==== 1",
            &[ProblemKind::ExtraEquals, ProblemKind::ExtraEquals],
            Some("a == 1"),
        ),
        ("a !== 1", &[ProblemKind::ExtraEquals], Some("a != 1")),
        ("a =", &[ProblemKind::BareEquals], Some("a ==")),
        (
            "a = 1 && b=2",
            &[ProblemKind::BareEquals, ProblemKind::BareEquals],
            Some("a == 1 && b==2"),
        ),
        // Stalwart stops reading at a `}` outside a string literal.
        ("a == 1 } b = 2", &[], None),
        ("", &[], None),
    ];

    for (expression, expected_kinds, expected_fix) in cases {
        let problems = audit_expression(expression);
        let kinds: Vec<ProblemKind> = problems.iter().map(|problem| problem.kind).collect();
        assert_eq!(&kinds, expected_kinds, "problem kinds of {expression:?}");
        let fix = problems
            .first()
            .and_then(|problem| problem.fixed.as_deref());
        assert_eq!(fix, *expected_fix, "fix of {expression:?}");
    }
}

#[test]
fn expression_offsets_name_offending_char() {
    let cases: &[(&str, usize, char)] = &[
        ("rcpt_domain = 'x'", 12, '='),
        ("local_port=587", 10, '='),
        ("rcpt == 'x", 8, '\''),
        ("f(a, (b)", 1, '('),
        ("a)", 1, ')'),
        ("é == 'ü' && x=1", 13, '='),
    ];
    for (expression, offset, named) in cases {
        let problems = audit_expression(expression);
        assert_eq!(problems.len(), 1, "problems of {expression:?}");
        assert_eq!(problems[0].offset, *offset, "offset in {expression:?}");
        assert_eq!(expression.chars().nth(*offset), Some(*named));
    }
}

#[test]
fn expression_messages_explain_misreading() {
    let glued = audit_expression("local_port=587");
    assert!(glued[0].message.contains("drops the next character '5'"));

    let spaced = audit_expression("rcpt_domain = 'x'");
    assert!(spaced[0].message.contains("drops the space"));
}

#[test]
fn expression_long_equals_run() {
    let expression = format!("a {} 1", "=".repeat(10_000));
    let problems = audit_expression(&expression);
    assert_eq!(problems.len(), 9_998);
    assert!(
        problems
            .iter()
            .all(|problem| problem.kind == ProblemKind::ExtraEquals)
    );
    assert_eq!(problems[0].fixed.as_deref(), Some("a == 1"));
}

#[test]
fn expression_escaped_quote_hint() {
    // A quote after a backslash never ends a string in Stalwart 0.15, even
    // when the backslash is itself escaped.
    let problems = audit_expression(r"rcpt == 'a\\'");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::UnterminatedString);
    assert!(problems[0].message.contains("after a backslash"));
}

// ---------------------------------------------------------------------------
// Whole configs

const HAND_WRITTEN_CONFIG: &str = r#"# A tenant config with one good and two bad expressions.
[server]
hostname = "mx.example.org"
banner = "key=value is fine outside expressions"

[session.rcpt]
relay = [ { if = "rcpt_domain == 'example.org'", then = true },
          { else = false } ]

[[queue.strategy.route]]
if = "rcpt_domain = 'example.org'"
then = "'local'"

[[queue.strategy.route]]
else = "'mx'"

[session.ehlo]
reject-non-fqdn = "local_port=587"
"#;

#[test]
fn config_reports_exactly_bad_expressions() {
    let findings = audit_config(HAND_WRITTEN_CONFIG).unwrap();
    assert_eq!(findings.len(), 2, "{findings:#?}");

    let first = &findings[0];
    assert_eq!(first.key, "queue.strategy.route.0000.if");
    assert_eq!((first.line, first.column), (11, 19));
    assert_eq!(first.expression, "rcpt_domain = 'example.org'");
    assert_eq!(first.offset, 12);
    assert_eq!(first.fixed.as_deref(), Some("rcpt_domain == 'example.org'"));

    let second = &findings[1];
    assert_eq!(second.key, "session.ehlo.reject-non-fqdn");
    assert_eq!((second.line, second.column), (18, 30));
    assert_eq!(second.fixed.as_deref(), Some("local_port==587"));

    for finding in &findings {
        assert_eq!(
            char_at(HAND_WRITTEN_CONFIG, finding.line, finding.column),
            Some('=')
        );
    }
}

#[test]
fn config_finding_display() {
    let findings = audit_config(HAND_WRITTEN_CONFIG).unwrap();
    let report = findings[1].to_string();
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].starts_with("error: in the expression `session.ehlo.reject-non-fqdn`: "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("single '='"));
    assert_eq!(lines[1], "  --> config.toml:18:30");
    assert_eq!(lines[2], "   | local_port=587");
    assert_eq!(lines[3], "   |           ^");
    assert_eq!(lines[4], "  = help: write local_port==587");
    assert_eq!(lines.len(), 5);

    let renamed = findings[1].render("exported.toml");
    assert!(renamed.contains("  --> exported.toml:18:30"));
}

#[test]
fn config_finding_without_fix_has_no_fix_line() {
    let text = "[session.rcpt]\nrelay = \"(rcpt_domain == 'x'\"\n";
    let findings = audit_config(text).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, ProblemKind::UnclosedDelimiter);
    assert_eq!((findings[0].line, findings[0].column), (2, 10));
    assert!(!findings[0].to_string().contains("fix:"));
}

#[test]
fn config_non_expression_keys_never_fire() {
    let text = concat!(
        "key = \"a=b\"\n",
        "[server]\n",
        "hostname = \"a=b\"\n",
        "[directory.oidc.endpoint]\n",
        "url = \"https://id.example.org/x?a=b\"\n",
    );
    assert_eq!(audit_config(text).unwrap(), Vec::new());
}

#[test]
fn config_non_string_expression_values_are_fine() {
    let text = concat!(
        "[session.rcpt]\n",
        "relay = [ { if = \"is_local_domain('*', rcpt_domain)\", then = true }, { else = false } ]\n",
        "max-recipients = 100\n",
        "[session.ehlo]\n",
        "require = true\n",
    );
    assert_eq!(audit_config(text).unwrap(), Vec::new());
}

#[test]
fn config_product_send_as_expression_is_clean() {
    let text = concat!(
        "[session.auth]\n",
        "must-match-sender = [{if = \"key_exists('sender-allow', authenticated_as + '|' + sender)\", then = false}, {else = true}]\n",
    );
    assert_eq!(audit_config(text).unwrap(), Vec::new());
}

#[test]
fn config_location_through_escapes() {
    // Escapes before the `=` make the decoded offset differ from the column.
    let text = "[queue.strategy]\nroute = \"\\t\\\"q\\\" + rcpt_domain='x'\"\n";
    let findings = audit_config(text).unwrap();
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!(finding.expression, "\t\"q\" + rcpt_domain='x'");
    assert_eq!(finding.offset, 18);
    assert_eq!((finding.line, finding.column), (2, 31));
    assert_eq!(char_at(text, finding.line, finding.column), Some('='));
}

#[test]
fn config_location_in_multi_line_string() {
    let text = "[session.data]\nscript = \"\"\"\nrcpt == 'a'\r\n  && local_port=25\"\"\"\n";
    let findings = audit_config(text).unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0].line, findings[0].column), (4, 16));
    assert_eq!(char_at(text, 4, 16), Some('='));
}

#[test]
fn config_error_is_reported_with_location() {
    let error = audit_config("[session.rcpt]\nrelay = 1_000\n").unwrap_err();
    assert_eq!((error.line, error.column), (2, 10));
    assert!(error.message.contains("'_'"));
    assert!(error.to_string().starts_with("config.toml:2:10: "));
}

// ---------------------------------------------------------------------------
// The dialect reader

#[test]
fn dialect_set_syntax() {
    let leaves =
        dialect::parse("[server]\nallowed-ip = { \"10.0.0.1\", \"192.168.0.0/16\" }\n").unwrap();
    let keys: Vec<&str> = leaves.iter().map(|leaf| leaf.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "server.allowed-ip.10.0.0.1",
            "server.allowed-ip.192.168.0.0/16"
        ]
    );
    assert!(leaves.iter().all(|leaf| leaf.kind == ValueKind::SetMember));
    assert!(leaves.iter().all(|leaf| leaf.value.is_empty()));
}

#[test]
fn dialect_single_quoted_strings_decode_escapes() {
    let leaves = dialect::parse("a = 'x\\ty'\nb = 'it\\'s'\nc = 'C:\\path'\n").unwrap();
    assert_eq!(leaf_value(&leaves, "a"), Some("x\ty"));
    assert_eq!(leaf_value(&leaves, "b"), Some("it's"));
    assert_eq!(leaf_value(&leaves, "c"), Some("C:path"));
}

#[test]
fn dialect_double_quoted_escapes() {
    let text = concat!(
        "a = \"line\\nnext\\r\\tend\"\n",
        "b = \"\\u00e9\"\n",
        "c = \"say \\\"hi\\\"\"\n",
        // The remembered backslash: `\\` yields one backslash and the next
        // character still counts as escaped.
        "d = \"\\\\n\"\n",
        "e = \"a\\\\\"b\"\n",
    );
    let leaves = dialect::parse(text).unwrap();
    assert_eq!(leaf_value(&leaves, "a"), Some("line\nnext\r\tend"));
    assert_eq!(leaf_value(&leaves, "b"), Some("u00e9"));
    assert_eq!(leaf_value(&leaves, "c"), Some("say \"hi\""));
    assert_eq!(leaf_value(&leaves, "d"), Some("\\\n"));
    assert_eq!(leaf_value(&leaves, "e"), Some("a\\\"b"));
}

#[test]
fn dialect_escaped_backslash_before_quote_runs_on() {
    // `"a\\"` does not end the string: the file ends inside it.
    let error = dialect::parse("key = \"a\\\\\"\n").unwrap_err();
    assert_eq!((error.line, error.column), (1, 7));
    assert!(error.message.contains("unterminated string"));
}

#[test]
fn dialect_array_of_tables() {
    let text = concat!(
        "[[queue.strategy.route]]\n",
        "if = \"rcpt_domain == 'a'\"\n",
        "then = \"'local'\"\n",
        "[[queue.strategy.route]] # the else branch\n",
        "else = \"'mx'\"\n",
    );
    let leaves = dialect::parse(text).unwrap();
    let keys: Vec<&str> = leaves.iter().map(|leaf| leaf.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "queue.strategy.route.0000.if",
            "queue.strategy.route.0000.then",
            "queue.strategy.route.0001.else",
        ]
    );
}

#[test]
fn dialect_arrays_inline_tables_and_bare_values() {
    let text = concat!(
        "[dataBase]\n",
        "ports = [ 8000, 8001 ] # comment\n",
        "nested = [ [\"a\", \"b\"], [3.14] ]\n",
        "temp = { cpu = 79.5, case = -1 }\n",
        "multi = [\n  1,\n  # comment\n  2,\n]\n",
        "\"quoted key\" = on\n",
        "raw = '''\nno \\escapes\n'''\n",
        "empty = \"\"\n",
    );
    let leaves = dialect::parse(text).unwrap();
    assert_eq!(leaf_value(&leaves, "database.ports.0000"), Some("8000"));
    assert_eq!(leaf_value(&leaves, "database.ports.0001"), Some("8001"));
    assert_eq!(leaf_value(&leaves, "database.nested.0000.0001"), Some("b"));
    assert_eq!(
        leaf_value(&leaves, "database.nested.0001.0000"),
        Some("3.14")
    );
    assert_eq!(leaf_value(&leaves, "database.temp.cpu"), Some("79.5"));
    assert_eq!(leaf_value(&leaves, "database.temp.case"), Some("-1"));
    assert_eq!(leaf_value(&leaves, "database.multi.0001"), Some("2"));
    assert_eq!(leaf_value(&leaves, "database.quoted key"), Some("on"));
    assert_eq!(leaf_value(&leaves, "database.raw"), Some("no \\escapes\n"));
    assert_eq!(leaf_value(&leaves, "database.empty"), Some(""));
}

#[test]
fn dialect_crlf_line_endings() {
    let leaves = dialect::parse("[a]\r\nb = \"x\r\ny\"\r\n").unwrap();
    // Stalwart drops carriage returns, even inside strings.
    assert_eq!(leaf_value(&leaves, "a.b"), Some("x\ny"));
}

#[test]
fn dialect_duplicate_key_is_error() {
    let error =
        dialect::parse("[server]\nhostname = \"a\"\n\n[server]\nhostname = \"b\"\n").unwrap_err();
    assert_eq!((error.line, error.column), (5, 1));
    assert!(error.message.contains("duplicate key \"server.hostname\""));
    assert!(error.message.contains("line 2"));
}

#[test]
fn dialect_duplicate_set_member_is_error() {
    let error = dialect::parse("key = { \"a\", \"a\" }\n").unwrap_err();
    assert_eq!((error.line, error.column), (1, 14));
}

#[test]
fn dialect_malformed_input_errors() {
    // (input, line, column, part of the message)
    let cases: &[(&str, usize, usize, &str)] = &[
        ("key = 1_000\n", 1, 8, "'_'"),
        ("key = \"open\n", 1, 7, "unterminated string"),
        ("key =\n", 1, 6, "end of line"),
        ("key = \"value\"", 1, 14, "newline"),
        ("= 1\n", 1, 1, "unexpected character '='"),
        ("[a@b]\n", 1, 3, "table name"),
        (
            "[ok]\nkey = \"a\" trailing\n",
            2,
            11,
            "unexpected character 't'",
        ),
        ("key = { }\n", 1, 9, "missing key"),
        ("key = 2024-01-01T00:00:00\n", 1, 20, "':'"),
        ("key = [ 1, 2\n", 2, 1, "end of file"),
        ("key = [[[[[[[[[[1]]]]]]]]]]\n", 1, 17, "too many nested"),
        ("key = [[[[[[[[[1]]]]]]]]]\n[\n", 2, 2, "end of line"),
        ("\"bad key\n", 1, 9, "end of line"),
        ("a.b-c@d = 1\n", 1, 6, "'@'"),
    ];
    for (input, line, column, message) in cases {
        let error = dialect::parse(input).unwrap_err();
        assert_eq!(
            (error.line, error.column),
            (*line, *column),
            "location for {input:?}: {error}"
        );
        assert!(
            error.message.contains(message),
            "message for {input:?} is {:?}",
            error.message
        );
    }
}

#[test]
fn dialect_header_rest_of_line_is_ignored() {
    let leaves = dialect::parse("[server] anything here\nhostname = x\n").unwrap();
    assert_eq!(leaf_value(&leaves, "server.hostname"), Some("x"));
}

#[test]
fn dialect_header_first_char_keeps_case() {
    // Stalwart lowercases unquoted table names except their first character.
    let leaves = dialect::parse("[Server.Rcpt]\nKey = x\n").unwrap();
    assert_eq!(leaf_value(&leaves, "Server.rcpt.Key"), Some("x"));
}

// ---------------------------------------------------------------------------
// Regression tests for inputs that once crashed the fuzz targets.

#[test]
fn fuzz_reversed_comparison_then_equals() {
    // `=>` followed by `==` once gave the fix `>===`, which still had an
    // extra `=`.
    let expression = "a =>== 1 =>\0x\\'";
    let problems = audit_expression(expression);
    let kinds: Vec<ProblemKind> = problems.iter().map(|problem| problem.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::ReversedComparison,
            ProblemKind::ExtraEquals,
            ProblemKind::ExtraEquals,
            ProblemKind::ReversedComparison,
            ProblemKind::UnterminatedString,
        ]
    );
    let fixed = problems[0].fixed.clone().unwrap();
    assert_eq!(fixed, "a >= 1 >=\0x\\'");
    let left: Vec<ProblemKind> = audit_expression(&fixed)
        .iter()
        .map(|problem| problem.kind)
        .collect();
    assert_eq!(left, [ProblemKind::UnterminatedString]);
}

// ---------------------------------------------------------------------------
// Properties

/// Fragments that make up generated expressions: operators, a bare `=`,
/// string literals, brackets, escapes, blanks and characters that are
/// several bytes long in UTF-8.
const EXPRESSION_FRAGMENTS: &[&str] = &[
    "rcpt_domain",
    "local_port",
    "587",
    " ",
    "=",
    "==",
    "!=",
    ">=",
    "<=",
    "=>",
    "'x'",
    "'a=b'",
    "\"y\"",
    "(",
    ")",
    "[",
    "]",
    ",",
    "\\",
    "\\\"",
    "\\'",
    "\\n",
    "\\t",
    "é",
    "日本",
    "\t",
    "\n",
    "\r\n",
    "#",
    "{",
    "}",
    "&&",
    "%{env:A}%",
];

fn expression_body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(EXPRESSION_FRAGMENTS), 0..12)
        .prop_map(|fragments| fragments.concat())
}

/// A config built from expression bodies in every form that takes an
/// expression, plus a key that takes none.
fn generated_config() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((expression_body(), 0..6usize), 1..6),
        prop::bool::ANY,
    )
        .prop_map(|(entries, crlf)| {
            let mut top_level = String::new();
            let mut tables = String::new();
            for (index, (body, form)) in entries.iter().enumerate() {
                let entry = match form {
                    0 => format!("session.rcpt.k{index} = \"{body}\"\n"),
                    1 => format!("session.rcpt.k{index} = '{body}'\n"),
                    2 => format!(
                        "queue.strategy.r{index} = [ {{ if = \"{body}\", then = '{body}' }},\n  {{ else = \"{body}\" }} ]\n"
                    ),
                    3 => format!(
                        "[[rule{index}]]\nif = \"{body}\"\nthen = 'x'\n[[rule{index}]]\nelse = '{body}'\n"
                    ),
                    4 => format!("http.url = \"\"\"{body}\"\"\"\n"),
                    _ => format!("server.k{index} = \"{body}\"\n"),
                };
                // Tables come last so that they do not capture the top-level keys.
                if *form == 3 {
                    tables.push_str(&entry);
                } else {
                    top_level.push_str(&entry);
                }
            }
            let text = top_level + &tables;
            if crlf { text.replace('\n', "\r\n") } else { text }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn audit_expression_never_panics(expression in ".*") {
        let _ = audit_expression(&expression);
    }

    #[test]
    fn audit_expression_offsets_are_in_range(expression in expression_body()) {
        for problem in audit_expression(&expression) {
            prop_assert!(problem.offset < expression.chars().count());
        }
    }

    #[test]
    fn audit_config_never_panics(text in ".*") {
        let _ = audit_config(&text);
    }

    #[test]
    fn audit_config_never_panics_on_toml_like_text(
        text in prop::collection::vec(
            prop::sample::select(&[
                "[", "]", "[[", "]]", "{", "}", "=", ",", "\"", "'", "\"\"\"", "'''", "\\",
                "\n", "\r", " ", "\t", "#", "a", "b.c", "1", "-", "_", "é", "if", "then",
                "else", "session.rcpt.relay",
            ][..]),
            0..40,
        ).prop_map(|parts| parts.concat())
    ) {
        let _ = audit_config(&text);
    }

    #[test]
    fn finding_location_names_its_char(text in generated_config()) {
        if let Ok(findings) = audit_config(&text) {
            for finding in findings {
                let named = finding.expression.chars().nth(finding.offset);
                prop_assert!(named.is_some());
                prop_assert_eq!(char_at(&text, finding.line, finding.column), named,
                    "finding {:?} in {:?}", finding, text);
            }
        }
    }

    #[test]
    fn error_location_is_inside_text(text in generated_config()) {
        if let Err(error) = audit_config(&text) {
            let line_count = text.split('\n').count();
            prop_assert!(error.line >= 1 && error.line <= line_count);
            let line_length = text.split('\n').nth(error.line - 1).map_or(0, |line| line.chars().count());
            prop_assert!(error.column >= 1 && error.column <= line_length + 1);
        }
    }
}

/// The generated configs do produce findings, so the location property above
/// is not checked against empty lists only.
#[test]
fn generated_configs_produce_findings() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = generated_config();
    let mut configs_with_findings = 0;
    for _ in 0..500 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        if audit_config(&text).is_ok_and(|findings| !findings.is_empty()) {
            configs_with_findings += 1;
        }
    }
    assert!(
        configs_with_findings > 50,
        "only {configs_with_findings} of 500 had findings"
    );
}

#[test]
fn report_bounded_for_many_problems() {
    // 100,000 unclosed brackets in one expression: the report lists the
    // first few with a window of the line, and counts the rest.
    let text = format!("[session.rcpt]\nrelay = \"{}\"\n", "(".repeat(100_000));
    let findings = audit_config(&text).unwrap();
    assert_eq!(
        findings.len(),
        stalwart_tenant::audit::MAX_FINDINGS_PER_EXPRESSION
    );
    assert_eq!(stalwart_tenant::audit::problem_count(&findings), 100_000);
    let last = findings.last().unwrap();
    assert_eq!(last.omitted, 100_000 - findings.len());
    let report: String = findings
        .iter()
        .map(|finding| finding.render("c.toml"))
        .collect();
    assert!(report.len() < 10_000, "report of {} bytes", report.len());
    assert!(report.contains("99990 more problems in this expression are not listed"));
}

#[test]
fn excerpt_caret_under_character() {
    let expression = format!("{}a = 1{}", "x".repeat(500), "y".repeat(500));
    let text = format!("[session.rcpt]\nrelay = \"{expression}\"\n");
    let findings = audit_config(&text).unwrap();
    let finding = findings
        .iter()
        .find(|finding| finding.kind == ProblemKind::BareEquals)
        .unwrap();
    let (line, padding) = finding.excerpt();
    assert!(line.starts_with('…'), "{line}");
    assert!(line.ends_with('…'), "{line}");
    assert!(line.chars().count() < 130, "{line}");
    assert_eq!(line.chars().nth(padding.chars().count()), Some('='));
}
