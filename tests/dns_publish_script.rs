//! Runs the DNS publishing Job's script, taken with its environment from the
//! Job that `stalwart-tenant render -f examples/acme.yaml` prints, against a
//! `PowerDNS` server that the test starts on 127.0.0.1, with the fake Stalwart
//! for the DKIM key. The test fails, with the packages to install, when
//! `pdns_server` is missing.
//!
//! Only what must point at the test world is replaced: `PDNS_API_URL`,
//! `PDNS_API_KEY_FILE`, `STALWART_URL` and `ADMIN_PASSWORD_FILE`. A few tests
//! change one more variable to reach a case the example does not render, each
//! with a comment giving the reason.

mod support;

use std::sync::OnceLock;

use serde_json::Value;
use support::fake_stalwart::{DkimKey, FakeStalwart, Fault, FaultResponse, Options, State};
use support::powerdns::PowerDns;
use support::rendered::{
    RenderedJob, assert_secret_files_mounted, job, override_env, render_json, repository_file,
};
use support::script::{ScriptRun, Shell, run_script, shells};

/// What examples/acme.yaml renders.
const ZONE: &str = "omantel.omani.works.";
const DOMAIN: &str = "acme.omantel.omani.works";
const MX_CONTENT: &str = "10 mail.acme.omantel.omani.works.";
const DMARC_TEXT: &str = "v=DMARC1; p=reject; rua=mailto:dmarc@acme.omantel.omani.works";
const SELECTOR: &str = "stalwart";
const SIGNATURE_ID: &str = "ed25519-acme.omantel.omani.works";
const TTL: u64 = 3600;

const PASSWORD: &[u8] = b"Admin-pw-19\n";

/// Name, type, TTL and sorted contents of one record set.
type RecordSet = (String, String, u64, Vec<String>);

fn dns_job() -> &'static RenderedJob {
    static JOB: OnceLock<RenderedJob> = OnceLock::new();
    JOB.get_or_init(|| job(&render_json(&repository_file("examples/acme.yaml")), "dns"))
}

struct Fixture {
    pdns: PowerDns,
    fake: FakeStalwart,
    env: Vec<(String, String)>,
}

impl Fixture {
    fn run(&self, shell: &Shell) -> ScriptRun {
        run_with(shell, &self.env)
    }

    fn set(&mut self, name: &str, value: &str) {
        override_env(&mut self.env, name, value);
    }
}

fn run_with(shell: &Shell, env: &[(String, String)]) -> ScriptRun {
    let job = dns_job();
    run_script(shell, &job.script, env, &job.job_name)
}

/// Starts `PowerDNS` with the platform zone and a fake Stalwart holding `key`.
fn fixture(key: Option<DkimKey>, options: Options) -> Fixture {
    let pdns = PowerDns::start();
    pdns.create_zone(ZONE);

    let mut state = State::default();
    if let Some(key) = key {
        state.dkim_keys.insert(key.id.clone(), key);
    }
    let fake = FakeStalwart::start(options, state);

    let secrets = pdns.path();
    let api_key_path = secrets.join("api-key");
    std::fs::write(&api_key_path, format!("{}\n", pdns.api_key)).unwrap();
    let password_path = secrets.join("admin-password");
    std::fs::write(&password_path, PASSWORD).unwrap();

    let mut env = dns_job().env.clone();
    override_env(&mut env, "PDNS_API_URL", &pdns.api_url());
    override_env(
        &mut env,
        "PDNS_API_KEY_FILE",
        api_key_path.to_str().unwrap(),
    );
    override_env(&mut env, "STALWART_URL", &fake.url());
    override_env(
        &mut env,
        "ADMIN_PASSWORD_FILE",
        password_path.to_str().unwrap(),
    );
    Fixture { pdns, fake, env }
}

fn stalwart_options() -> Options {
    Options {
        admin_password: PASSWORD.to_vec(),
        ..Options::default()
    }
}

fn ed25519_key() -> DkimKey {
    DkimKey::generate(SIGNATURE_ID, "Ed25519", DOMAIN, SELECTOR, 32)
}

