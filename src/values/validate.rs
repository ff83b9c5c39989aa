//! Checks on the shape of values that types alone cannot express: domains
//! are RFC 1123 names, URLs are https URLs, CIDRs, ports, quantities and
//! durations parse, and text that ends up in config.toml, YAML or a shell
//! environment cannot change the structure of the output.

use super::Loaded;
use super::model::{ExternalSecretValues, Rule, ScalarSetting, Setting, Values};
use super::node::{PathSegment, display_path};
use crate::diagnostic::Diagnostic;

/// Returns every shape problem of the loaded values.
#[must_use]
pub fn validate(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut check = Checker {
        loaded,
        problems: Vec::new(),
    };
    check.all(&loaded.values);
    check.problems
}

struct Checker<'a> {
    loaded: &'a Loaded,
    problems: Vec<Diagnostic>,
}

fn keys(dotted: &str) -> Vec<PathSegment> {
    super::node::path(dotted)
}

impl Checker<'_> {
    /// Returns whether a values file or flag set `path`, rather than the
    /// embedded defaults.
    fn set_by_user(&self, path: &[PathSegment]) -> bool {
        self.loaded
            .locate(path)
            .is_some_and(|location| location.source.name != super::DEFAULTS_SOURCE_NAME)
    }

    /// Returns whether an error about two clashing values belongs at
    /// `first`: the user set it and left `second` at its default.
    fn blame_first(&self, first: &[PathSegment], second: &[PathSegment]) -> bool {
        self.set_by_user(first) && !self.set_by_user(second)
    }

    fn fail(
        &mut self,
        path: &[PathSegment],
        message: impl std::fmt::Display,
        help: impl Into<String>,
    ) {
        let location = self.loaded.locate(path);
        self.problems.push(
            Diagnostic::error(format!("`{}` {message}", display_path(path)))
                .at(location)
                .help(help),
        );
    }

    fn all(&mut self, v: &Values) {
        if !v.domain.primary.is_empty() {
            self.domain_name(&keys("domain.primary"), &v.domain.primary);
            self.derived_names(v);
        }
        if !v.stalwart.hostname.is_empty() {
            self.domain_name(&keys("stalwart.hostname"), &v.stalwart.hostname);
        }
        if !v.ingress.webmail.host.is_empty() {
            self.domain_name(&keys("ingress.webmail.host"), &v.ingress.webmail.host);
        }
        if !v.keycloak.realm_url.is_empty() {
            self.realm_url(&v.keycloak.realm_url);
        }
        if !v.dns.powerdns.api_url.is_empty() {
            self.powerdns_url(&v.dns.powerdns.api_url);
        }
        if !v.dns.powerdns.zone.is_empty() {
            self.domain_name(&keys("dns.powerdns.zone"), &v.dns.powerdns.zone);
        }
        if !v.dns.dmarc.rua.is_empty() {
            self.email(&keys("dns.dmarc.rua"), &v.dns.dmarc.rua, false);
        }
        self.label_name(&keys("dns.dkim.selector"), &v.dns.dkim.selector);
        self.k8s_name_or_empty(&keys("nameOverride"), &v.name_override);
        self.k8s_name_or_empty(&keys("fullnameOverride"), &v.fullname_override);
        self.ports(v);
        self.quantities(v);
        self.durations(v);
        self.cidrs(v);
        self.gateway_namespaces(v);
        self.web_path(v);
        self.powerdns_server_id(v);
        self.secret_names(v);
        self.accounts(v);
        self.images(v);
        self.config_text(v);
        self.labels(v);
        self.positive_numbers(v);
        self.job_deadlines(v);
        self.settings(v);
    }

    /// Checks the names built from the domain: the mail and webmail hosts
    /// (`mail.<domain>` unless set) and the DKIM and DMARC record names. A
    /// valid domain near the 253-character limit makes them too long.
    fn derived_names(&mut self, v: &Values) {
        let domain = &v.domain.primary;
        if check_dns_name(domain).is_err() {
            return;
        }
        let mut prefixes = vec![
            format!("{}._domainkey.", v.dns.dkim.selector),
            "_dmarc.".to_owned(),
        ];
        if v.stalwart.hostname.is_empty() || v.ingress.webmail.host.is_empty() {
            prefixes.push("mail.".to_owned());
        }
        let Some(longest) = prefixes.iter().max_by_key(|prefix| prefix.len()) else {
            return;
        };
        let length = longest.len() + domain.len();
        if length > 253 {
            self.fail(
                &keys("domain.primary"),
                format!(
                    "is {} characters long, which makes the name `{longest}<domain>` {length} characters long, more than the 253 a DNS name may have",
                    domain.len(),
                ),
                format!(
                    "use a domain of at most {} characters with these settings",
                    253 - longest.len()
                ),
            );
        }
    }

    fn domain_name(&mut self, path: &[PathSegment], value: &str) {
        if let Err(reason) = check_dns_name(value) {
            self.fail(
                path,
                format!("is not a valid domain name ({reason}): {}", quoted(value)),
                "use a lowercase RFC 1123 name such as acme.example",
            );
        }
    }

    /// A DKIM selector: one or more DNS labels (RFC 6376 allows dots).
    fn label_name(&mut self, path: &[PathSegment], value: &str) {
        if value.is_empty() || value.len() > 253 || !value.split('.').all(is_dns_label) {
            self.fail(path, format!("is not a valid DKIM selector: {}", quoted(value)), "use DNS labels of lowercase letters, digits and hyphens, e.g. stalwart or mail.2026");
        }
    }

    /// Checks an https URL and returns whether it passed.
    fn https_url(&mut self, path: &[PathSegment], value: &str, example: &str) -> bool {
        let before = self.problems.len();
        match url::Url::parse(value) {
            Ok(parsed)
                if parsed.scheme() == "https"
                    && parsed.host_str().is_some_and(|h| !h.is_empty()) =>
            {
                let host = parsed.host_str().unwrap_or_default();
                let written_host = value
                    .strip_prefix("https://")
                    .is_some_and(|rest| !rest.starts_with('/'));
                let host_is_name = host.split('.').all(is_dns_label);
                let host_is_address =
                    matches!(parsed.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
                if !written_host || !(host_is_name || host_is_address) {
                    self.fail(
                        path,
                        format!("has no valid host name: {}", quoted(value)),
                        format!("write https://<host>/..., e.g. {example}"),
                    );
                } else if parsed.port() == Some(0) {
                    self.fail(
                        path,
                        "has port 0",
                        "leave the port out for 443, or give the port the server listens on",
                    );
                } else if !parsed.username().is_empty() || parsed.password().is_some() {
                    self.fail(
                        path,
                        "must not carry credentials",
                        "put secrets in Secrets, not in URLs",
                    );
                } else if parsed.query().is_some() || parsed.fragment().is_some() {
                    self.fail(
                        path,
                        "must not have a query or fragment",
                        format!("give the base URL only, e.g. {example}"),
                    );
                } else if value.chars().any(|c| {
                    c.is_whitespace() || matches!(c, '{' | '}' | '<' | '>' | '|' | '^' | '`')
                }) {
                    self.fail(
                        path,
                        "contains a space or a character that a URL may not contain unescaped",
                        "give the URL as the browser shows it, with spaces and braces percent-encoded",
                    );
                } else if has_unsafe_text(value) || value.contains("%{") {
                    self.fail(
                        path,
                        "contains a quote, backslash, control character or `%{`",
                        "give a plain https URL",
                    );
                }
            }
            Ok(_) => self.fail(
                path,
                format!("must be an https URL, found {}", quoted(value)),
                format!("e.g. {example}"),
            ),
            Err(error) => self.fail(
                path,
                format!("is not a valid URL ({error}): {}", quoted(value)),
                format!("e.g. {example}"),
            ),
        }
        self.problems.len() == before
    }

    /// Checks the realm URL: Keycloak serves a realm's OIDC endpoints under
    /// `.../realms/<realm>`, and config.toml appends their paths to it.
    fn realm_url(&mut self, value: &str) {
        const EXAMPLE: &str = "https://auth.acme.example/realms/sme";
        let path = keys("keycloak.realmURL");
        if !self.https_url(&path, value, EXAMPLE) {
            return;
        }
        let url_path = url::Url::parse(value)
            .map(|parsed| parsed.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let realm = url_path
            .rsplit_once("/realms/")
            .map(|(_, realm)| realm)
            .filter(|realm| !realm.is_empty() && !realm.contains('/'));
        if realm.is_none() {
            self.fail(
                &path,
                format!("does not end in /realms/<realm>: {}", quoted(value)),
                format!("give the URL of the realm itself, e.g. {EXAMPLE}"),
            );
        }
    }

    /// Checks the PowerDNS API URL against the characters the DNS Job's
    /// script takes (`validate_url` in dns-publish.sh stops on any other).
    fn powerdns_url(&mut self, value: &str) {
        const EXAMPLE: &str = "https://pdns.platform.example/api";
        let path = keys("dns.powerdns.apiURL");
        if !self.https_url(&path, value, EXAMPLE) {
            return;
        }
        if let Some(other) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-')))
        {
            self.fail(
                &path,
                format!("contains `{other}`, which the DNS publishing Job does not accept: {}", quoted(value)),
                "use a host name (not an IPv6 literal) and a path of letters, digits, `.`, `/`, `_` and `-`",
            );
        }
    }

    fn email(&mut self, path: &[PathSegment], value: &str, local_part_allowed: bool) {
        let valid = match value.split_once('@') {
            Some((local, domain)) => is_local_part(local) && check_dns_name(domain).is_ok(),
            None => local_part_allowed && is_local_part(value),
        };
        if !valid {
            let hint = if local_part_allowed {
                "write local@domain or a bare local part"
            } else {
                "write local@domain"
            };
            self.fail(
                path,
                format!("is not a valid e-mail address: {}", quoted(value)),
                format!("{hint}, using lowercase letters, digits, `.`, `_`, `+` and `-`"),
            );
        }
    }

    fn k8s_name_or_empty(&mut self, path: &[PathSegment], value: &str) {
        if !value.is_empty() && !is_dns_label(value) {
            self.fail(path, format!("is not a valid DNS-1123 label: {}", quoted(value)), "use at most 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit");
        }
    }

    fn k8s_name(&mut self, path: &[PathSegment], value: &str) {
        if !is_dns_subdomain(value) {
            self.fail(
                path,
                format!("is not a valid Kubernetes object name: {}", quoted(value)),
                "use lowercase letters, digits, `-` and `.`, at most 253 characters",
            );
        }
    }

    fn ports(&mut self, v: &Values) {
        let ports = [
            ("service.smtp.ports.smtp", v.service.smtp.ports.smtp),
            (
                "service.smtp.ports.submission",
                v.service.smtp.ports.submission,
            ),
            (
                "service.smtp.ports.submissions",
                v.service.smtp.ports.submissions,
            ),
            ("service.imap.ports.imap", v.service.imap.ports.imap),
            ("service.imap.ports.imaps", v.service.imap.ports.imaps),
            ("service.web.ports.http", v.service.web.ports.http),
        ];
        for (path, port) in ports {
            self.port(&keys(path), port);
        }
        // The SMTP Service exposes the first three ports and the IMAP
        // Service the next two. A Service rejects two ports with one number.
        for group in [&ports[..3], &ports[3..5]] {
            for (index, (path, port)) in group.iter().enumerate() {
                if let Some((first, _)) = group[..index].iter().find(|(_, other)| other == port) {
                    let (reported, other) = if self.blame_first(&keys(first), &keys(path)) {
                        (first, path)
                    } else {
                        (path, first)
                    };
                    self.fail(
                        &keys(reported),
                        format!("is {port}, the same port as `{other}`"),
                        "give each port of a Service its own number",
                    );
                }
            }
        }
        for (index, rule) in v.network_policy.egress.iter().enumerate() {
            let mut path = keys("networkPolicy.egress");
            path.push(PathSegment::Index(index));
            let mut port_path = path.clone();
            port_path.push(PathSegment::Key("port".to_owned()));
            self.port(&port_path, rule.port);
            let mut namespace_path = path;
            namespace_path.push(PathSegment::Key("namespace".to_owned()));
            if !is_dns_label(&rule.namespace) {
                self.fail(
                    &namespace_path,
                    format!("is not a valid namespace name: {}", quoted(&rule.namespace)),
                    "use the target namespace's name, e.g. nats",
                );
            }
        }
    }

    fn port(&mut self, path: &[PathSegment], port: i64) {
        if !(1..=65535).contains(&port) {
            self.fail(
                path,
                format!("is not a valid port: {port}"),
                "use a port from 1 to 65535",
            );
        }
    }

    fn quantities(&mut self, v: &Values) {
        let quantities = [
            (
                "stalwart.resources.requests.cpu",
                &v.stalwart.resources.requests.cpu,
            ),
            (
                "stalwart.resources.requests.memory",
                &v.stalwart.resources.requests.memory,
            ),
            (
                "stalwart.resources.limits.cpu",
                &v.stalwart.resources.limits.cpu,
            ),
            (
                "stalwart.resources.limits.memory",
                &v.stalwart.resources.limits.memory,
            ),
            (
                "setupJob.resources.requests.cpu",
                &v.setup_job.resources.requests.cpu,
            ),
            (
                "setupJob.resources.requests.memory",
                &v.setup_job.resources.requests.memory,
            ),
            (
                "setupJob.resources.limits.cpu",
                &v.setup_job.resources.limits.cpu,
            ),
            (
                "setupJob.resources.limits.memory",
                &v.setup_job.resources.limits.memory,
            ),
        ];
        for (path, value) in quantities {
            if value.is_empty() {
                continue;
            }
            match quantity_value(value) {
                None => self.fail(
                    &keys(path),
                    format!("is not a Kubernetes quantity: {}", quoted(value)),
                    "e.g. 100m, 1, 256Mi or 1Gi",
                ),
                Some(amount) if amount < 0.0 => self.fail(
                    &keys(path),
                    format!("is negative: {}", quoted(value)),
                    "requests and limits are zero or more, e.g. 100m or 256Mi",
                ),
                Some(_) => {}
            }
        }
        let spool = &v.persistence.spool.size;
        match quantity_value(spool) {
            None => self.fail(
                &keys("persistence.spool.size"),
                format!("is not a Kubernetes quantity: {}", quoted(spool)),
                "e.g. 20Gi",
            ),
            Some(size) if size <= 0.0 => self.fail(
                &keys("persistence.spool.size"),
                format!("must be more than zero, found {}", quoted(spool)),
                "e.g. 20Gi",
            ),
            Some(_) => {}
        }
        for prefix in ["stalwart.resources", "setupJob.resources"] {
            for resource in ["cpu", "memory"] {
                let request_path = format!("{prefix}.requests.{resource}");
                let limit_path = format!("{prefix}.limits.{resource}");
                let find = |path: &str| {
                    quantities
                        .iter()
                        .find(|(p, _)| *p == path)
                        .map(|(_, value)| value.as_str())
                        .unwrap_or_default()
                };
                let (request, limit) = (find(&request_path), find(&limit_path));
                if let (Some(requested), Some(limited)) =
                    (quantity_value(request), quantity_value(limit))
                    && requested > limited
                    // A negative value has its own error already.
                    && requested >= 0.0
                    && limited >= 0.0
                {
                    self.fail(
                        &keys(&request_path),
                        format!("is {request}, more than the limit {limit}"),
                        format!("Kubernetes rejects a request above its limit: lower the request or raise `{limit_path}`"),
                    );
                }
            }
        }
    }

    fn durations(&mut self, v: &Values) {
        // Go stores a duration in nanoseconds in an i64, so 2562047h47m16s
        // is the longest that cert-manager and External Secrets can read.
        const GO_MAX_SECONDS: f64 = 9_223_372_036.0;
        let durations = [
            (
                "stalwart.tls.certificate.duration",
                &v.stalwart.tls.certificate.duration,
            ),
            (
                "stalwart.tls.certificate.renewBefore",
                &v.stalwart.tls.certificate.renew_before,
            ),
            (
                "keycloak.oidcExternalSecret.refreshInterval",
                &v.keycloak.oidc_external_secret.refresh_interval,
            ),
            (
                "admin.externalSecret.refreshInterval",
                &v.admin.external_secret.refresh_interval,
            ),
        ];
        for (path, value) in durations {
            match duration_seconds(value) {
                None => self.fail(
                    &keys(path),
                    format!("is not a positive Go duration: {}", quoted(value)),
                    "e.g. 15s, 1h30m or 2160h, without a sign",
                ),
                Some(seconds) if seconds > GO_MAX_SECONDS => self.fail(
                    &keys(path),
                    format!("is {value}, longer than the longest Go duration (about 2562047h)"),
                    "give a realistic duration, e.g. 2160h",
                ),
                Some(_) => {}
            }
        }
        // Stalwart reads this one itself: one whole number above zero and
        // one unit, without Go's fractions and combined units.
        if !is_stalwart_duration(&v.keycloak.timeout) {
            self.fail(
                &keys("keycloak.timeout"),
                format!(
                    "is not a Stalwart duration above zero: {}",
                    quoted(&v.keycloak.timeout)
                ),
                "give a whole number above zero and one unit of ms, s, m, h or d, e.g. 15s",
            );
        }
        let certificate = &v.stalwart.tls.certificate;
        // cert-manager's webhook rejects a Certificate below these minimums
        // (MinimumCertificateDuration and MinimumRenewBefore in its API).
        for (path, value, minimum_seconds, minimum) in [
            (
                "stalwart.tls.certificate.duration",
                &certificate.duration,
                3600.0,
                "1h",
            ),
            (
                "stalwart.tls.certificate.renewBefore",
                &certificate.renew_before,
                300.0,
                "5m",
            ),
        ] {
            if duration_seconds(value).is_some_and(|seconds| seconds < minimum_seconds) {
                self.fail(
                    &keys(path),
                    format!("is {value}, shorter than cert-manager's minimum of {minimum}"),
                    format!("cert-manager rejects such a Certificate: give {minimum} or more"),
                );
            }
        }
        if let (Some(duration), Some(renew_before)) = (
            duration_seconds(&certificate.duration),
            duration_seconds(&certificate.renew_before),
        ) && renew_before >= duration
        {
            let help = "cert-manager rejects such a Certificate: make renewBefore shorter than duration, e.g. 360h for 2160h";
            let duration_path = keys("stalwart.tls.certificate.duration");
            let renew_path = keys("stalwart.tls.certificate.renewBefore");
            if self.blame_first(&duration_path, &renew_path) {
                self.fail(
                    &duration_path,
                    format!(
                        "is {}, not longer than renewBefore {}",
                        certificate.duration, certificate.renew_before
                    ),
                    help,
                );
            } else {
                self.fail(
                    &renew_path,
                    format!(
                        "is {}, not shorter than the certificate's duration {}",
                        certificate.renew_before, certificate.duration
                    ),
                    help,
                );
            }
        }
    }

    /// Rejects an empty namespace selector for the HTTP ingress rule, which
    /// would select every namespace.
    fn gateway_namespaces(&mut self, v: &Values) {
        if v.network_policy.enabled && v.network_policy.gateway_namespace_labels.is_empty() {
            self.fail(
                &keys("networkPolicy.gatewayNamespaceLabels"),
                "is empty, and an empty namespace selector lets pods in every namespace reach the HTTP port",
                "give the labels of the Gateway's or ingress controller's namespace, e.g. {kubernetes.io/metadata.name: gateway-system}",
            );
        }
    }

    fn cidrs(&mut self, v: &Values) {
        let lists = [
            (
                "networkPolicy.keycloakCIDRs",
                &v.network_policy.keycloak_cidrs,
                v.keycloak.enabled,
            ),
            (
                "dns.powerdns.apiCIDRs",
                &v.dns.powerdns.api_cidrs,
                v.dns.powerdns.enabled,
            ),
        ];
        for (path, list, used) in lists {
            // A NetworkPolicy rule with no destination allows every
            // destination, the opposite of what an empty list suggests.
            if used && v.network_policy.enabled && list.is_empty() {
                self.fail(
                    &keys(path),
                    "is empty, and a NetworkPolicy egress rule without networks allows every destination",
                    "list the networks, e.g. [10.20.0.0/16], or [0.0.0.0/0, \"::/0\"] to allow any address on purpose",
                );
            }
            for (index, cidr) in list.iter().enumerate() {
                if !is_cidr(cidr) {
                    let mut item = keys(path);
                    item.push(PathSegment::Index(index));
                    self.fail(
                        &item,
                        format!("is not a CIDR: {}", quoted(cidr)),
                        "e.g. 0.0.0.0/0 or 10.0.0.0/8",
                    );
                }
            }
        }
    }

    /// Checks the webmail path: an absolute URL path, as both an Ingress
    /// `Prefix` path and an `HTTPRoute` `PathPrefix` require.
    fn web_path(&mut self, v: &Values) {
        let path = &v.ingress.webmail.path;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=:@%".contains(c);
        let escapes_valid = path.split('%').skip(1).all(|after| {
            after.len() >= 2 && after.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit)
        });
        let problem = if !path.starts_with('/') {
            Some("does not start with `/`")
        } else if !path.chars().all(allowed) || !escapes_valid {
            Some(
                "contains a character that a URL path may not contain unescaped, or an invalid `%` escape",
            )
        } else if path.contains("//")
            || path.contains("/./")
            || path.contains("/../")
            || path.ends_with("/.")
            || path.ends_with("/..")
        {
            Some("contains an empty, `.` or `..` segment")
        } else if path.to_ascii_lowercase().contains("%2f") {
            // Gateway API's HTTPRoute rules reject an escaped `/` in a path.
            Some("contains `%2F`, an escaped `/`, which an HTTPRoute path may not hold")
        } else {
            None
        };
        if let Some(problem) = problem {
            self.fail(
                &keys("ingress.webmail.path"),
                format!("{problem}: {}", quoted(path)),
                "give an absolute path such as / or /webmail",
            );
        }
    }

    /// Checks the PowerDNS server id, which the DNS Job puts into API URLs
    /// and accepts only in this form.
    fn powerdns_server_id(&mut self, v: &Values) {
        let id = &v.dns.powerdns.server_id;
        let valid = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && id != "."
            && id != "..";
        if !valid {
            self.fail(
                &keys("dns.powerdns.serverID"),
                format!("is not a PowerDNS server id: {}", quoted(id)),
                "use letters, digits, `.`, `_` and `-`; PowerDNS names its server localhost",
            );
        }
    }

    fn secret_names(&mut self, v: &Values) {
        let names = [
            ("stalwart.tls.secretName", &v.stalwart.tls.secret_name),
            ("keycloak.clientSecretName", &v.keycloak.client_secret_name),
            ("admin.secretName", &v.admin.secret_name),
        ];
        for (path, value) in names {
            self.k8s_name(&keys(path), value);
        }
        for (path, value) in [
            ("serviceAccount.name", &v.service_account.name),
            (
                "ingress.webmail.tls.secretName",
                &v.ingress.webmail.tls.secret_name,
            ),
            (
                "dns.powerdns.apiKeySecretName",
                &v.dns.powerdns.api_key_secret_name,
            ),
            (
                "ingress.webmail.parentRef.name",
                &v.ingress.webmail.parent_ref.name,
            ),
            (
                "ingress.webmail.parentRef.namespace",
                &v.ingress.webmail.parent_ref.namespace,
            ),
            (
                "ingress.webmail.ingressClassName",
                &v.ingress.webmail.ingress_class_name,
            ),
            (
                "persistence.spool.storageClassName",
                &v.persistence.spool.storage_class_name,
            ),
            (
                "stalwart.tls.certificate.issuer",
                &v.stalwart.tls.certificate.issuer,
            ),
            ("ingress.webmail.tls.issuer", &v.ingress.webmail.tls.issuer),
        ] {
            if !value.is_empty() {
                self.k8s_name(&keys(path), value);
            }
        }
        if !v.ingress.webmail.parent_ref.section_name.is_empty()
            && !is_dns_subdomain(&v.ingress.webmail.parent_ref.section_name)
        {
            self.fail(
                &keys("ingress.webmail.parentRef.sectionName"),
                "is not a valid listener name",
                "use lowercase letters, digits and `-`, or leave it empty",
            );
        }
        for (index, secret) in v.stalwart.image.pull_secrets.iter().enumerate() {
            let mut path = keys("stalwart.image.pullSecrets");
            path.push(PathSegment::Index(index));
            self.k8s_name(&path, secret);
        }
        for (path, key) in [
            ("keycloak.clientSecretKey", &v.keycloak.client_secret_key),
            ("admin.secretKey", &v.admin.secret_key),
            (
                "dns.powerdns.apiKeySecretKey",
                &v.dns.powerdns.api_key_secret_key,
            ),
        ] {
            if !is_secret_key(key) {
                self.fail(
                    &keys(path),
                    format!("is not a valid Secret key: {}", quoted(key)),
                    "use letters, digits, `-`, `_` and `.`",
                );
            }
        }
        self.external_secret("admin.externalSecret", &v.admin.external_secret);
        self.external_secret(
            "keycloak.oidcExternalSecret",
            &v.keycloak.oidc_external_secret,
        );
    }

    fn external_secret(&mut self, prefix: &str, values: &ExternalSecretValues) {
        self.k8s_name(
            &keys(&format!("{prefix}.secretStoreRef.name")),
            &values.secret_store_ref.name,
        );
        for (field, text) in [
            ("remoteRef.key", &values.remote_ref.key),
            ("remoteRef.property", &values.remote_ref.property),
        ] {
            if has_unsafe_text(text) || text.chars().any(char::is_whitespace) {
                self.fail(
                    &keys(&format!("{prefix}.{field}")),
                    "contains whitespace, a quote, a backslash or a control character",
                    "use a store path such as sovereign/acme.example/stalwart/acme/admin",
                );
            }
        }
    }

    fn accounts(&mut self, v: &Values) {
        if !is_account(&v.admin.username) {
            self.fail(
                &keys("admin.username"),
                format!("is not a valid account name: {}", quoted(&v.admin.username)),
                "use lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit",
            );
        }
        for (index, group) in v.mailboxes.groups.iter().enumerate() {
            let mut base = keys("mailboxes.groups");
            base.push(PathSegment::Index(index));
            let field = |name: &str| {
                let mut path = base.clone();
                path.push(PathSegment::Key(name.to_owned()));
                path
            };
            if !is_account(&group.name) {
                self.fail(
                    &field("name"),
                    format!("is not a valid group name: {}", quoted(&group.name)),
                    "use lowercase letters, digits, `.`, `_` and `-`",
                );
            }
            self.email(&field("email"), &group.email, true);
            let local = group.email.split('@').next().unwrap_or_default();
            if local.contains('+') && is_local_part(local) {
                self.fail(
                    &field("email"),
                    format!("has `+` in its local part: {}", quoted(&group.email)),
                    "the setup Job creates group addresses and takes only lowercase letters, digits, `.`, `_` and `-` before the `@`",
                );
            }
            for (member_index, member) in group.members.iter().enumerate() {
                if !is_account(member) {
                    let mut path = field("members");
                    path.push(PathSegment::Index(member_index));
                    self.fail(
                        &path,
                        format!("is not a valid account name: {}", quoted(member)),
                        "use the member's account name, e.g. alice",
                    );
                } else if group.members[..member_index].contains(member) {
                    let mut path = field("members");
                    path.push(PathSegment::Index(member_index));
                    self.fail(
                        &path,
                        format!("repeats the member {}", quoted(member)),
                        "list each member once",
                    );
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, group) in v.mailboxes.groups.iter().enumerate() {
            if !seen.insert(&group.name) || group.name == v.admin.username {
                let mut path = keys("mailboxes.groups");
                path.extend([
                    PathSegment::Index(index),
                    PathSegment::Key("name".to_owned()),
                ]);
                self.fail(
                    &path,
                    format!("repeats the account name {}", quoted(&group.name)),
                    "give every group and the admin a distinct name",
                );
            }
        }
        // Each group address must differ from the others and from the admin's.
        let full = |address: &str| full_address(address, &v.domain.primary);
        let mut addresses = vec![(full(&v.admin.username), "admin.username".to_owned())];
        for (index, group) in v.mailboxes.groups.iter().enumerate() {
            let address = full(&group.email);
            let mut path = keys("mailboxes.groups");
            path.extend([
                PathSegment::Index(index),
                PathSegment::Key("email".to_owned()),
            ]);
            if let Some((_, owner)) = addresses.iter().find(|(taken, _)| *taken == address) {
                self.fail(
                    &path,
                    format!("repeats the address {} of `{owner}`", quoted(&address)),
                    "give every group its own address",
                );
            } else {
                addresses.push((address, display_path(&path)));
            }
        }
        for (index, pair) in v.mailboxes.send_as.iter().enumerate() {
            let mut base = keys("mailboxes.sendAs");
            base.push(PathSegment::Index(index));
            let mut account = base.clone();
            account.push(PathSegment::Key("account".to_owned()));
            if !is_account(&pair.account) {
                self.fail(
                    &account,
                    format!("is not a valid account name: {}", quoted(&pair.account)),
                    "use the account's login name, e.g. admin",
                );
            }
            let mut address = base;
            address.push(PathSegment::Key("address".to_owned()));
            self.email(&address, &pair.address, true);
        }
        // config.toml gets one key per pair, and a repeated key is an error there.
        for (index, pair) in v.mailboxes.send_as.iter().enumerate() {
            let repeated = v.mailboxes.send_as[..index].iter().position(|earlier| {
                earlier.account == pair.account && full(&earlier.address) == full(&pair.address)
            });
            if let Some(first) = repeated {
                let mut path = keys("mailboxes.sendAs");
                path.push(PathSegment::Index(index));
                self.fail(
                    &path,
                    format!(
                        "repeats entry {first}: {} may send as {}",
                        quoted(&pair.account),
                        quoted(&pair.address)
                    ),
                    "remove one of the two entries",
                );
            }
        }
    }

    fn images(&mut self, v: &Values) {
        let images = [
            (
                "stalwart.image",
                &v.stalwart.image.registry,
                &v.stalwart.image.repository,
                &v.stalwart.image.tag,
                &v.stalwart.image.digest,
            ),
            (
                "setupJob.image",
                &v.setup_job.image.registry,
                &v.setup_job.image.repository,
                &v.setup_job.image.tag,
                &v.setup_job.image.digest,
            ),
        ];
        for (prefix, registry, repository, tag, digest) in images {
            if !registry.is_empty() && !is_registry(registry) {
                self.fail(
                    &keys(&format!("{prefix}.registry")),
                    format!("is not a valid registry host: {}", quoted(registry)),
                    "e.g. docker.io or registry.example:5000",
                );
            }
            if !is_repository(repository) {
                self.fail(
                    &keys(&format!("{prefix}.repository")),
                    format!("is not a valid image repository: {}", quoted(repository)),
                    "e.g. stalwartlabs/stalwart",
                );
            }
            if tag.is_empty() && digest.is_empty() {
                self.fail(
                    &keys(&format!("{prefix}.tag")),
                    "is empty and no digest is set",
                    "pin the image with a tag, e.g. v0.15.5, and preferably a digest",
                );
            }
            if !tag.is_empty() && !is_tag(tag) {
                self.fail(
                    &keys(&format!("{prefix}.tag")),
                    format!("is not a valid image tag: {}", quoted(tag)),
                    "use letters, digits, `_`, `.` and `-`, at most 128 characters",
                );
            }
            if !digest.is_empty() && !is_digest(digest) {
                self.fail(
                    &keys(&format!("{prefix}.digest")),
                    format!("is not a valid digest: {}", quoted(digest)),
                    "write sha256: followed by 64 lowercase hex digits",
                );
            }
        }
        if !v.global.image_registry.is_empty() && !is_registry(&v.global.image_registry) {
            self.fail(
                &keys("global.imageRegistry"),
                format!(
                    "is not a valid registry host: {}",
                    quoted(&v.global.image_registry)
                ),
                "e.g. mirror.example:5000",
            );
        }
    }

    /// Text written into config.toml strings: Stalwart's parser cannot carry
    /// a backslash reliably, and control characters are never meant. These
    /// are one-line identifiers, so a line break is rejected too. A `%{`
    /// would start a Stalwart macro (`%{file:/path}%` reads a file into the
    /// value), and the dialect has no escape for it.
    fn config_text(&mut self, v: &Values) {
        for (path, text) in [
            ("keycloak.clientID", &v.keycloak.client_id),
            ("keycloak.claims.email", &v.keycloak.claims.email),
            ("keycloak.claims.username", &v.keycloak.claims.username),
            ("keycloak.claims.fullName", &v.keycloak.claims.full_name),
        ] {
            if text.is_empty() {
                self.fail(&keys(path), "is empty", "give a value");
            } else if text.chars().any(char::is_control) {
                self.fail(
                    &keys(path),
                    "contains a newline or another control character",
                    "a client ID or claim name is a single line of text",
                );
            } else if let Some(reason) = config_string_problem(text) {
                self.fail(
                    &keys(path),
                    reason,
                    "Stalwart's config.toml parser cannot carry it; choose another value",
                );
            }
        }
    }

    fn labels(&mut self, v: &Values) {
        // The API server rejects an object whose annotations total more than
        // 256 KiB (keys and values); commonAnnotations count on every object.
        const MAX_ANNOTATION_BYTES: usize = 256 * 1024;
        for (key, value) in &v.common_labels {
            let path = [
                PathSegment::Key("commonLabels".to_owned()),
                PathSegment::Key(key.clone()),
            ];
            if !is_qualified_name(key) {
                self.fail(&path, "is not a valid label key", "use [prefix/]name with letters, digits, `-`, `_` and `.`, the name at most 63 characters");
            }
            if !is_label_value(value) {
                self.fail(&path, format!("has an invalid label value: {}", quoted(value)), "use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit");
            }
        }
        for (key, value) in &v.network_policy.gateway_namespace_labels {
            let path = [
                PathSegment::Key("networkPolicy".to_owned()),
                PathSegment::Key("gatewayNamespaceLabels".to_owned()),
                PathSegment::Key(key.clone()),
            ];
            if !is_qualified_name(key) || !is_label_value(value) {
                self.fail(
                    &path,
                    "is not a valid label selector entry",
                    "e.g. kubernetes.io/metadata.name: gateway-system",
                );
            }
        }
        let annotation_maps = [
            ("commonAnnotations", &v.common_annotations),
            ("service.smtp.annotations", &v.service.smtp.annotations),
            ("service.imap.annotations", &v.service.imap.annotations),
            ("service.web.annotations", &v.service.web.annotations),
            (
                "ingress.webmail.annotations",
                &v.ingress.webmail.annotations,
            ),
            ("serviceAccount.annotations", &v.service_account.annotations),
        ];
        let size = |map: &std::collections::BTreeMap<String, String>| {
            map.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
        };
        let common = size(&v.common_annotations);
        for (prefix, map) in annotation_maps {
            let total = if prefix == "commonAnnotations" {
                common
            } else {
                common + size(map)
            };
            if total > MAX_ANNOTATION_BYTES {
                self.fail(&keys(prefix), format!("makes the annotations {total} bytes long, over the 262144 bytes (256 KiB) the API server accepts"), "keep annotations small; put large data in a ConfigMap");
            }
            for key in map.keys() {
                if !is_qualified_name(key) {
                    let mut path = keys(prefix);
                    path.push(PathSegment::Key(key.clone()));
                    self.fail(
                        &path,
                        "is not a valid annotation key",
                        "use [prefix/]name with letters, digits, `-`, `_` and `.`",
                    );
                }
            }
        }
    }

    /// Checks that each Job's deadline outlasts the wait its script makes:
    /// Kubernetes stops a Job at the deadline, before the script can report
    /// its own timeout, and does not retry it after that.
    fn job_deadlines(&mut self, v: &Values) {
        let deadline = v.setup_job.active_deadline_seconds;
        let waits = [
            (
                v.setup_job.enabled,
                "setupJob.readyTimeoutSeconds",
                v.setup_job.ready_timeout_seconds,
                "the setup Job",
            ),
            (
                v.dns.powerdns.enabled,
                "dns.powerdns.dkimWaitSeconds",
                v.dns.powerdns.dkim_wait_seconds,
                "the DNS publishing Job",
            ),
        ];
        let deadline_path = keys("setupJob.activeDeadlineSeconds");
        for (enabled, wait_path, wait, job) in waits {
            if !enabled || wait < deadline {
                continue;
            }
            let wait_path = keys(wait_path);
            let help = format!(
                "the Job must run longer than its script waits, so that the script can report the timeout; make {} more than {}",
                display_path(&deadline_path),
                display_path(&wait_path)
            );
            if self.blame_first(&deadline_path, &wait_path) {
                self.fail(
                    &deadline_path,
                    format!(
                        "is {deadline}, so Kubernetes stops {job} before its wait of {wait} seconds (`{}`) runs out",
                        display_path(&wait_path)
                    ),
                    help,
                );
            } else {
                self.fail(
                    &wait_path,
                    format!(
                        "is {wait}, not shorter than the Jobs' deadline of {deadline} seconds (`{}`)",
                        display_path(&deadline_path)
                    ),
                    help,
                );
            }
        }
    }

    fn positive_numbers(&mut self, v: &Values) {
        let numbers = [
            ("dns.ttl", v.dns.ttl, 60, 604_800),
            (
                "setupJob.activeDeadlineSeconds",
                v.setup_job.active_deadline_seconds,
                60,
                86_400,
            ),
            ("setupJob.backoffLimit", v.setup_job.backoff_limit, 0, 100),
            (
                "setupJob.ttlSecondsAfterFinished",
                v.setup_job.ttl_seconds_after_finished,
                0,
                31_536_000,
            ),
            (
                "setupJob.readyTimeoutSeconds",
                v.setup_job.ready_timeout_seconds,
                10,
                86_400,
            ),
            (
                "dns.powerdns.dkimWaitSeconds",
                v.dns.powerdns.dkim_wait_seconds,
                0,
                86_400,
            ),
            (
                "stalwart.podSecurityContext.runAsUser",
                v.stalwart.pod_security_context.run_as_user,
                0,
                2_147_483_647,
            ),
            (
                "stalwart.podSecurityContext.runAsGroup",
                v.stalwart.pod_security_context.run_as_group,
                0,
                2_147_483_647,
            ),
            (
                "stalwart.podSecurityContext.fsGroup",
                v.stalwart.pod_security_context.fs_group,
                0,
                2_147_483_647,
            ),
        ];
        for (path, value, min, max) in numbers {
            if !(min..=max).contains(&value) {
                self.fail(
                    &keys(path),
                    format!("is out of range: {value}"),
                    format!("use a value from {min} to {max}"),
                );
            }
        }
        for (name, probe) in [
            ("startup", &v.stalwart.probes.startup),
            ("liveness", &v.stalwart.probes.liveness),
            ("readiness", &v.stalwart.probes.readiness),
        ] {
            for (field, value, min) in [
                ("initialDelaySeconds", probe.initial_delay_seconds, 0),
                ("periodSeconds", probe.period_seconds, 1),
                ("timeoutSeconds", probe.timeout_seconds, 1),
                ("failureThreshold", probe.failure_threshold, 1),
            ] {
                if !(min..=3600).contains(&value) {
                    self.fail(
                        &keys(&format!("stalwart.probes.{name}.{field}")),
                        format!("is out of range: {value}"),
                        format!("use a value from {min} to 3600"),
                    );
                }
            }
        }
        if v.persistence.spool.access_modes.is_empty() {
            self.fail(
                &keys("persistence.spool.accessModes"),
                "is empty",
                "e.g. [ReadWriteOnce]",
            );
        }
        for (index, sysctl) in v.stalwart.pod_security_context.sysctls.iter().enumerate() {
            let mut path = keys("stalwart.podSecurityContext.sysctls");
            path.push(PathSegment::Index(index));
            let valid_name = !sysctl.name.is_empty()
                && sysctl
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
            if !valid_name || has_unsafe_text(&sysctl.value) {
                self.fail(
                    &path,
                    "is not a valid sysctl",
                    "e.g. {name: net.ipv4.tcp_keepalive_time, value: \"300\"}",
                );
            }
        }
        for (index, capability) in v
            .stalwart
            .container_security_context
            .drop_capabilities
            .iter()
            .enumerate()
        {
            if capability.is_empty()
                || !capability
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_')
            {
                let mut path = keys("stalwart.containerSecurityContext.dropCapabilities");
                path.push(PathSegment::Index(index));
                self.fail(
                    &path,
                    format!("is not a capability name: {}", quoted(capability)),
                    "e.g. ALL or NET_RAW",
                );
            }
        }
    }

    fn settings(&mut self, v: &Values) {
        for (key, setting) in &v.stalwart.settings {
            let path = [
                PathSegment::Key("stalwart".to_owned()),
                PathSegment::Key("settings".to_owned()),
                PathSegment::Key(key.clone()),
            ];
            if !is_setting_key(key) {
                self.fail(&path, "is not a valid Stalwart key", "write dotted lowercase segments of letters, digits, `-` and `_`, e.g. queue.strategy.tls");
            }
            if is_secret_setting(key) && has_text(setting) {
                let location = self.loaded.locate(&path);
                self.problems.push(
                    Diagnostic::warning(format!(
                        "`{}` writes a secret into the config.toml ConfigMap in plain text",
                        display_path(&path)
                    ))
                    .at(location)
                    .help("anyone who can read ConfigMaps in the namespace can read it; the administrator and OIDC secrets come from Secrets through admin.secretName and keycloak.clientSecretName"),
                );
            }
            self.setting_value(&path, setting);
        }
    }

    fn setting_value(&mut self, path: &[PathSegment], setting: &Setting) {
        let mut strings: Vec<&str> = Vec::new();
        match setting {
            Setting::String(text) => strings.push(text),
            Setting::List(items) => strings.extend(items.iter().filter_map(scalar_text)),
            Setting::Rules(rules) => {
                let else_count = rules.iter().filter(|r| matches!(r, Rule::Else(_))).count();
                let else_last = matches!(rules.last(), Some(Rule::Else(_)));
                if else_count != 1 || !else_last {
                    self.fail(
                        path,
                        "is an expression block without exactly one closing `else`",
                        "write {if: ..., then: ...} entries and end with one {else: ...}",
                    );
                }
                for rule in rules {
                    match rule {
                        Rule::Condition(condition) => {
                            strings.push(&condition.condition);
                            strings.extend(scalar_text(&condition.then));
                        }
                        Rule::Else(otherwise) => strings.extend(scalar_text(&otherwise.otherwise)),
                    }
                }
            }
            Setting::Override(inner) => {
                if !inner.intended {
                    self.fail(path, "has `override: false`", "set override: true to replace a setting the product manages, or remove the marker");
                }
                if matches!(*inner.value, Setting::Override(_)) {
                    self.fail(
                        path,
                        "nests one override in another",
                        "write {override: true, value: ...} once",
                    );
                }
                self.setting_value(path, &inner.value);
            }
            Setting::Bool(_) | Setting::Integer(_) => {}
        }
        for text in strings {
            if let Some(reason) = config_string_problem(text) {
                self.fail(
                    path,
                    reason,
                    "Stalwart's config.toml parser cannot carry it; rewrite the value",
                );
            }
        }
    }
}

/// Returns whether a Stalwart key names a secret: a segment such as
/// `secret`, `password` or `bind-secret`.
fn is_secret_setting(key: &str) -> bool {
    key.split('.')
        .any(|segment| segment.contains("secret") || segment.contains("password"))
}

/// Returns whether a setting, or the value of its override, has a value
/// other than an empty string or an empty list.
fn has_text(setting: &Setting) -> bool {
    match setting {
        Setting::String(text) => !text.is_empty(),
        Setting::List(items) => !items.is_empty(),
        Setting::Override(inner) => has_text(&inner.value),
        Setting::Rules(_) | Setting::Bool(_) | Setting::Integer(_) => true,
    }
}

fn scalar_text(value: &ScalarSetting) -> Option<&str> {
    match value {
        ScalarSetting::String(text) => Some(text),
        _ => None,
    }
}

fn quoted(text: &str) -> String {
    let shown: String = text.chars().take(80).collect();
    serde_json::Value::String(shown).to_string()
}

/// Returns why `text` cannot be written into a config.toml string, if it cannot.
#[must_use]
pub fn config_string_problem(text: &str) -> Option<&'static str> {
    if text.contains("%{") {
        Some(
            "contains `%{`, which starts a Stalwart macro (`%{env:…}%`, `%{file:…}%`, `%{cfg:…}%`) that Stalwart would expand when it reads config.toml",
        )
    } else if text.contains('\\') {
        Some("contains a backslash")
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        Some("contains a control character")
    } else {
        None
    }
}

fn has_unsafe_text(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\\' | '\''))
}

