//! Hostile inputs run end to end through the `stalwart-tenant` binary.
//!
//! Every rejected input must end with exit code 1, an error on stderr that
//! names the problem, no panic message and nothing on stdout. A free-text
//! value that is accepted must come back unchanged from the rendered
//! output, read the way kubectl and Stalwart read it. Every run has a
//! deadline: a run that does not end in time is killed and fails its test.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use stalwart_tenant::audit::dialect;
use wait_timeout::ChildExt;

/// How long one run may take. A render takes milliseconds, so reaching this
/// means the binary hangs.
const DEADLINE: Duration = Duration::from_secs(60);

const ACME: &str = "examples/acme.yaml";

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn binary() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("stalwart-tenant")
}

/// Runs the binary with `args`, feeding `stdin`, and kills it at the deadline.
fn run(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let mut child_stdin = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // The binary may stop reading early (a size limit), so a broken pipe here is expected.
    let writer = thread::spawn(move || {
        let _ = child_stdin.write_all(&input);
    });

    let mut child_stdout = child.stdout.take().unwrap();
    let mut child_stderr = child.stderr.take().unwrap();
    let stdout_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        child_stdout.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let stderr_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        child_stderr.read_to_end(&mut bytes).unwrap();
        bytes
    });

    let Some(status) = child.wait_timeout(DEADLINE).unwrap() else {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("stalwart-tenant {args:?} did not end within {DEADLINE:?}");
    };
    writer.join().unwrap();
    let stdout = stdout_reader.join().unwrap();
    let stderr = String::from_utf8_lossy(&stderr_reader.join().unwrap()).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Asserts the contract for a rejected input: exit 1, an error on stderr
/// that contains `problem`, no panic and an empty stdout.
fn assert_rejected(run: &Run, problem: &str) {
    assert!(
        !run.stderr.contains("panicked at"),
        "panic on stderr:\n{}",
        run.stderr
    );
    assert_eq!(run.code, Some(1), "exit code; stderr:\n{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "stdout is not empty: {} bytes",
        run.stdout.len()
    );
    assert!(
        run.stderr.starts_with("stalwart-tenant: error:"),
        "first stderr line is not an error:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(problem),
        "stderr does not name the problem {problem:?}:\n{}",
        run.stderr
    );
}

fn render_file(path: &Path) -> Run {
    run(&["render", "-f", path.to_str().unwrap(), "-n", "acme"], b"")
}

fn render_stdin(bytes: &[u8]) -> Run {
    run(&["render", "-f", "-", "-n", "acme"], bytes)
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn malformed_yaml_rejected() {
    let run = render_stdin(b"domain:\n  primary: [acme.example\nkeycloak: {\n");
    assert_rejected(&run, "invalid YAML in <stdin>");
}

#[test]
fn tab_indentation_rejected() {
    let run = render_stdin(b"domain:\n\tprimary: acme.example\n");
    assert_rejected(&run, "invalid YAML in <stdin>");
}

#[test]
fn alias_bomb_rejected() {
    // Nine levels of nine aliases each expand to 9^9 (387,420,489) strings.
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..9 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 9].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{items}]");
    }
    let run = render_stdin(text.as_bytes());
    assert_rejected(&run, "aliases are bounded");
}

#[test]
fn file_of_100_mib_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = "commonAnnotations: {}\n".repeat(1024);
    while file.metadata().unwrap().len() < 100 * 1024 * 1024 {
        file.write_all(chunk.as_bytes()).unwrap();
    }
    drop(file);
    assert_rejected(&render_file(&path), "is larger than 4 MiB");
}

#[test]
fn stdin_of_100_mib_rejected() {
    let bytes = vec![b'a'; 100 * 1024 * 1024];
    assert_rejected(&render_stdin(&bytes), "<stdin> is larger than 4 MiB");
}

#[test]
fn binary_garbage_rejected() {
    // A fixed linear congruential sequence, so a failure reproduces; the
    // leading 0xFF byte is never valid UTF-8.
    let mut state: u32 = 0x2545_f491;
    let mut bytes = vec![0xFF];
    for _ in 0..64 * 1024 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bytes.push(state.to_be_bytes()[0]);
    }
    assert_rejected(
        &render_stdin(&bytes),
        "<stdin> is not valid UTF-8 (byte offset 0)",
    );
}