/// Returns (name, type, ttl, sorted contents) of every record set in the zone
/// except the SOA, sorted. `PowerDNS` increases the SOA serial on every PATCH.
fn record_sets(zone: &Value) -> Vec<RecordSet> {
    let mut sets: Vec<_> = zone["rrsets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|set| set["type"] != "SOA")
        .map(|set| {
            let mut contents: Vec<String> = set["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|record| record["content"].as_str().unwrap().to_owned())
                .collect();
            contents.sort();
            (
                set["name"].as_str().unwrap().to_owned(),
                set["type"].as_str().unwrap().to_owned(),
                set["ttl"].as_u64().unwrap(),
                contents,
            )
        })
        .collect();
    sets.sort();
    sets
}

fn contents_of(zone: &Value, name: &str, kind: &str) -> Option<Vec<String>> {
    record_sets(zone)
        .into_iter()
        .find(|(set_name, set_kind, _, _)| set_name == name && set_kind == kind)
        .map(|(_, _, _, contents)| contents)
}

/// Joins the quoted character strings of a TXT content and checks their lengths.
fn txt_text(content: &str) -> String {
    let mut text = String::new();
    for (index, part) in content.split('"').enumerate() {
        if index % 2 == 1 {
            assert!(
                part.len() <= 255,
                "a TXT string is longer than 255 characters: {part}"
            );
            text.push_str(part);
        } else {
            assert!(
                part.trim().is_empty(),
                "unquoted text in TXT content {content:?}"
            );
        }
    }
    text
}

fn assert_no_secret(run: &ScriptRun, api_key: &str) {
    let output = run.output();
    assert!(
        !output.contains(api_key),
        "the PowerDNS API key appears in the output\n{}",
        run.describe()
    );
    let password = String::from_utf8_lossy(PASSWORD);
    assert!(
        !output.contains(password.trim_end()),
        "the admin password appears in the output\n{}",
        run.describe()
    );
}

#[test]
fn rendered_publish_is_idempotent() {
    let fixture = fixture(Some(ed25519_key()), stalwart_options());
    let key = ed25519_key();

    let mut previous: Option<Vec<RecordSet>> = None;
    for shell in shells() {
        for run_number in 1..=2 {
            let run = fixture.run(&shell);
            assert!(
                run.succeeded(),
                "run {run_number} failed\n{}",
                run.describe()
            );
            assert_no_secret(&run, &fixture.pdns.api_key);

            let zone = fixture.pdns.zone(ZONE);
            let sets = record_sets(&zone);
            if let Some(previous) = &previous {
                assert_eq!(
                    previous,
                    &sets,
                    "run {run_number} with {} changed the records",
                    shell.name()
                );
            }
            previous = Some(sets);
        }
    }

    let zone = fixture.pdns.zone(ZONE);
    let apex = format!("{DOMAIN}.");
    assert_eq!(
        contents_of(&zone, &apex, "MX"),
        Some(vec![MX_CONTENT.to_owned()])
    );
    let spf = contents_of(&zone, &apex, "TXT").unwrap();
    assert_eq!(spf, vec!["\"v=spf1 mx -all\"".to_owned()]);
    let dmarc = contents_of(&zone, &format!("_dmarc.{DOMAIN}."), "TXT").unwrap();
    assert_eq!(dmarc, vec![format!("\"{DMARC_TEXT}\"")]);
    let dkim = contents_of(&zone, &format!("{SELECTOR}._domainkey.{DOMAIN}."), "TXT").unwrap();
    assert_eq!(dkim.len(), 1);
    assert_eq!(
        txt_text(&dkim[0]),
        format!("v=DKIM1; k=ed25519; p={}", key.public_key)
    );
    assert_eq!(
        record_sets(&zone).len(),
        5,
        "the zone holds other records than NS, MX, SPF, DMARC and DKIM: {:?}",
        record_sets(&zone)
    );

    let ttls: Vec<u64> = record_sets(&zone)
        .into_iter()
        .filter(|(name, _, _, _)| name.ends_with(&apex))
        .map(|(_, _, ttl, _)| ttl)
        .collect();
    assert_eq!(ttls, vec![TTL; 4], "unexpected TTLs");
}

#[test]
fn rsa_key_is_split_into_strings() {
    let key = DkimKey::generate(
        "rsa-acme.omantel.omani.works",
        "Rsa",
        DOMAIN,
        "202501r",
        294,
    );
    let mut fixture = fixture(Some(key.clone()), stalwart_options());
    // The example renders Ed25519; these are the variables that
    // dns.dkim.algorithm: rsa and another selector change.
    fixture.set("DKIM_SIGNATURE_ID", "rsa-acme.omantel.omani.works");
    fixture.set("DKIM_SELECTOR", "202501r");
    fixture.set("DKIM_KEY_TYPE", "rsa");

    for shell in shells() {
        let run = fixture.run(&shell);
        assert!(run.succeeded(), "{}", run.describe());

        let zone = fixture.pdns.zone(ZONE);
        let dkim = contents_of(&zone, &format!("202501r._domainkey.{DOMAIN}."), "TXT").unwrap();
        assert_eq!(dkim.len(), 1);
        assert!(
            dkim[0].matches('"').count() >= 4,
            "the RSA record was not split: {}",
            dkim[0]
        );
        assert_eq!(
            txt_text(&dkim[0]),
            format!("v=DKIM1; k=rsa; p={}", key.public_key)
        );
    }
}

#[test]
fn dkim_key_appearing_later_is_published() {
    // The key "appears" after two polls because the first two reads return 404.
    let options = Options {
        faults: vec![Fault::request(
            "GET",
            &format!("/api/dkim/{SIGNATURE_ID}"),
            FaultResponse::Status(404),
            Some(2),
        )],
        ..stalwart_options()
    };
    let fixture = fixture(Some(ed25519_key()), options);
    let shell = &shells()[0];
    let run = fixture.run(shell);

    assert!(run.succeeded(), "{}", run.describe());
    let dkim_reads = fixture
        .fake
        .requests()
        .iter()
        .filter(|request| **request == format!("GET /api/dkim/{SIGNATURE_ID}"))
        .count();
    assert_eq!(dkim_reads, 3);
    let zone = fixture.pdns.zone(ZONE);
    assert!(contents_of(&zone, &format!("{SELECTOR}._domainkey.{DOMAIN}."), "TXT").is_some());
}

#[test]
fn dkim_wait_timeout_keeps_base_records() {
    let mut fixture = fixture(None, stalwart_options());
    // The rendered wait is minutes long; the timeout path needs seconds.
    fixture.set("DKIM_WAIT_SECONDS", "2");

    for shell in shells() {
        let run = fixture.run(&shell);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr
                .contains("MX, SPF and DMARC records for acme.omantel.omani.works were published"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr
                .contains("the DKIM record stalwart._domainkey.acme.omantel.omani.works. was not"),
            "{}",
            run.describe()
        );

        let zone = fixture.pdns.zone(ZONE);
        let apex = format!("{DOMAIN}.");
        assert!(contents_of(&zone, &apex, "MX").is_some());
        assert!(contents_of(&zone, &apex, "TXT").is_some());
        assert!(contents_of(&zone, &format!("_dmarc.{DOMAIN}."), "TXT").is_some());
        assert!(contents_of(&zone, &format!("{SELECTOR}._domainkey.{DOMAIN}."), "TXT").is_none());
    }
}

#[test]
fn wrong_stalwart_password_fails_at_once() {
    let mut fixture = fixture(Some(ed25519_key()), stalwart_options());
    let password_path = fixture.pdns.path().join("wrong-password");
    std::fs::write(&password_path, b"not-the-password\n").unwrap();
    fixture.set("ADMIN_PASSWORD_FILE", password_path.to_str().unwrap());

    for shell in shells() {
        let run = fixture.run(&shell);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(run.stderr.contains("HTTP 401"), "{}", run.describe());
        assert!(
            run.stderr.contains("the DKIM record was not"),
            "{}",
            run.describe()
        );
        assert!(
            !run.output().contains("not-the-password"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn wrong_api_key_fails() {
    let mut fixture = fixture(Some(ed25519_key()), stalwart_options());
    let key_path = fixture.pdns.path().join("wrong-api-key");
    std::fs::write(&key_path, "wrong-key-8d1f\n").unwrap();
    fixture.set("PDNS_API_KEY_FILE", key_path.to_str().unwrap());

    for shell in shells() {
        let run = fixture.run(&shell);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr.contains("step 'publish MX, SPF and DMARC'"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr.contains("PDNS_API_KEY_FILE"),
            "{}",
            run.describe()
        );
        assert!(
            !run.output().contains("wrong-key-8d1f"),
            "{}",
            run.describe()
        );
        assert!(
            !run.output().contains(&fixture.pdns.api_key),
            "{}",
            run.describe()
        );
    }
    let zone = fixture.pdns.zone(ZONE);
    assert!(contents_of(&zone, &format!("{DOMAIN}."), "MX").is_none());
}

#[test]
fn invalid_record_input_rejected() {
    let cases = [
        ("SPF_TEXT", "v=spf1 \"mx\" -all"),
        ("DMARC_TEXT", "v=DMARC1;\\p=none"),
        ("DOMAIN", "acme.other.test"),
        // The zone apex itself belongs to the platform.
        ("DOMAIN", "omantel.omani.works"),
        ("DKIM_SIGNATURE_ID", "ed25519-acme/../x"),
        ("MX_HOST", "mx host"),
        ("DKIM_KEY_TYPE", "dsa"),
        ("RECORD_TTL", "0"),
    ];
    let fixture = fixture(Some(ed25519_key()), stalwart_options());
    for shell in shells() {
        for (key, value) in cases {
            let mut env = fixture.env.clone();
            override_env(&mut env, key, value);
            let run = run_with(&shell, &env);
            assert!(
                !run.succeeded(),
                "{key}={value:?} was accepted\n{}",
                run.describe()
            );
            assert!(
                run.stderr.contains(key),
                "{key}={value:?}: message does not name it\n{}",
                run.describe()
            );
        }
    }
    let zone = fixture.pdns.zone(ZONE);
    assert!(
        contents_of(&zone, &format!("{DOMAIN}."), "MX").is_none(),
        "invalid input reached PowerDNS"
    );
}

#[test]
fn rendered_dns_job_mounts_its_files() {
    assert_secret_files_mounted(dns_job());
}