/// Checks an RFC 1123 host name: dot-separated labels of at most 63
/// lowercase letters, digits and hyphens, at most 253 characters, and at
/// least two labels.
pub fn check_dns_name(name: &str) -> Result<(), &'static str> {
    if name.len() > 253 {
        return Err("longer than 253 characters");
    }
    if name.ends_with('.') {
        return Err("ends with a dot");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|l| !is_dns_label(l)) {
        return Err(
            "each label must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
        );
    }
    if labels.len() < 2 {
        return Err("a single label, not a domain");
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("an IP address or an all-numeric top-level domain, not a host name");
    }
    Ok(())
}

/// Checks a DNS-1123 label: at most 63 lowercase letters, digits and
/// hyphens, starting and ending with a letter or digit.
#[must_use]
pub fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Checks a DNS-1123 subdomain (most Kubernetes object names).
#[must_use]
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

fn is_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'+' | b'-')
        })
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn is_account(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

fn is_secret_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn is_setting_key(key: &str) -> bool {
    !key.is_empty()
        && key.split('.').all(|segment| {
            !segment.is_empty()
                && segment.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')
                })
        })
}

/// Checks a Kubernetes quantity such as `100m`, `1.5`, `256Mi` or `1e3`.
#[must_use]
pub fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let valid_number = !number.is_empty() && number != "." && number.matches('.').count() <= 1;
    let valid_suffix = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix.strip_prefix(['e', 'E']).is_some_and(|exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    valid_number && valid_suffix
}

