//! Runs the setup Job's script, taken with its environment from the Job that
//! `stalwart-tenant render` prints, with /bin/sh and busybox sh against the fake
//! Stalwart admin API in `tests/support/fake_stalwart.rs`.
//!
//! Only what must point at the test world is replaced: `STALWART_URL` (the
//! fake's URL) and `ADMIN_PASSWORD_FILE` (a temporary file holding the test
//! password). A few tests change one more variable to reach a case the
//! fixtures do not render, each with a comment giving the reason.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use support::fake_stalwart::{
    DkimKey, FakeStalwart, Fault, FaultResponse, Options, Principal, State,
};
use support::rendered::{
    RenderedJob, assert_secret_files_mounted, job, override_env, render_json, repository_file,
};
use support::script::{ScriptRun, Shell, find_program, run_script, shells};
use tempfile::TempDir;

const PASSWORD: &[u8] = b"Pw-7c2e!quartz\n";

/// What tests/fixtures/groups.yaml renders: the OIDC directory, three groups.
const DOMAIN: &str = "acme.test";
const ADMIN: &str = "admin";
const SIGNATURE_ID: &str = "ed25519-acme.test";
const SELECTOR: &str = "stalwart";

fn groups_job() -> &'static RenderedJob {
    static JOB: OnceLock<RenderedJob> = OnceLock::new();
    JOB.get_or_init(|| {
        job(
            &render_json(&repository_file("tests/fixtures/groups.yaml")),
            "setup",
        )
    })
}

fn internal_directory_job() -> &'static RenderedJob {
    static JOB: OnceLock<RenderedJob> = OnceLock::new();
    JOB.get_or_init(|| {
        job(
            &render_json(&repository_file("tests/fixtures/internal-directory.yaml")),
            "setup",
        )
    })
}

fn acme_job() -> &'static RenderedJob {
    static JOB: OnceLock<RenderedJob> = OnceLock::new();
    JOB.get_or_init(|| {
        job(
            &render_json(&repository_file("examples/acme.yaml")),
            "setup",
        )
    })
}

/// A fake server, the rendered Job and its environment pointed at the fake.
struct Fixture {
    fake: FakeStalwart,
    job: &'static RenderedJob,
    _directory: TempDir,
    env: Vec<(String, String)>,
}

impl Fixture {
    fn run(&self, shell: &Shell) -> ScriptRun {
        run_script(shell, &self.job.script, &self.env, &self.job.job_name)
    }

    fn set(&mut self, name: &str, value: &str) {
        override_env(&mut self.env, name, value);
    }
}

/// Returns a state holding the accounts the groups name as members. With the
/// OIDC directory they come from the users' first sign-in, so the setup Job never creates them.
fn state_with_accounts() -> State {
    let mut state = State::default();
    for name in ["alice", "bob", "carol", "dave"] {
        state.add_principal(Principal::new("individual", name));
    }
    state
}

fn fixture_for(
    job: &'static RenderedJob,
    options: Options,
    state: State,
    password_file_bytes: &[u8],
) -> Fixture {
    let fake = FakeStalwart::start(options, state);
    let directory = tempfile::tempdir().unwrap();
    let password_path = directory.path().join("admin-password");
    std::fs::write(&password_path, password_file_bytes).unwrap();

    let mut env = job.env.clone();
    override_env(&mut env, "STALWART_URL", &fake.url());
    override_env(
        &mut env,
        "ADMIN_PASSWORD_FILE",
        password_path.to_str().unwrap(),
    );
    Fixture {
        fake,
        job,
        _directory: directory,
        env,
    }
}

/// Starts the groups tenant's fixture. With [`default_options`] the fake, like
/// Stalwart with the OIDC directory as the default one, rejects individuals on
/// POST /api/principal.
fn fixture(options: Options, state: State, password_file_bytes: &[u8]) -> Fixture {
    fixture_for(groups_job(), options, state, password_file_bytes)
}

