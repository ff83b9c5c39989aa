//! Runs `templates/scripts/setup.sh` for real, with /bin/sh and busybox sh, against
//! the fake Stalwart admin API in `tests/support/fake_stalwart.rs`.

mod support;

use std::path::Path;
use std::process::Command;

use support::fake_stalwart::{
    DkimKey, FakeStalwart, Fault, FaultResponse, Options, Principal, State,
};
use support::script::{
    ScriptRun, Shell, env_of, find_program, run_script, set_env, shells, template_script,
};
use tempfile::TempDir;

const PASSWORD: &[u8] = b"Pw-7c2e!quartz\n";
const GROUPS: &str = "sales sales@acme.test alice bob\ninfo info@acme.test alice\n";

/// A fake server and the environment of one setup run against it.
struct Fixture {
    fake: FakeStalwart,
    _directory: TempDir,
    env: Vec<(String, String)>,
}

/// Accounts that the groups name as members; with the OIDC directory they come
/// from the users' first sign-in.
fn state_with_accounts() -> State {
    let mut state = State::default();
    state.add_principal(Principal::new("domain", "acme.test"));
    state.add_principal(Principal::new("individual", "alice").with_emails(&["alice@acme.test"]));
    state.add_principal(Principal::new("individual", "bob").with_emails(&["bob@acme.test"]));
    state
}

fn fixture(options: Options, state: State, password_file_bytes: &[u8]) -> Fixture {
    let fake = FakeStalwart::start(options, state);
    let directory = tempfile::tempdir().unwrap();
    let password_path = directory.path().join("admin-password");
    std::fs::write(&password_path, password_file_bytes).unwrap();
    let env = env_of(&[
        ("STALWART_URL", &fake.url()),
        ("ADMIN_USER", "admin"),
        ("ADMIN_PASSWORD_FILE", password_path.to_str().unwrap()),
        ("DOMAIN", "acme.test"),
        ("ADMIN_ACCOUNT", "postmaster"),
        ("ADMIN_EMAIL", "postmaster@acme.test"),
        ("DIRECTORY_IS_INTERNAL", "true"),
        ("MAILBOX_GROUPS", GROUPS),
        ("DKIM_ALGORITHM", "Ed25519"),
        ("DKIM_SELECTOR", "202501e"),
        ("DKIM_SIGNATURE_ID", "ed25519-acme"),
        ("READY_TIMEOUT_SECONDS", "20"),
    ]);
    Fixture {
        fake,
        _directory: directory,
        env,
    }
}

fn default_options() -> Options {
    Options {
        admin_password: PASSWORD.to_vec(),
        ..Options::default()
    }
}

fn run_setup(shell: &Shell, env: &[(String, String)]) -> ScriptRun {
    run_script(shell, &template_script("setup.sh"), env, "stalwart-setup")
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

/// Asserts that no secret byte sequence reaches the output.
fn assert_no_secret(run: &ScriptRun, password: &[u8]) {
    let output = run.output();
    let password_text = String::from_utf8_lossy(password);
    let password_text = password_text.trim_end();
    assert!(
        !output.contains(password_text),
        "the password appears in the output\n{}",
        run.describe()
    );
    let credential =
        support::fake_stalwart::base64_encode(&[b"admin:".as_slice(), password].concat());
    assert!(
        !output.contains(&credential),
        "the Basic credential appears in the output\n{}",
        run.describe()
    );
    assert!(
        !output.contains("PRIVATE KEY"),
        "a private key appears in the output\n{}",
        run.describe()
    );
}

#[test]
fn setup_twice_is_idempotent() {
    for shell in shells() {
        let fixture = fixture(default_options(), state_with_accounts(), PASSWORD);

        let first = run_setup(&shell, &fixture.env);
        assert!(first.succeeded(), "first run failed\n{}", first.describe());
        let after_first = fixture.fake.state();

        let second = run_setup(&shell, &fixture.env);
        assert!(
            second.succeeded(),
            "second run failed\n{}",
            second.describe()
        );
        let after_second = fixture.fake.state();
        assert_eq!(
            after_first,
            after_second,
            "the second run changed the server state\n{}",
            second.describe()
        );

        let state = after_second;
        assert_eq!(state.count_of_kind("domain"), 1);
        assert_eq!(state.principals["acme.test"].kind, "domain");

        let admin = &state.principals["postmaster"];
        assert_eq!(admin.kind, "individual");
        assert_eq!(admin.emails, strings(&["postmaster@acme.test"]));
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));
        assert_eq!(admin.roles, strings(&["admin"]));

        let sales = &state.principals["sales"];
        assert_eq!(sales.kind, "group");
        assert_eq!(sales.emails, strings(&["sales@acme.test"]));
        assert_eq!(sales.enabled_permissions, strings(&["email-receive"]));
        assert_eq!(sales.members, strings(&["alice", "bob"]));

        let info = &state.principals["info"];
        assert_eq!(info.kind, "group");
        assert_eq!(info.enabled_permissions, strings(&["email-receive"]));
        assert_eq!(info.members, strings(&["alice"]));

        assert_eq!(state.dkim_keys.len(), 1);
        let key = &state.dkim_keys["ed25519-acme"];
        assert_eq!(key.algorithm, "Ed25519");
        assert_eq!(key.selector, "202501e");
        assert_eq!(key.domain, "acme.test");

        let record = format!(
            "202501e._domainkey.acme.test. TXT \"v=DKIM1; k=ed25519; p={}\"",
            key.public_key
        );
        assert!(
            first.stdout.contains(&record),
            "first run printed no DKIM record\n{}",
            first.describe()
        );
        assert!(
            second.stdout.contains(&record),
            "second run printed no DKIM record\n{}",
            second.describe()
        );
        assert_no_secret(&first, PASSWORD);
        assert_no_secret(&second, PASSWORD);
    }
}