#[test]
fn invalid_utf8_rejected() {
    let run = render_stdin(b"domain:\n  primary: acme\xC3\x28.example\n");
    assert_rejected(&run, "<stdin> is not valid UTF-8 (byte offset 23)");
    assert!(
        run.stderr.contains("<stdin>:2:"),
        "no line and column:\n{}",
        run.stderr
    );
}

#[test]
fn flow_nesting_10000_deep_rejected() {
    let text = format!(
        "commonAnnotations: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let run = render_stdin(text.as_bytes());
    assert_rejected(&run, "invalid YAML in <stdin>");
    assert!(
        run.stderr
            .contains("nests lists and mappings more deeply than a values file may"),
        "no nesting message:\n{}",
        run.stderr
    );
}

#[test]
fn many_problems_bounded_report() {
    // Each problem used to print the whole 20,000-character line: 600 MB.
    let text = format!(
        "stalwart:\n  settings:\n    session.rcpt.relay: \"{}\"\n",
        "(".repeat(20_000)
    );
    let run = run(
        &[
            "render",
            "-f",
            "examples/acme.yaml",
            "-f",
            "-",
            "-n",
            "acme",
        ],
        text.as_bytes(),
    );
    assert_rejected(&run, "is never closed");
    assert!(
        run.stderr.len() < 64 * 1024,
        "stderr is {} bytes",
        run.stderr.len()
    );
    assert!(
        run.stderr
            .contains("19990 more problems in this expression are not listed")
    );
}

#[test]
fn recursive_alias_rejected() {
    let run = render_stdin(b"commonAnnotations: &a {x: *a}\n");
    assert_rejected(&run, "an alias refers to the anchor that contains it");
}

#[test]
fn infinite_number_rejected() {
    let run = render_stdin(b"persistence:\n  data:\n    size: .inf\n");
    assert_rejected(&run, "`.inf` is not a finite number");
}

#[test]
fn block_sequence_nesting_10000_deep_rejected() {
    let text = format!("commonAnnotations:\n  {}x\n", "- ".repeat(10_000));
    assert_rejected(
        &render_stdin(text.as_bytes()),
        "levels deep, more than the 64 levels",
    );
}

#[test]
fn block_mapping_nesting_rejected() {
    // Block mappings need one more space of indentation per level, so
    // 10,000 levels would be a 50 MB file; 2,000 levels stay under the size
    // limit and reach the depth limit instead.
    let mut text = String::new();
    for depth in 0..2_000 {
        text.push_str(&" ".repeat(depth));
        text.push_str("k:\n");
    }
    assert_rejected(
        &render_stdin(text.as_bytes()),
        "levels deep, more than the 64 levels",
    );
}

#[test]
fn block_mapping_nesting_10000_deep_rejected() {
    // 10,000 levels of block mappings: the size limit stops the file first.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for depth in 0..10_000 {
        file.write_all(" ".repeat(depth).as_bytes()).unwrap();
        file.write_all(b"k:\n").unwrap();
    }
    drop(file);
    assert_rejected(&render_file(&path), "is larger than 4 MiB");
}

#[test]
fn raw_nul_byte_rejected() {
    let run = render_stdin(b"domain:\n  primary: \"acme\0.example\"\n");
    assert_rejected(&run, "invalid YAML in <stdin>");
    assert!(
        run.stderr.contains("<stdin>:2:"),
        "no line and column:\n{}",
        run.stderr
    );
}

#[test]
fn escaped_nul_in_domain_rejected() {
    let run = render_stdin(b"domain:\n  primary: \"acme\\0.example\"\n");
    assert_rejected(&run, "`domain.primary` is not a valid domain name");
}

#[test]
fn duplicate_key_rejected() {
    let run = render_stdin(b"domain:\n  primary: acme.example\n  primary: other.example\n");
    assert_rejected(&run, "duplicate key `primary`");
    assert!(
        run.stderr.contains("<stdin>:3:3"),
        "no line and column:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("DuplicateKeyPolicy"),
        "library advice in the message:\n{}",
        run.stderr
    );
}