/// Returns the value of a Kubernetes quantity (`256Mi` is 268435456,
/// `100m` is 0.1), or `None` when it is not one.
#[must_use]
pub fn quantity_value(text: &str) -> Option<f64> {
    if !is_quantity(text) {
        return None;
    }
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let number: f64 = number.parse().ok()?;
    let binary = |power: i32| 1024_f64.powi(power);
    let multiplier = match suffix {
        "" => 1.0,
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exponent => 10_f64.powi(exponent[1..].parse().ok()?),
    };
    let value = sign * number * multiplier;
    // An exponent too large for f64 gives infinity, and 0e400 gives NaN.
    value.is_finite().then_some(value)
}

/// Returns the length of a Go duration such as `15s`, `1h30m` or `2160h` in
/// seconds, or `None` when the text is not one. A sign is not accepted.
#[must_use]
pub fn duration_seconds(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    if text == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        // Rejects an empty number, a lone `.` and a second `.`, as Go does.
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let (unit, seconds) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .filter(|(unit, _)| rest.starts_with(unit))
        .max_by_key(|(unit, _)| unit.len())?;
        total += number * seconds;
        rest = &rest[unit.len()..];
    }
    Some(total)
}

/// Checks a duration as Stalwart's config parser reads it: a whole number
/// above zero followed by one of `ms`, `s`, `m`, `h` or `d`, such as `15s`.
#[must_use]
pub fn is_stalwart_duration(text: &str) -> bool {
    let number_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(number_end);
    number.parse::<u64>().is_ok_and(|n| n > 0) && matches!(unit, "ms" | "s" | "m" | "h" | "d")
}