fn default_options() -> Options {
    Options {
        admin_password: PASSWORD.to_vec(),
        directory_is_internal: false,
        ..Options::default()
    }
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
        support::fake_stalwart::base64_encode(&[format!("{ADMIN}:").as_bytes(), password].concat());
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
fn rendered_setup_twice_is_idempotent() {
    for shell in shells() {
        let fixture = fixture(default_options(), state_with_accounts(), PASSWORD);

        let first = fixture.run(&shell);
        assert!(first.succeeded(), "first run failed\n{}", first.describe());
        let after_first = fixture.fake.state();

        let second = fixture.run(&shell);
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
        assert_eq!(state.principals[DOMAIN].kind, "domain");

        assert_eq!(
            state.count_of_kind("individual"),
            5,
            "admin plus 4 accounts"
        );
        let admin = &state.principals[ADMIN];
        assert_eq!(admin.kind, "individual");
        assert_eq!(admin.emails, strings(&["admin@acme.test"]));
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));
        assert_eq!(admin.roles, strings(&["admin"]));
        assert!(
            fixture
                .fake
                .requests()
                .contains(&"POST /api/principal/deploy".to_owned()),
            "the OIDC tenant's admin was not created through /deploy: {:?}",
            fixture.fake.requests()
        );

        assert_eq!(state.count_of_kind("group"), 3);
        let expected_groups = [
            ("sales", "sales@acme.test", &["alice", "bob"][..]),
            ("support", "support@acme.test", &["carol", "alice"][..]),
            ("info", "info@acme.test", &[][..]),
        ];
        for (name, email, members) in expected_groups {
            let group = &state.principals[name];
            assert_eq!(group.kind, "group", "{name}");
            assert_eq!(group.emails, strings(&[email]), "{name}");
            assert_eq!(
                group.enabled_permissions,
                strings(&["email-receive"]),
                "{name} cannot receive mail"
            );
            assert_eq!(group.members, strings(members), "{name}");
        }

        assert_eq!(state.dkim_keys.len(), 1);
        let key = &state.dkim_keys[SIGNATURE_ID];
        assert_eq!(key.algorithm, "Ed25519");
        assert_eq!(key.selector, SELECTOR);
        assert_eq!(key.domain, DOMAIN);

        let record = format!(
            "{SELECTOR}._domainkey.{DOMAIN}. TXT \"v=DKIM1; k=ed25519; p={}\"",
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
fn rendered_internal_directory_setup() {
    for shell in shells() {
        let options = Options {
            directory_is_internal: true,
            ..default_options()
        };
        let fixture = fixture_for(
            internal_directory_job(),
            Options {
                admin_user: "postmaster".to_owned(),
                ..options
            },
            state_with_accounts(),
            PASSWORD,
        );

        for run_number in 1..=2 {
            let run = fixture.run(&shell);
            assert!(run.succeeded(), "run {run_number}\n{}", run.describe());
        }
        let requests = fixture.fake.requests();
        assert!(
            !requests.contains(&"POST /api/principal/deploy".to_owned()),
            "the internal directory needs no /deploy: {requests:?}"
        );

        let state = fixture.fake.state();
        assert_eq!(state.principals["globex.test"].kind, "domain");
        let admin = &state.principals["postmaster"];
        assert_eq!(admin.kind, "individual");
        assert_eq!(admin.emails, strings(&["postmaster@globex.test"]));
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));
        let team = &state.principals["team"];
        assert_eq!(team.emails, strings(&["team@globex.test"]));
        assert_eq!(team.enabled_permissions, strings(&["email-receive"]));
        assert_eq!(team.members, strings(&["dave"]));
        assert!(state.dkim_keys.contains_key("ed25519-globex.test"));
    }
}

#[test]
fn rendered_tenant_without_groups_succeeds() {
    // examples/acme.yaml has no mailboxes.groups, so MAILBOX_GROUPS is empty.
    assert_eq!(acme_job().env_value("MAILBOX_GROUPS"), "");
    for shell in shells() {
        let fixture = fixture_for(acme_job(), default_options(), State::default(), PASSWORD);
        let run = fixture.run(&shell);
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
                ADMIN,
                &FaultResponse::ManagementError {
                    details: "Failed to write principal".to_owned(),
                    reason: "disk full".to_owned(),
                },
            ),
            ..default_options()
        };
        let fixture = fixture(options, state_with_accounts(), PASSWORD);
        let run = fixture.run(&shell);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'admin account admin'"),
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
        let run = fixture.run(&shell);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'dkim key ed25519-acme.test'"),
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
        // The rendered wait is minutes long; the timeout path needs seconds.
        fixture.set("READY_TIMEOUT_SECONDS", "2");
        let run = fixture.run(&shell);

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
        let run = fixture.run(&shell);

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
        let run = fixture.run(&shell);

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
        let exact = fixture(default_options(), state_with_accounts(), PASSWORD);
        let run = exact.run(&shell);
        assert!(
            run.succeeded(),
            "the exact file bytes were not accepted\n{}",
            run.describe()
        );

        let without_newline = PASSWORD.strip_suffix(b"\n").unwrap();
        let trimmed = fixture(default_options(), state_with_accounts(), without_newline);
        let run = trimmed.run(&shell);
        assert!(
            !run.succeeded(),
            "a password without its newline was accepted\n{}",
            run.describe()
        );
        assert!(run.stderr.contains("HTTP 401"), "{}", run.describe());
    }
}

#[test]
fn oidc_directory_rejects_plain_create() {
    for shell in shells() {
        // The fake responds like Stalwart with the OIDC directory, but the
        // environment claims the internal one, so POST /api/principal is used.
        let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
        fixture.set("DIRECTORY_IS_INTERNAL", "true");
        let run = fixture.run(&shell);

        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'admin account admin'"),
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
        let mut state = state_with_accounts();
        state.principals.remove("carol");
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = fixture.run(&shell);

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
        assert!(run.stderr.contains("support:carol"), "{}", run.describe());

        let state = fixture.fake.state();
        assert_eq!(
            state.principals["support"].members,
            strings(&["alice"]),
            "the members after the missing one were not added"
        );
        assert_eq!(
            state.principals["support"].enabled_permissions,
            strings(&["email-receive"])
        );
        assert_eq!(
            state.dkim_keys.len(),
            1,
            "the DKIM step did not run after the missing members"
        );

        // Once the account exists, a rerun adds it and succeeds.
        let mut rerun_state = fixture.fake.state();
        rerun_state.add_principal(Principal::new("individual", "carol"));
        let rerun_fixture = fixture_for(groups_job(), default_options(), rerun_state, PASSWORD);
        let rerun = rerun_fixture.run(&shell);
        assert!(rerun.succeeded(), "{}", rerun.describe());
        assert_eq!(
            rerun_fixture.fake.state().principals["support"].members,
            strings(&["alice", "carol"])
        );
    }
}