#[test]
fn setup_without_groups_succeeds() {
    for shell in shells() {
        let mut fixture = fixture(default_options(), State::default(), PASSWORD);
        set_env(&mut fixture.env, "MAILBOX_GROUPS", "");
        let run = run_setup(&shell, &fixture.env);
        assert!(run.succeeded(), "{}", run.describe());
        assert_eq!(fixture.fake.state().count_of_kind("group"), 0);
        assert_eq!(fixture.fake.state().count_of_kind("individual"), 1);
    }
}

#[test]
fn admin_creation_failure_names_step() {
    for shell in shells() {
        let options = Options {
            faults: Fault::create_principal(
                "postmaster",
                &FaultResponse::ManagementError {
                    details: "Failed to write principal".to_owned(),
                    reason: "disk full".to_owned(),
                },
            ),
            ..default_options()
        };
        let fixture = fixture(options, state_with_accounts(), PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'admin account postmaster'"),
            "the failed step is not named\n{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("Failed to write principal"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("disk full"), "{}", run.describe());
        assert!(
            !fixture.fake.state().principals.contains_key("sales"),
            "setup went on after the failure"
        );
        assert_no_secret(&run, PASSWORD);
    }
}

#[test]
fn server_error_names_step() {
    for shell in shells() {
        let options = Options {
            faults: vec![Fault::request(
                "POST",
                "/api/dkim",
                FaultResponse::Status(500),
                None,
            )],
            ..default_options()
        };
        let fixture = fixture(options, state_with_accounts(), PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'dkim key ed25519-acme'"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("HTTP 500"), "{}", run.describe());
    }
}

#[test]
fn health_wait_times_out() {
    for shell in shells() {
        let options = Options {
            not_ready_health_checks: usize::MAX,
            ..default_options()
        };
        let mut fixture = fixture(options, State::default(), PASSWORD);
        set_env(&mut fixture.env, "READY_TIMEOUT_SECONDS", "2");
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'wait for ready'"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("timed out after 2s"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("HTTP 503"), "{}", run.describe());
        assert!(fixture.fake.health_checks() >= 2, "{}", run.describe());
        assert!(
            fixture
                .fake
                .requests()
                .iter()
                .all(|request| request == "GET /healthz/ready"),
            "setup called the API before the server was ready: {:?}",
            fixture.fake.requests()
        );
    }
}

#[test]
fn health_wait_passes_once_ready() {
    for shell in shells() {
        let options = Options {
            not_ready_health_checks: 2,
            ..default_options()
        };
        let fixture = fixture(options, state_with_accounts(), PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(run.succeeded(), "{}", run.describe());
        assert_eq!(fixture.fake.health_checks(), 3);
    }
}

#[test]
fn wrong_password_fails_with_401() {
    for shell in shells() {
        let fixture = fixture(
            default_options(),
            state_with_accounts(),
            b"Wrong-password-55\n",
        );
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'domain acme.test'"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("HTTP 401"), "{}", run.describe());
        assert!(
            run.stderr.contains("authentication as admin failed"),
            "{}",
            run.describe()
        );
        assert_no_secret(&run, b"Wrong-password-55\n");
        assert_no_secret(&run, PASSWORD);
    }
}

#[test]
fn password_trailing_newline_is_sent() {
    for shell in shells() {
        // The server expects the password with its trailing newline, as
        // Stalwart's %{file:...}% macro reads it.
        let fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
        let run = run_setup(&shell, &fixture.env);
        assert!(
            run.succeeded(),
            "the exact file bytes were not accepted\n{}",
            run.describe()
        );

        let without_newline = PASSWORD.strip_suffix(b"\n").unwrap();
        let fixture = fixture_with_password(without_newline);
        let run = run_setup(&shell, &fixture.env);
        assert!(
            !run.succeeded(),
            "a password without its newline was accepted\n{}",
            run.describe()
        );
        assert!(run.stderr.contains("HTTP 401"), "{}", run.describe());
    }
}

fn fixture_with_password(file_bytes: &[u8]) -> Fixture {
    fixture(default_options(), state_with_accounts(), file_bytes)
}

#[test]
fn oidc_directory_creates_admin_through_deploy() {
    for shell in shells() {
        let options = Options {
            directory_is_internal: false,
            ..default_options()
        };
        let mut fixture = fixture(options, state_with_accounts(), PASSWORD);
        set_env(&mut fixture.env, "DIRECTORY_IS_INTERNAL", "false");
        let run = run_setup(&shell, &fixture.env);

        assert!(run.succeeded(), "{}", run.describe());
        assert!(
            fixture
                .fake
                .requests()
                .contains(&"POST /api/principal/deploy".to_owned()),
            "the admin was not created through /deploy: {:?}",
            fixture.fake.requests()
        );
        let admin = &fixture.fake.state().principals["postmaster"];
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));

        let second = run_setup(&shell, &fixture.env);
        assert!(second.succeeded(), "{}", second.describe());
    }
}

#[test]
fn oidc_directory_rejects_plain_create() {
    for shell in shells() {
        // The fake responds like Stalwart with the OIDC directory, but the
        // environment claims the internal one, so POST /api/principal is used.
        let options = Options {
            directory_is_internal: false,
            ..default_options()
        };
        let fixture = fixture(options, state_with_accounts(), PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'admin account postmaster'"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("error=unsupported"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("OpenID directory cannot be managed"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn missing_member_fails_after_other_steps() {
    for shell in shells() {
        let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
        set_env(
            &mut fixture.env,
            "MAILBOX_GROUPS",
            "sales sales@acme.test alice carol bob\ninfo info@acme.test dave",
        );
        let run = run_setup(&shell, &fixture.env);

        assert!(
            !run.succeeded(),
            "a missing member passed silently\n{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("step 'group members'"),
            "{}",
            run.describe()
        );
        assert!(run.stderr.contains("sales:carol"), "{}", run.describe());
        assert!(run.stderr.contains("info:dave"), "{}", run.describe());

        let state = fixture.fake.state();
        assert_eq!(
            state.principals["sales"].members,
            strings(&["alice", "bob"])
        );
        assert_eq!(
            state.principals["sales"].enabled_permissions,
            strings(&["email-receive"])
        );
        assert!(state.principals["info"].members.is_empty());
        assert_eq!(
            state.dkim_keys.len(),
            1,
            "the DKIM step did not run after the missing members"
        );

        // Once the account exists, a rerun adds it and succeeds.
        drop(run);
        let rerun_fixture_state = {
            let mut state = fixture.fake.state();
            state.add_principal(Principal::new("individual", "carol"));
            state.add_principal(Principal::new("individual", "dave"));
            state
        };
        let fake = FakeStalwart::start(default_options(), rerun_fixture_state);
        set_env(&mut fixture.env, "STALWART_URL", &fake.url());
        let rerun = run_setup(&shell, &fixture.env);
        assert!(rerun.succeeded(), "{}", rerun.describe());
        assert_eq!(
            fake.state().principals["sales"].members,
            strings(&["alice", "bob", "carol"])
        );
        assert_eq!(fake.state().principals["info"].members, strings(&["dave"]));
    }
}

#[test]
fn existing_principals_get_email_receive() {
    for shell in shells() {
        let mut state = state_with_accounts();
        // Created earlier without the permission, as the replaced chart did.
        state.add_principal(Principal::new("group", "sales").with_emails(&["sales@acme.test"]));
        let mut admin = Principal::new("individual", "postmaster");
        admin.disabled_permissions = strings(&["email-receive"]);
        state.add_principal(admin);
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(run.succeeded(), "{}", run.describe());
        let state = fixture.fake.state();
        assert_eq!(
            state.principals["sales"].enabled_permissions,
            strings(&["email-receive"])
        );
        assert_eq!(
            state.principals["sales"].members,
            strings(&["alice", "bob"])
        );
        let admin = &state.principals["postmaster"];
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));
        assert!(admin.disabled_permissions.is_empty());
        assert_eq!(admin.emails, strings(&["postmaster@acme.test"]));
    }
}

#[test]
fn name_taken_by_other_type_fails() {
    for shell in shells() {
        let mut state = state_with_accounts();
        state.add_principal(Principal::new("individual", "sales"));
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'group sales'"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("type individual, not group"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn group_email_taken_fails() {
    for shell in shells() {
        let mut state = state_with_accounts();
        state
            .add_principal(Principal::new("individual", "carol").with_emails(&["sales@acme.test"]));
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'group sales'"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("error=fieldAlreadyExists field=emails"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn dkim_create_race_hides_private_key() {
    for shell in shells() {
        // The key exists, but the first read misses it, so the script's POST
        // gets fieldAlreadyExists with the private key as "value".
        let mut state = state_with_accounts();
        state.dkim_keys.insert(
            "ed25519-acme".to_owned(),
            DkimKey::generate("ed25519-acme", "Ed25519", "acme.test", "202501e", 32),
        );
        let options = Options {
            faults: vec![Fault::request(
                "GET",
                "/api/dkim/ed25519-acme",
                FaultResponse::Status(404),
                Some(1),
            )],
            ..default_options()
        };
        let fixture = fixture(options, state, PASSWORD);
        let run = run_setup(&shell, &fixture.env);

        assert!(run.succeeded(), "{}", run.describe());
        assert!(
            fixture
                .fake
                .requests()
                .contains(&"POST /api/dkim".to_owned()),
            "the race was not exercised"
        );
        assert_no_secret(&run, PASSWORD);
        assert_eq!(fixture.fake.state().dkim_keys.len(), 1);
    }
}

#[test]
fn rsa_key_record_uses_rsa_tag() {
    for shell in shells() {
        let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
        set_env(&mut fixture.env, "DKIM_ALGORITHM", "Rsa");
        set_env(&mut fixture.env, "DKIM_SIGNATURE_ID", "rsa-acme");
        let run = run_setup(&shell, &fixture.env);

        assert!(run.succeeded(), "{}", run.describe());
        let key = &fixture.fake.state().dkim_keys["rsa-acme"];
        assert_eq!(key.algorithm, "Rsa");
        assert!(
            run.stdout
                .contains(&format!("k=rsa; p={}\"", key.public_key)),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn invalid_input_rejected_before_requests() {
    let cases = [
        ("DOMAIN", "acme.test\"}"),
        ("DOMAIN", "-acme.test"),
        ("ADMIN_ACCOUNT", "post master"),
        ("ADMIN_EMAIL", "postmaster"),
        ("ADMIN_EMAIL", "a@b@acme.test"),
        (
            "MAILBOX_GROUPS",
            "sales sales@acme.test $(touch /tmp/pwned)",
        ),
        ("MAILBOX_GROUPS", "sales"),
        ("DKIM_SIGNATURE_ID", "ed25519.acme"),
        ("DKIM_ALGORITHM", "ed25519"),
        ("DIRECTORY_IS_INTERNAL", "yes"),
        ("READY_TIMEOUT_SECONDS", "ten"),
        ("STALWART_URL", "ftp://stalwart"),
    ];
    for shell in shells() {
        for (key, value) in cases {
            let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
            set_env(&mut fixture.env, key, value);
            let run = run_setup(&shell, &fixture.env);

            assert!(
                !run.succeeded(),
                "{key}={value:?} was accepted\n{}",
                run.describe()
            );
            assert!(
                run.stderr.contains(key),
                "{key}={value:?}: the message does not name {key}\n{}",
                run.describe()
            );
            let api_requests: Vec<String> = fixture
                .fake
                .requests()
                .into_iter()
                .filter(|request| request.contains("/api/"))
                .collect();
            assert!(
                api_requests.is_empty(),
                "{key}={value:?}: requests were sent: {api_requests:?}"
            );
        }
    }
}

#[test]
fn missing_variable_is_named() {
    for shell in shells() {
        let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
        fixture.env.retain(|(key, _)| key != "ADMIN_PASSWORD_FILE");
        let run = run_setup(&shell, &fixture.env);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("ADMIN_PASSWORD_FILE is missing"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn scripts_pass_shellcheck() {
    let Some(shellcheck) = find_program("shellcheck") else {
        panic!(
            "shellcheck is not installed: install the Debian package shellcheck, e.g. with scripts/install-test-deps.sh"
        );
    };
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"));
    for script in [
        "templates/scripts/setup.sh",
        "templates/scripts/dns-publish.sh",
        "scripts/install-test-deps.sh",
    ] {
        let output = Command::new(&shellcheck)
            .args(["-s", "sh"])
            .arg(directory.join(script))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "shellcheck -s sh {script} reported findings:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
