//! Runs `templates/scripts/dns-publish.sh` for real against a `PowerDNS` server that
//! the test starts on 127.0.0.1, with the fake Stalwart for the DKIM key.
//! The test fails, with the packages to install, when `pdns_server` is missing.

mod support;

use serde_json::Value;
use support::fake_stalwart::{DkimKey, FakeStalwart, Fault, FaultResponse, Options, State};
use support::powerdns::PowerDns;
use support::script::{ScriptRun, Shell, env_of, run_script, set_env, shells, template_script};

const ZONE: &str = "mail-platform.test.";
const DOMAIN: &str = "acme.mail-platform.test";
const PASSWORD: &[u8] = b"Admin-pw-19\n";
const DMARC_TEXT: &str = "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.mail-platform.test";

/// Name, type, TTL and sorted contents of one record set.
type RecordSet = (String, String, u64, Vec<String>);

struct Fixture {
    pdns: PowerDns,
    fake: FakeStalwart,
    env: Vec<(String, String)>,
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

    let env = env_of(&[
        ("PDNS_API_URL", &pdns.api_url()),
        ("PDNS_API_KEY_FILE", api_key_path.to_str().unwrap()),
        ("PDNS_SERVER_ID", "localhost"),
        ("PDNS_ZONE", ZONE.trim_end_matches('.')),
        ("RECORD_TTL", "300"),
        ("DOMAIN", DOMAIN),
        ("MX_HOST", "mx.acme.mail-platform.test"),
        ("SPF_TEXT", "v=spf1 mx -all"),
        ("DMARC_TEXT", DMARC_TEXT),
        ("DKIM_SELECTOR", "202501e"),
        ("DKIM_SIGNATURE_ID", "ed25519-acme"),
        ("DKIM_KEY_TYPE", "ed25519"),
        ("STALWART_URL", &fake.url()),
        ("ADMIN_USER", "admin"),
        ("ADMIN_PASSWORD_FILE", password_path.to_str().unwrap()),
        ("DKIM_WAIT_SECONDS", "20"),
    ]);
    Fixture { pdns, fake, env }
}

fn stalwart_options() -> Options {
    Options {
        admin_password: PASSWORD.to_vec(),
        ..Options::default()
    }
}

fn ed25519_key() -> DkimKey {
    DkimKey::generate("ed25519-acme", "Ed25519", DOMAIN, "202501e", 32)
}

fn run_publish(shell: &Shell, env: &[(String, String)]) -> ScriptRun {
    run_script(
        shell,
        &template_script("dns-publish.sh"),
        env,
        "stalwart-dns-publish",
    )
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
fn publish_writes_records_idempotently() {
    let fixture = fixture(Some(ed25519_key()), stalwart_options());
    let key = ed25519_key();

    let mut previous: Option<Vec<RecordSet>> = None;
    for shell in shells() {
        for run_number in 1..=2 {
            let run = run_publish(&shell, &fixture.env);
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
        Some(vec!["10 mx.acme.mail-platform.test.".to_owned()])
    );
    let spf = contents_of(&zone, &apex, "TXT").unwrap();
    assert_eq!(spf, vec!["\"v=spf1 mx -all\"".to_owned()]);
    let dmarc = contents_of(&zone, &format!("_dmarc.{DOMAIN}."), "TXT").unwrap();
    assert_eq!(dmarc, vec![format!("\"{DMARC_TEXT}\"")]);
    let dkim = contents_of(&zone, &format!("202501e._domainkey.{DOMAIN}."), "TXT").unwrap();
    assert_eq!(dkim.len(), 1);
    assert_eq!(
        txt_text(&dkim[0]),
        format!("v=DKIM1; k=ed25519; p={}", key.public_key)
    );

    let ttls: Vec<u64> = record_sets(&zone)
        .into_iter()
        .filter(|(name, _, _, _)| name.ends_with(&apex))
        .map(|(_, _, ttl, _)| ttl)
        .collect();
    assert_eq!(ttls, vec![300; 4], "unexpected TTLs");
}

#[test]
fn rsa_key_is_split_into_strings() {
    let key = DkimKey::generate("rsa-acme", "Rsa", DOMAIN, "202501r", 294);
    let mut fixture = fixture(Some(key.clone()), stalwart_options());
    set_env(&mut fixture.env, "DKIM_SIGNATURE_ID", "rsa-acme");
    set_env(&mut fixture.env, "DKIM_SELECTOR", "202501r");
    set_env(&mut fixture.env, "DKIM_KEY_TYPE", "rsa");

    for shell in shells() {
        let run = run_publish(&shell, &fixture.env);
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
            "/api/dkim/ed25519-acme",
            FaultResponse::Status(404),
            Some(2),
        )],
        ..stalwart_options()
    };
    let fixture = fixture(Some(ed25519_key()), options);
    let shell = &shells()[0];
    let run = run_publish(shell, &fixture.env);

    assert!(run.succeeded(), "{}", run.describe());
    let dkim_reads = fixture
        .fake
        .requests()
        .iter()
        .filter(|request| *request == "GET /api/dkim/ed25519-acme")
        .count();
    assert_eq!(dkim_reads, 3);
    let zone = fixture.pdns.zone(ZONE);
    assert!(contents_of(&zone, &format!("202501e._domainkey.{DOMAIN}."), "TXT").is_some());
}

#[test]
fn dkim_wait_timeout_keeps_base_records() {
    let mut fixture = fixture(None, stalwart_options());
    set_env(&mut fixture.env, "DKIM_WAIT_SECONDS", "2");

    for shell in shells() {
        let run = run_publish(&shell, &fixture.env);
        assert!(!run.succeeded(), "{}", run.describe());
        assert!(
            run.stderr
                .contains("MX, SPF and DMARC records for acme.mail-platform.test were published"),
            "{}",
            run.describe()
        );
        assert!(
            run.stderr
                .contains("the DKIM record 202501e._domainkey.acme.mail-platform.test. was not"),
            "{}",
            run.describe()
        );

        let zone = fixture.pdns.zone(ZONE);
        let apex = format!("{DOMAIN}.");
        assert!(contents_of(&zone, &apex, "MX").is_some());
        assert!(contents_of(&zone, &apex, "TXT").is_some());
        assert!(contents_of(&zone, &format!("_dmarc.{DOMAIN}."), "TXT").is_some());
        assert!(contents_of(&zone, &format!("202501e._domainkey.{DOMAIN}."), "TXT").is_none());
    }
}

#[test]
fn wrong_stalwart_password_fails_at_once() {
    let mut fixture = fixture(Some(ed25519_key()), stalwart_options());
    let password_path = fixture.pdns.path().join("wrong-password");
    std::fs::write(&password_path, b"not-the-password\n").unwrap();
    set_env(
        &mut fixture.env,
        "ADMIN_PASSWORD_FILE",
        password_path.to_str().unwrap(),
    );

    for shell in shells() {
        let run = run_publish(&shell, &fixture.env);
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
    set_env(
        &mut fixture.env,
        "PDNS_API_KEY_FILE",
        key_path.to_str().unwrap(),
    );

    for shell in shells() {
        let run = run_publish(&shell, &fixture.env);
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
        ("MX_HOST", "mx host"),
        ("DKIM_KEY_TYPE", "dsa"),
        ("RECORD_TTL", "0"),
    ];
    let fixture = fixture(Some(ed25519_key()), stalwart_options());
    for shell in shells() {
        for (key, value) in cases {
            let mut env = fixture.env.clone();
            set_env(&mut env, key, value);
            let run = run_publish(&shell, &env);
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