#[test]
fn existing_principals_get_email_receive() {
    for shell in shells() {
        let mut state = state_with_accounts();
        state.add_principal(Principal::new("domain", DOMAIN));
        // Created earlier without the permission, as the replaced chart did.
        state.add_principal(Principal::new("group", "sales").with_emails(&["sales@acme.test"]));
        let mut admin = Principal::new("individual", ADMIN);
        admin.disabled_permissions = strings(&["email-receive"]);
        state.add_principal(admin);
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = fixture.run(&shell);

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
        let admin = &state.principals[ADMIN];
        assert_eq!(admin.enabled_permissions, strings(&["email-receive"]));
        assert!(admin.disabled_permissions.is_empty());
        assert_eq!(admin.emails, strings(&["admin@acme.test"]));
    }
}

#[test]
fn name_taken_by_other_type_fails() {
    for shell in shells() {
        let mut state = state_with_accounts();
        state.add_principal(Principal::new("individual", "sales"));
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = fixture.run(&shell);

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
        state.add_principal(Principal::new("domain", DOMAIN));
        state.add_principal(Principal::new("individual", "erin").with_emails(&["sales@acme.test"]));
        let fixture = fixture(default_options(), state, PASSWORD);
        let run = fixture.run(&shell);

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
            SIGNATURE_ID.to_owned(),
            DkimKey::generate(SIGNATURE_ID, "Ed25519", DOMAIN, SELECTOR, 32),
        );
        let options = Options {
            faults: vec![Fault::request(
                "GET",
                &format!("/api/dkim/{SIGNATURE_ID}"),
                FaultResponse::Status(404),
                Some(1),
            )],
            ..default_options()
        };
        let fixture = fixture(options, state, PASSWORD);
        let run = fixture.run(&shell);

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
        // The fixtures render Ed25519; these two variables are what
        // dns.dkim.algorithm: rsa changes.
        fixture.set("DKIM_ALGORITHM", "Rsa");
        fixture.set("DKIM_SIGNATURE_ID", "rsa-acme.test");
        let run = fixture.run(&shell);

        assert!(run.succeeded(), "{}", run.describe());
        let key = &fixture.fake.state().dkim_keys["rsa-acme.test"];
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
        ("DKIM_SIGNATURE_ID", "ed25519-acme/../test"),
        ("DKIM_SIGNATURE_ID", "ed25519-acme.test."),
        ("DKIM_ALGORITHM", "ed25519"),
        ("DIRECTORY_IS_INTERNAL", "yes"),
        ("READY_TIMEOUT_SECONDS", "ten"),
        ("STALWART_URL", "ftp://stalwart"),
    ];
    for shell in shells() {
        for (key, value) in cases {
            let mut fixture = fixture(default_options(), state_with_accounts(), PASSWORD);
            fixture.set(key, value);
            let run = fixture.run(&shell);

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
        let run = fixture.run(&shell);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("ADMIN_PASSWORD_FILE is missing"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn rendered_setup_job_mounts_its_files() {
    for job in [groups_job(), internal_directory_job(), acme_job()] {
        assert_secret_files_mounted(job);
    }
}

#[test]
fn rendered_scripts_pass_shellcheck() {
    let Some(shellcheck) = find_program("shellcheck") else {
        panic!(
            "shellcheck is not installed: install the Debian package shellcheck, e.g. with scripts/install-test-deps.sh"
        );
    };
    let list = render_json(&repository_file("examples/acme.yaml"));
    let directory = tempfile::tempdir().unwrap();
    let mut checked = Vec::new();
    for (component, template) in [("setup", "setup.sh"), ("dns", "dns-publish.sh")] {
        let rendered = job(&list, component);
        // The Job embeds the script verbatim: the YAML literal block keeps one
        // trailing newline.
        let original =
            std::fs::read_to_string(repository_file(&format!("templates/scripts/{template}")))
                .unwrap();
        assert_eq!(
            rendered.script.trim_end(),
            original.trim_end(),
            "the {component} Job's script differs from templates/scripts/{template}"
        );
        let path = directory.path().join(format!("{component}-job.sh"));
        std::fs::write(&path, &rendered.script).unwrap();
        checked.push(path);
    }
    checked.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-test-deps.sh"));

    for script in checked {
        let output = Command::new(&shellcheck)
            .args(["-s", "sh"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "shellcheck -s sh {} reported findings:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
