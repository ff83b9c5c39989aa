//! Values that would render manifests the cluster rejects, or that would
//! quietly mean something else, are rejected before anything is printed.
//! Each case runs the real binary on the reference tenant with one change.

use assert_cmd::Command;

/// Renders examples/acme.yaml with `extra` arguments and returns the exit
/// code, stdout and stderr.
fn render(extra: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["render", "-f", "examples/acme.yaml", "-n", "acme"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), output.stdout, stderr)
}

#[test]
fn reference_tenant_renders() {
    let (code, stdout, stderr) = render(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.is_empty());
}

#[test]
fn values_the_cluster_would_reject() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--set", "networkPolicy.keycloakCIDRs=[]"],
            "`networkPolicy.keycloakCIDRs` is empty",
        ),
        (
            &["--set", "dns.powerdns.apiCIDRs=[]"],
            "`dns.powerdns.apiCIDRs` is empty",
        ),
        (
            &["--set", "service.smtp.ports.submission=25"],
            "the same port as `service.smtp.ports.smtp`",
        ),
        (
            &["--set", "service.imap.ports.imaps=143"],
            "the same port as `service.imap.ports.imap`",
        ),
        (
            &[
                "--set-string",
                "stalwart.resources.requests.memory=2Gi",
                "--set-string",
                "stalwart.resources.limits.memory=1Gi",
            ],
            "is 2Gi, more than the limit 1Gi",
        ),
        (
            &["--set-string", "setupJob.resources.requests.cpu=1"],
            "is 1, more than the limit 200m",
        ),
        (
            &["--set-string", "persistence.spool.size=-1Gi"],
            "must be more than zero",
        ),
        (
            &["--set-string", "persistence.spool.size=0"],
            "must be more than zero",
        ),
        (
            &["--set-string", "ingress.webmail.path=webmail"],
            "does not start with `/`",
        ),
        (
            &["--set-string", "ingress.webmail.path="],
            "does not start with `/`",
        ),
        (
            &["--set-string", "ingress.webmail.path=/a b"],
            "may not contain unescaped",
        ),
        (
            &["--set-string", "ingress.webmail.path=/a/../b"],
            "`..` segment",
        ),
        (
            &["--set", "service.smtp.ports.submission=465"],
            "`service.smtp.ports.submission` is 465, the same port as `service.smtp.ports.submissions`",
        ),
        (
            &["--set-string", "dns.powerdns.serverID=a;b"],
            "is not a PowerDNS server id",
        ),
        (
            &["--set-string", "dns.powerdns.serverID="],
            "is not a PowerDNS server id",
        ),
        (
            &[
                "--set-string",
                "keycloak.realmURL=https://auth.example/realms/a b",
            ],
            "may not contain unescaped",
        ),
        (
            &[
                "--set-string",
                "keycloak.realmURL=https://auth.example/realms/{x}",
            ],
            "may not contain unescaped",
        ),
        (
            &["--set-string", "stalwart.resources.requests.memory=-1Gi"],
            "is negative",
        ),
        (
            &[
                "--set-string",
                "stalwart.resources.requests.memory=1e2147483648",
            ],
            "is not a Kubernetes quantity",
        ),
        (
            &["--set-string", "persistence.spool.size=0e400"],
            "is not a Kubernetes quantity",
        ),
        (
            &[
                "--set-string",
                "keycloak.realmURL=https://auth.example:0/realms/a",
            ],
            "has port 0",
        ),
        (
            &["--set-string", "keycloak.realmURL=https:///realms/a"],
            "has no valid host name",
        ),
        (
            &["--set-string", "dns.powerdns.apiURL=https://-x.example/api"],
            "has no valid host name",
        ),
        (
            &[
                "--set",
                r"networkPolicy.gatewayNamespaceLabels.kubernetes\.io/metadata\.name=null",
            ],
            "`networkPolicy.gatewayNamespaceLabels` is empty",
        ),
        (
            &[
                "--set-string",
                "mailboxes.groups[0].name=sales",
                "--set-string",
                "mailboxes.groups[0].email=admin",
                "--set-string",
                "mailboxes.groups[0].members[0]=admin",
            ],
            "repeats the address",
        ),
        (
            &["--set-string", "ingress.webmail.path=/a%zz"],
            "invalid `%` escape",
        ),
    ];
    for (extra, expected) in cases
        .iter()
        .chain(MESSAGES)
        .chain(CERTIFICATE_TIMES)
        .chain(JOB_INPUTS)
    {
        let (code, stdout, stderr) = render(extra);
        assert_eq!(code, Some(1), "{extra:?}: {stderr}");
        assert!(stdout.is_empty(), "{extra:?} printed manifests");
        assert!(
            stderr.contains(expected),
            "{extra:?}: expected {expected:?} in:\n{stderr}"
        );
    }
}