#[test]
fn directory_as_values_file_rejected() {
    let dir = tempfile::tempdir().unwrap();
    assert_rejected(&render_file(dir.path()), "it is a directory");
}

#[test]
fn missing_values_file_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.yaml");
    let run = render_file(&path);
    assert_rejected(&run, "cannot read values file");
    assert!(
        run.stderr.contains("absent.yaml: no such file"),
        "{}",
        run.stderr
    );
}

#[test]
fn top_level_list_rejected() {
    assert_rejected(
        &render_stdin(b"- domain\n- acme.example\n"),
        "must hold a mapping of values at its top level",
    );
}

#[test]
fn deep_set_value_rejected() {
    let flag = format!(
        "commonAnnotations={}{}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let run = run(&["render", "-f", ACME, "-n", "acme", "--set", &flag], b"");
    assert_rejected(&run, "invalid value in --set commonAnnotations");
}

#[test]
fn set_path_with_huge_index_rejected() {
    let run = run(
        &[
            "render",
            "-f",
            ACME,
            "--set",
            "mailboxes.groups[99999999999999999999999].name=x",
        ],
        b"",
    );
    assert_rejected(&run, "invalid path in --set");
}

/// Runs `render` with `stdout` connected to a pipe whose read end `close`
/// handles, and returns the exit code and stderr.
fn render_into_pipe(
    close: impl FnOnce(std::io::PipeReader) + Send + 'static,
) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    let mut child = Command::new(binary())
        .args(["render", "-f", ACME, "-n", "acme"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let closer = thread::spawn(move || close(reader));
    let mut child_stderr = child.stderr.take().unwrap();
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        child_stderr.read_to_string(&mut text).unwrap();
        text
    });
    let Some(status) = child.wait_timeout(DEADLINE).unwrap() else {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("render into a closed pipe did not end within {DEADLINE:?}");
    };
    closer.join().unwrap();
    (status.code(), stderr_reader.join().unwrap())
}

fn is_error_line(line: &str) -> bool {
    line.starts_with("error") || line.starts_with("stalwart-tenant: error")
}

#[test]
fn closed_stdout_pipe_exits_quietly() {
    // The Command holds the only write end after spawning, so dropping the
    // read end before the child writes makes every write fail with EPIPE.
    let (code, stderr) = render_into_pipe(drop);
    assert!(
        !stderr.contains("panicked at"),
        "panic on stderr:\n{stderr}"
    );
    assert!(
        !stderr.lines().any(is_error_line),
        "error on stderr:\n{stderr}"
    );
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
}

#[test]
fn pipe_closed_after_one_byte_exits_quietly() {
    // The same as `render ... | head -c1`.
    let (code, stderr) = render_into_pipe(|mut reader| {
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"-");
    });
    assert!(
        !stderr.contains("panicked at"),
        "panic on stderr:\n{stderr}"
    );
    assert!(
        !stderr.lines().any(is_error_line),
        "error on stderr:\n{stderr}"
    );
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
}

/// Text that tries to break out of a YAML scalar, a TOML string, a shell
/// word, a Jinja template or a Flux substitution.
const PAYLOADS: &[(&str, &str)] = &[
    ("newline", "line one\nline two"),
    ("double quote", "say \"hi\""),
    ("single quote", "it's"),
    ("backslash", "back\\slash"),
    ("brackets", "a]b[c"),
    (
        "TOML table header",
        "x\n[server.listener.evil]\nbind = \"0.0.0.0:2525\" #",
    ),
    ("YAML document marker", "x\n---\nkind: Secret"),
    ("shell substitution", "${HOME}$(id)`id`"),
    ("Stalwart macro", "%{file:/etc/passwd}%"),
    ("Jinja expression", "{{ 7 * 7 }}{% raw %}"),
    ("NUL", "a\0b"),
    ("trailing space", "value "),
];