/// Completes a bare local part with the tenant's domain.
#[must_use]
pub fn full_address(address: &str, domain: &str) -> String {
    if address.contains('@') {
        address.to_owned()
    } else {
        format!("{address}@{domain}")
    }
}

/// Checks a Go duration such as `15s`, `1h30m` or `2160h`.
#[must_use]
pub fn is_go_duration(text: &str) -> bool {
    duration_seconds(text).is_some()
}

/// Checks an IPv4 or IPv6 CIDR such as `10.0.0.0/8`.
#[must_use]
pub fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix <= 32,
        Ok(std::net::IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}

fn is_registry(text: &str) -> bool {
    let (host, port) = text
        .split_once(':')
        .map_or((text, None), |(h, p)| (h, Some(p)));
    port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0))
        && !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_repository(text: &str) -> bool {
    !text.is_empty()
        && text.split('/').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

fn is_tag(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !text.starts_with(['.', '-'])
}

fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Checks a label or annotation key: `[prefix/]name`.
#[must_use]
pub fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = key
        .rsplit_once('/')
        .map_or((None, key), |(p, n)| (Some(p), n));
    prefix.is_none_or(is_dns_subdomain)
        && !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// Checks a label value: empty, or at most 63 letters, digits, `-`, `_`
/// and `.`, starting and ending with a letter or digit.
#[must_use]
pub fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && value.as_bytes()[0].is_ascii_alphanumeric()
            && value.as_bytes()[value.len() - 1].is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_values() {
        assert_eq!(quantity_value("256Mi"), Some(268_435_456.0));
        assert_eq!(quantity_value("100m"), Some(0.1));
        assert_eq!(quantity_value("1e3"), Some(1000.0));
        assert_eq!(quantity_value("-1Gi"), Some(-1_073_741_824.0));
        assert_eq!(quantity_value("0"), Some(0.0));
        assert_eq!(quantity_value("1Gb"), None);
    }

    #[test]
    fn stalwart_durations() {
        for good in ["15s", "500ms", "2m", "1h", "7d"] {
            assert!(is_stalwart_duration(good), "{good}");
        }
        for bad in ["0s", "1h30m", "1.5s", "100us", "15", "s", "", "-1s"] {
            assert!(!is_stalwart_duration(bad), "{bad}");
        }
    }

    #[test]
    fn duration_values() {
        assert_eq!(duration_seconds("2160h"), Some(7_776_000.0));
        assert_eq!(duration_seconds("1h30m"), Some(5400.0));
        assert_eq!(duration_seconds("1.5s"), Some(1.5));
        assert_eq!(duration_seconds("0"), Some(0.0));
        assert_eq!(duration_seconds("1d"), None);
    }

    #[test]
    fn quantities() {
        for good in ["100m", "1", "256Mi", "1Gi", "1.5", "1e3", "0.5Gi", "+1"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "10Gb", "abc", "1..5", ".", "Gi", "1 Gi"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn durations() {
        for good in ["15s", "1h", "2160h", "1h30m", "1.5h", "0", "100ms"] {
            assert!(is_go_duration(good), "{good}");
        }
        for bad in ["", "15", "1d", "h", "1h 30m", "-1h", ".h", "1..5h"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }

    #[test]
    fn dns_names() {
        assert!(check_dns_name("acme.omantel.omani.works").is_ok());
        for bad in [
            "localhost",
            "Acme.example",
            "-a.example",
            "a..example",
            "a.example.",
            "a_b.example",
        ] {
            assert!(check_dns_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_name_reasons() {
        assert_eq!(check_dns_name("acme"), Err("a single label, not a domain"));
        let characters = check_dns_name("a: b").unwrap_err();
        assert!(characters.starts_with("each label"), "{characters}");
        let space = check_dns_name(" a ").unwrap_err();
        assert!(space.starts_with("each label"), "{space}");
    }

    #[test]
    fn cidrs() {
        assert!(is_cidr("0.0.0.0/0"));
        assert!(is_cidr("fd00::/8"));
        assert!(!is_cidr("10.0.0.0/33"));
        assert!(!is_cidr("10.0.0.0"));
    }

    #[test]
    fn config_strings() {
        assert!(config_string_problem("plain text with \"quotes\" and [brackets]").is_none());
        assert!(config_string_problem("back\\slash").is_some());
        assert!(config_string_problem("bell\u{7}").is_some());
    }
}