/// Values whose error once named the wrong cause.
const MESSAGES: &[(&[&str], &str)] = &[
    (
        &["--set-string", "service.smtp.ports.smtp=25"],
        "use --set for numbers and booleans",
    ),
    (
        &["--set", "service.smtp.ports.smtp=025"],
        "without a leading zero, decimal point or exponent",
    ),
    (
        &[
            "--set-string",
            "mailboxes.sendAs[1].account=admin",
            "--set-string",
            "mailboxes.sendAs[1].address=postmaster",
        ],
        "`mailboxes.sendAs[1]` repeats entry 0",
    ),
    (
        &["--set-string", "ingress.webmail.host=a: b"],
        "each label must be",
    ),
];

#[test]
fn allowed_edges_still_render() {
    let cases: &[&[&str]] = &[
        // An empty list is harmless when its rule is not rendered.
        &[
            "--set",
            "networkPolicy.keycloakCIDRs=[]",
            "--set",
            "keycloak.enabled=false",
        ],
        &[
            "--set",
            "networkPolicy.keycloakCIDRs=[]",
            "--set",
            "networkPolicy.enabled=false",
        ],
        &["--set-string", "ingress.webmail.path=/webmail"],
        &["--set-string", "ingress.webmail.path=/a%20b"],
        &[
            "--set-string",
            "keycloak.realmURL=https://keycloak/realms/sme",
        ],
        &[
            "--set-string",
            "keycloak.realmURL=https://[fd00::1]:8443/realms/sme",
        ],
        &[
            "--set-string",
            "stalwart.resources.requests.memory=1024Mi",
            "--set-string",
            "stalwart.resources.limits.memory=1Gi",
        ],
    ];
    for extra in cases {
        let (code, _, stderr) = render(extra);
        assert_eq!(code, Some(0), "{extra:?}: {stderr}");
    }
}

#[test]
fn secret_setting_warns() {
    let setting = r"stalwart.settings.store\.s3\.secret-key=abc123";
    let (code, stdout, stderr) = render(&["--set-string", setting]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.is_empty());
    assert!(
        stderr.contains("writes a secret into the config.toml ConfigMap in plain text"),
        "{stderr}"
    );

    let strict = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--strict", "-f", "examples/acme.yaml", "-n", "acme"])
        .args(["--set-string", setting, "--set-string"])
        .arg(format!("stalwart.image.digest=sha256:{}", "a".repeat(64)))
        .output()
        .unwrap();
    let strict_stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{strict_stderr}");
    assert!(strict_stderr.contains("in plain text"), "{strict_stderr}");
}

#[test]
fn lint_reports_conflict_and_audit_together() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(
        &settings,
        "stalwart:\n  settings:\n    server.hostname: other.example\n    queue.strategy.route:\n      - if: \"rcpt_domain == \"\n        then: \"'mx'\"\n      - else: \"'mx'\"\n",
    )
    .unwrap();
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "-f", "examples/acme.yaml", "-n", "acme", "-f"])
        .arg(&settings)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("which stalwart-tenant already writes in config.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("has no value on its right"), "{stderr}");
}

#[test]
fn domain_too_long_for_derived_names() {
    // 253 characters: a valid domain, but `<selector>._domainkey.<domain>`
    // and `mail.<domain>` would be longer than a DNS name may be.
    let label = "a".repeat(63);
    let domain = format!("{label}.{label}.{label}.{}", "b".repeat(61));
    let (code, stdout, stderr) = render(&["--set-string", &format!("domain.primary={domain}")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("makes the name `stalwart._domainkey.<domain>` 273 characters long"),
        "{stderr}"
    );
    assert!(stderr.contains("at most 233 characters"), "{stderr}");
}

#[test]
fn long_host_omits_common_name() {
    let (code, stdout, stderr) = render(&[
        "--set-string",
        "domain.primary=al-noor-international-trading-and-contracting.omantel.omani.works",
        "--show-only",
        "Certificate/stalwart-tls",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        !stdout
            .lines()
            .any(|line| line.trim_start().starts_with("commonName:")),
        "{stdout}"
    );
    assert!(
        stdout.contains("- mail.al-noor-international-trading-and-contracting.omantel.omani.works"),
        "{stdout}"
    );
    let (_, short, _) = render(&["--show-only", "Certificate/stalwart-tls"]);
    assert!(
        String::from_utf8(short)
            .unwrap()
            .contains("commonName: mail.acme.omantel.omani.works")
    );
}

#[test]
fn pod_security_settings_warn() {
    let risky = [
        "--set",
        "stalwart.containerSecurityContext.dropCapabilities=[NET_RAW]",
        "--set-string",
        "stalwart.podSecurityContext.sysctls[0].name=net.core.somaxconn",
        "--set-string",
        "stalwart.podSecurityContext.sysctls[0].value=1024",
    ];
    let (code, stdout, stderr) = render(&risky);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.is_empty());
    assert!(stderr.contains("does not drop ALL"), "{stderr}");
    assert!(
        stderr.contains("the sysctl net.core.somaxconn is not in Kubernetes' safe set"),
        "{stderr}"
    );

    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "--strict", "-f", "examples/acme.yaml", "-n", "acme"])
        .args(risky)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: stalwart.containerSecurityContext.dropCapabilities does not drop ALL"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("(lint --strict makes this an error)"),
        "{stderr}"
    );
}