/// Where a free-text value lands in the rendered output.
#[derive(Clone, Copy)]
enum Target {
    /// A key of the rendered config.toml.
    Config(&'static str),
    /// A JSON pointer into the rendered object of this kind and name.
    Object(&'static str, &'static str, &'static str),
    /// A JSON pointer into every rendered object.
    EveryObject(&'static str),
}

/// A free-text value: its JSON pointer in the values, where it renders,
/// and which payloads it accepts (the others must be rejected).
struct FreeText {
    pointer: &'static str,
    target: Target,
    accepts: fn(&str) -> bool,
}

fn identifier_text(text: &str) -> bool {
    !text.contains(['\\', '\n']) && !text.contains("%{") && !text.chars().any(char::is_control)
}

fn store_path_text(text: &str) -> bool {
    !text.contains(['"', '\'', '\\']) && !text.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn sysctl_text(text: &str) -> bool {
    !text.contains(['"', '\'', '\\']) && !text.chars().any(char::is_control)
}

/// A setting value may hold anything Stalwart's parser can read back, but no
/// `%{`: a tenant value must not pull files or environment variables of the
/// server into its config through a macro.
fn config_setting_text(text: &str) -> bool {
    !text.contains('\\')
        && !text.contains("%{")
        && !text.chars().any(|c| c.is_control() && c != '\n')
}

fn any_text(_: &str) -> bool {
    true
}

const FREE_TEXT: &[FreeText] = &[
    FreeText {
        pointer: "/keycloak/clientID",
        target: Target::Config("directory.keycloak.auth.username"),
        accepts: identifier_text,
    },
    FreeText {
        pointer: "/keycloak/claims/email",
        target: Target::Config("directory.keycloak.fields.email"),
        accepts: identifier_text,
    },
    FreeText {
        pointer: "/keycloak/claims/username",
        target: Target::Config("directory.keycloak.fields.username"),
        accepts: identifier_text,
    },
    FreeText {
        pointer: "/keycloak/claims/fullName",
        target: Target::Config("directory.keycloak.fields.full-name"),
        accepts: identifier_text,
    },
    FreeText {
        pointer: "/stalwart/settings/hostile.note",
        target: Target::Config("hostile.note"),
        accepts: config_setting_text,
    },
    FreeText {
        pointer: "/commonAnnotations/example.com~1note",
        target: Target::EveryObject("/metadata/annotations/example.com~1note"),
        accepts: any_text,
    },
    FreeText {
        pointer: "/admin/externalSecret/remoteRef/key",
        target: Target::Object(
            "ExternalSecret",
            "stalwart-admin",
            "/spec/data/0/remoteRef/key",
        ),
        accepts: store_path_text,
    },
    FreeText {
        pointer: "/admin/externalSecret/remoteRef/property",
        target: Target::Object(
            "ExternalSecret",
            "stalwart-admin",
            "/spec/data/0/remoteRef/property",
        ),
        accepts: store_path_text,
    },
    FreeText {
        pointer: "/stalwart/podSecurityContext/sysctls",
        target: Target::Object(
            "StatefulSet",
            "stalwart",
            "/spec/template/spec/securityContext/sysctls",
        ),
        accepts: sysctl_text,
    },
];

/// Builds the values overlay that sets `pointer` to `text`. A sysctl value
/// is set as one extra sysctl entry.
fn overlay(pointer: &str, text: &str) -> Value {
    let leaf = if pointer.ends_with("/sysctls") {
        json!([{"name": "net.ipv4.tcp_keepalive_time", "value": text}])
    } else {
        json!(text)
    };
    let mut value = leaf;
    for key in pointer.rsplit('/').filter(|key| !key.is_empty()) {
        let key = key.replace("~1", "/").replace("~0", "~");
        value = json!({ key: value });
    }
    value
}

/// Parses the YAML stream on stdout into one JSON value per object.
fn parse_stream(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("the YAML stream is not UTF-8");
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(text).expect("the YAML stream does not parse");
    documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect()
}

/// Returns the value of `key` in the rendered config.toml, read the way
/// Stalwart 0.15 reads its dialect.
fn config_value(objects: &[Value], key: &str) -> String {
    let config = objects
        .iter()
        .find_map(|object| object.pointer("/data/config.toml"))
        .and_then(Value::as_str)
        .expect("no ConfigMap with config.toml");
    let leaves = dialect::parse(config)
        .unwrap_or_else(|error| panic!("the rendered config.toml does not parse: {error}"));
    let matching: Vec<&dialect::Leaf> = leaves.iter().filter(|leaf| leaf.key == key).collect();
    assert_eq!(
        matching.len(),
        1,
        "config.toml has {} values for {key}",
        matching.len()
    );
    matching[0].value.clone()
}

fn assert_round_trip(field: &FreeText, text: &str, stdout: &[u8]) {
    let objects = parse_stream(stdout);
    match field.target {
        Target::Config(key) => {
            assert_eq!(config_value(&objects, key), text, "{key} in config.toml");
        }
        Target::Object(kind, name, pointer) => {
            let object = objects
                .iter()
                .find(|object| object["kind"] == kind && object["metadata"]["name"] == name)
                .unwrap_or_else(|| panic!("no {kind}/{name} rendered"));
            let found = object
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{kind} has no {pointer}"));
            if pointer.ends_with("/sysctls") {
                let values: Vec<&Value> = found
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|sysctl| &sysctl["value"])
                    .collect();
                assert!(values.contains(&&json!(text)), "{kind} sysctls {found}");
            } else {
                assert_eq!(found, &json!(text), "{kind} {pointer}");
            }
        }
        Target::EveryObject(pointer) => {
            for object in &objects {
                assert_eq!(
                    object.pointer(pointer),
                    Some(&json!(text)),
                    "{} {}: {pointer}",
                    object["kind"],
                    object["metadata"]["name"]
                );
            }
        }
    }
}

#[test]
fn free_text_rejected_or_round_tripped() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for field in FREE_TEXT {
        for (name, text) in PAYLOADS {
            // JSON is YAML, and its escapes carry every payload, NUL included.
            let path = write_temp(
                &dir,
                "overlay.yaml",
                overlay(field.pointer, text).to_string().as_bytes(),
            );
            let run = run(
                &[
                    "render",
                    "-f",
                    ACME,
                    "-f",
                    path.to_str().unwrap(),
                    "-n",
                    "acme",
                ],
                b"",
            );
            let context = format!("{} = {name} {text:?}", field.pointer);
            assert!(
                !run.stderr.contains("panicked at"),
                "{context}: panic on stderr:\n{}",
                run.stderr
            );
            if (field.accepts)(text) {
                assert_eq!(
                    run.code,
                    Some(0),
                    "{context}: expected the render to succeed; stderr:\n{}",
                    run.stderr
                );
                assert_round_trip(field, text, &run.stdout);
            } else {
                assert_eq!(
                    run.code,
                    Some(1),
                    "{context}: expected a rejection; stderr:\n{}",
                    run.stderr
                );
                assert!(run.stdout.is_empty(), "{context}: stdout is not empty");
                assert!(
                    run.stderr.starts_with("stalwart-tenant: error:"),
                    "{context}: stderr:\n{}",
                    run.stderr
                );
                assert!(
                    !run.stderr.contains("internal error"),
                    "{context}: the values were not checked first:\n{}",
                    run.stderr
                );
                let key = field.pointer.rsplit('/').next().unwrap().replace("~1", "/");
                assert!(
                    run.stderr.contains(&key),
                    "{context}: stderr does not name {key}:\n{}",
                    run.stderr
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, FREE_TEXT.len() * PAYLOADS.len());
}

#[test]
fn client_id_cannot_inject_toml() {
    let run = run(
        &[
            "render",
            "-f",
            ACME,
            "-n",
            "acme",
            "--set-string",
            "keycloak.clientID=x\n[server.listener.evil]\nbind = \"0.0.0.0:2525\" #",
        ],
        b"",
    );
    assert_rejected(&run, "`keycloak.clientID` contains a newline");
}

#[test]
fn client_id_cannot_hold_macro() {
    let run = run(
        &[
            "render",
            "-f",
            ACME,
            "-n",
            "acme",
            "--set-string",
            "keycloak.clientID=%{file:/etc/passwd}%",
        ],
        b"",
    );
    assert_rejected(&run, "`keycloak.clientID` contains `%{`");
}