#[test]
fn send_as_outside_the_domain_warns() {
    let (code, stdout, stderr) = render(&[
        "--set-string",
        "mailboxes.sendAs[0].account=admin",
        "--set-string",
        "mailboxes.sendAs[0].address=ceo@other.example",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.is_empty());
    assert!(
        stderr.contains("admin may send as ceo@other.example, outside the tenant domain"),
        "{stderr}"
    );
}

#[test]
fn negative_limit_gives_one_error() {
    let (code, _, stderr) = render(&["--set-string", "stalwart.resources.limits.memory=-1Gi"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is negative"), "{stderr}");
    assert!(!stderr.contains("more than the limit"), "{stderr}");
}

#[test]
fn prune_without_tenants_is_usage_error() {
    let (code, stdout, stderr) = render(&["--prune"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("--prune needs --tenants-dir"), "{stderr}");
}

/// Certificate lifetimes cert-manager's webhook rejects.
const CERTIFICATE_TIMES: &[(&[&str], &str)] = &[
    (
        &["--set-string", "stalwart.tls.certificate.duration=1h"],
        "is 1h, not longer than renewBefore 360h",
    ),
    (
        &["--set-string", "stalwart.tls.certificate.renewBefore=3000h"],
        "is 3000h, not shorter than the certificate's duration 2160h",
    ),
    (
        &[
            "--set-string",
            "stalwart.tls.certificate.duration=59m",
            "--set-string",
            "stalwart.tls.certificate.renewBefore=30m",
        ],
        "`stalwart.tls.certificate.duration` is 59m, shorter than cert-manager's minimum of 1h",
    ),
    (
        &["--set-string", "stalwart.tls.certificate.renewBefore=299s"],
        "`stalwart.tls.certificate.renewBefore` is 299s, shorter than cert-manager's minimum of 5m",
    ),
];

/// Values the renderer once accepted but the setup or DNS Job rejected at
/// run time, and a realm URL that is not a realm.
const JOB_INPUTS: &[(&[&str], &str)] = &[
    (
        &[
            "--set-string",
            "mailboxes.groups[0].name=sales",
            "--set-string",
            "mailboxes.groups[0].email=sales+eu",
            "--set-string",
            "mailboxes.groups[0].members[0]=admin",
        ],
        "`mailboxes.groups[0].email` has `+` in its local part",
    ),
    (
        &[
            "--set-string",
            "dns.powerdns.apiURL=https://[fd00::1]:8081/api",
        ],
        "contains `[`, which the DNS publishing Job does not accept",
    ),
    (
        &[
            "--set-string",
            "dns.powerdns.apiURL=https://pdns.example/a%20b",
        ],
        "contains `%`, which the DNS publishing Job does not accept",
    ),
    (
        &[
            "--set-string",
            "mailboxes.groups[0].name=sales",
            "--set-string",
            "mailboxes.groups[0].email=sales",
            "--set",
            "mailboxes.groups[0].members=[admin, admin]",
        ],
        "`mailboxes.groups[0].members[1]` repeats the member \"admin\"",
    ),
    (
        &["--set-string", "domain.primary=omantel.omani.works"],
        "the tenant domain omantel.omani.works is the PowerDNS zone itself",
    ),
    (
        &["--set-string", "ingress.webmail.path=/a%2fb"],
        "contains `%2F`, an escaped `/`",
    ),
    (
        &["--set-string", "stalwart.tls.certificate.duration=2562048h"],
        "longer than the longest Go duration",
    ),
    (
        &["--set-string", "stalwart.tls.certificate.duration=-1h"],
        "is not a positive Go duration",
    ),
    (
        &["--set", "setupJob.activeDeadlineSeconds=60"],
        "`setupJob.activeDeadlineSeconds` is 60, so Kubernetes stops the setup Job before its wait of 600 seconds",
    ),
    (
        &["--set", "dns.powerdns.dkimWaitSeconds=3600"],
        "`dns.powerdns.dkimWaitSeconds` is 3600, not shorter than the Jobs' deadline of 1800 seconds",
    ),
    (
        &[
            "--set-string",
            "keycloak.realmURL=https://auth.acme.example/",
        ],
        "`keycloak.realmURL` does not end in /realms/<realm>",
    ),
];
