//! Library-level tests of the output checks: rendered YAML documents in,
//! checked objects or errors out.

use stalwart_tenant::check::{
    CLIENT_SIDE_APPLY_MAX_BYTES, CheckError, OBJECT_MAX_BYTES, RenderedDocument, check_documents,
};

const SERVICE_ACCOUNT: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: stalwart
  namespace: mail
  labels:
    app.kubernetes.io/name: stalwart
    app.kubernetes.io/instance: stalwart
automountServiceAccountToken: false
";

const CONFIG_MAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: stalwart-config
  namespace: mail
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  config.toml: |
    [server]
    hostname = \"mail.example.org\"
";

const SECRET: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: stalwart-powerdns
  namespace: mail
type: Opaque
data:
  api-key: c2VjcmV0
stringData:
  server: localhost
";

const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: stalwart-smtp
  namespace: mail
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector:
    app.kubernetes.io/name: stalwart
    app.kubernetes.io/instance: stalwart
  ports:
  - name: smtp
    port: 25
    targetPort: 25
    protocol: TCP
  - name: submission
    port: 587
    targetPort: submission
";

const STATEFUL_SET: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: stalwart
  namespace: mail
spec:
  replicas: 1
  serviceName: stalwart-headless
  selector:
    matchLabels:
      app.kubernetes.io/name: stalwart
  template:
    metadata:
      labels:
        app.kubernetes.io/name: stalwart
      annotations:
        checksum/config: 0123abcd
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsUser: 2000
        runAsNonRoot: true
        sysctls:
        - name: net.ipv4.ip_unprivileged_port_start
          value: \"0\"
      containers:
      - name: stalwart
        image: stalwartlabs/stalwart:v0.15.5
        imagePullPolicy: IfNotPresent
        ports:
        - name: smtp
          containerPort: 25
        - name: http
          containerPort: 8080
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities:
            drop: [ALL]
        readinessProbe:
          httpGet:
            path: /healthz/ready
            port: http
        volumeMounts:
        - name: config
          mountPath: /opt/stalwart/etc/config.toml
          subPath: config.toml
          readOnly: true
        - name: data
          mountPath: /opt/stalwart
      volumes:
      - name: config
        configMap:
          name: stalwart-config
          defaultMode: 0444
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 10Gi
";

const JOB: &str = "\
apiVersion: batch/v1
kind: Job
metadata:
  name: stalwart-setup-1a2b3c4d
  namespace: mail
spec:
  ttlSecondsAfterFinished: 3600
  backoffLimit: 6
  template:
    spec:
      restartPolicy: OnFailure
      automountServiceAccountToken: false
      containers:
      - name: setup
        image: curlimages/curl:8.11.1
        command: [sh, -c, 'curl -fsS http://stalwart-web:8080/healthz/ready']
        env:
        - name: ADMIN_PASSWORD_FILE
          value: /run/secrets/admin/password
";

const NETWORK_POLICY: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: stalwart
  namespace: mail
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: stalwart
  policyTypes: [Ingress, Egress]
  ingress:
  - ports:
    - port: 25
      protocol: TCP
    - port: submission
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: gateway
    ports:
    - port: 8080
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [10.0.0.0/8]
    ports:
    - port: 53
      protocol: UDP
";

const INGRESS: &str = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: stalwart-webmail
  namespace: mail
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  ingressClassName: nginx
  tls:
  - hosts: [mail.example.org]
    secretName: stalwart-webmail-tls
  rules:
  - host: mail.example.org
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: stalwart-web
            port:
              number: 8080
";

const HTTP_ROUTE: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: stalwart-webmail
  namespace: mail
spec:
  parentRefs:
  - name: public
    namespace: gateway
    sectionName: https
  hostnames: [mail.example.org]
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /
    filters:
    - type: ResponseHeaderModifier
      responseHeaderModifier:
        set:
        - name: Strict-Transport-Security
          value: max-age=31536000
    backendRefs:
    - name: stalwart-web
      port: 8080
      weight: 1
    timeouts:
      request: 60s
";

const EXTERNAL_SECRET: &str = "\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: stalwart-admin
  namespace: mail
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: openbao
  target:
    name: stalwart-admin
    creationPolicy: Owner
    template:
      type: Opaque
      engineVersion: v2
      data:
        password: '{{ .password }}'
  data:
  - secretKey: password
    remoteRef:
      key: sovereign/example.org/stalwart/acme/admin
      property: password
";

const CERTIFICATE: &str = "\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: stalwart-tls
  namespace: mail
spec:
  secretName: stalwart-tls
  dnsNames: [mail.example.org]
  duration: 2160h
  renewBefore: 360h
  issuerRef:
    kind: ClusterIssuer
    name: letsencrypt
    group: cert-manager.io
  privateKey:
    algorithm: ECDSA
    size: 256
    rotationPolicy: Always
  usages: [digital signature, key encipherment, server auth]
";

/// Every kind the product emits, with the template that renders it.
const GOOD_DOCUMENTS: &[(&str, &str, &str)] = &[
    (
        "templates/serviceaccount.yaml",
        "ServiceAccount",
        SERVICE_ACCOUNT,
    ),
    ("templates/configmap.yaml", "ConfigMap", CONFIG_MAP),
    ("templates/secret.yaml", "Secret", SECRET),
    ("templates/service.yaml", "Service", SERVICE),
    ("templates/statefulset.yaml", "StatefulSet", STATEFUL_SET),
    ("templates/job-setup.yaml", "Job", JOB),
    (
        "templates/networkpolicy.yaml",
        "NetworkPolicy",
        NETWORK_POLICY,
    ),
    ("templates/ingress.yaml", "Ingress", INGRESS),
    ("templates/httproute.yaml", "HTTPRoute", HTTP_ROUTE),
    (
        "templates/externalsecret.yaml",
        "ExternalSecret",
        EXTERNAL_SECRET,
    ),
    ("templates/certificate.yaml", "Certificate", CERTIFICATE),
];

fn document(template: &str, line: usize, text: &str) -> RenderedDocument {
    RenderedDocument {
        template: template.to_owned(),
        line,
        text: text.to_owned(),
    }
}

/// Checks one document that must fail and returns its only error.
fn single_error(template: &str, line: usize, text: &str) -> CheckError {
    let errors = check_documents(&[document(template, line, text)])
        .expect_err("the document must fail the checks");
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap()
}

/// Returns 1-based line of the first line of `text` that contains `needle`.
fn line_containing(text: &str, needle: &str) -> usize {
    text.lines().position(|line| line.contains(needle)).unwrap() + 1
}

fn config_map_with_data_size(bytes: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stalwart-big\ndata:\n  blob: {}\n",
        "x".repeat(bytes)
    )
}

#[test]
fn good_document_of_each_kind_passes() {
    for (template, kind, text) in GOOD_DOCUMENTS {
        let result = check_documents(&[document(template, 1, text)]);

        let objects = result.unwrap_or_else(|errors| panic!("{kind} failed: {errors:#?}"));
        assert_eq!(objects.len(), 1, "{kind}");
        assert_eq!(objects[0].kind, *kind);
        assert_eq!(objects[0].template, *template);
        assert_eq!(objects[0].namespace.as_deref(), Some("mail"), "{kind}");
    }
}

#[test]
fn all_good_documents_together_pass() {
    let docs: Vec<RenderedDocument> = GOOD_DOCUMENTS
        .iter()
        .map(|(template, _, text)| document(template, 2, text))
        .collect();

    let objects = check_documents(&docs).unwrap();

    let names: Vec<String> = objects
        .iter()
        .map(|object| format!("{}/{}", object.kind, object.name))
        .collect();
    assert_eq!(names.len(), GOOD_DOCUMENTS.len());
    assert!(names.contains(&"StatefulSet/stalwart".to_owned()));
    assert_eq!(objects[4].api_version, "apps/v1");
    assert_eq!(objects[4].value["spec"]["replicas"], 1);
}

#[test]
fn checked_value_reads_octal_mode() {
    let objects =
        check_documents(&[document("templates/statefulset.yaml", 1, STATEFUL_SET)]).unwrap();

    let volume = &objects[0].value["spec"]["template"]["spec"]["volumes"][0];
    assert_eq!(volume["configMap"]["defaultMode"], 0o444);
}

#[test]
fn comment_only_document_skipped() {
    let docs = [
        document(
            "templates/ingress.yaml",
            1,
            "# Source: templates/ingress.yaml\n# mode none\n",
        ),
        document("templates/serviceaccount.yaml", 1, SERVICE_ACCOUNT),
    ];

    let objects = check_documents(&docs).unwrap();

    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].kind, "ServiceAccount");
}

#[test]
fn misspelled_container_port_fails() {
    let text = STATEFUL_SET.replace("containerPort: 8080", "containerport: 8080");

    let error = single_error("templates/statefulset.yaml", 5, &text);

    assert_eq!(error.template, "templates/statefulset.yaml");
    assert_eq!(error.object.as_deref(), Some("StatefulSet/stalwart"));
    assert_eq!(
        error.path.as_deref(),
        Some("spec.template.spec.containers[0].ports[1].containerport")
    );
    assert_eq!(
        error.line,
        Some(5 + line_containing(&text, "containerport") - 1)
    );
    assert!(
        error.message.contains("unknown field `containerport`"),
        "{}",
        error.message
    );
}

#[test]
fn misspelled_pull_policy_fails() {
    let text = STATEFUL_SET.replace("imagePullPolicy:", "imagePullPolicyy:");

    let error = single_error("templates/statefulset.yaml", 1, &text);
    let shown = error.to_string();

    assert_eq!(
        error.path.as_deref(),
        Some("spec.template.spec.containers[0].imagePullPolicyy")
    );
    assert!(shown.starts_with("templates/statefulset.yaml:"), "{shown}");
    assert!(shown.contains("StatefulSet/stalwart"), "{shown}");
    assert!(
        shown.contains("spec.template.spec.containers[0].imagePullPolicyy"),
        "{shown}"
    );
    assert!(shown.contains("internal error"), "{shown}");
    assert_eq!(shown.lines().count(), 1, "{shown}");
}

#[test]
fn misindented_block_fails() {
    // volumeMounts dedented from the container to the pod spec.
    let text = STATEFUL_SET.replace("        volumeMounts:", "      volumeMounts:");

    let errors = check_documents(&[document("templates/statefulset.yaml", 1, &text)]).unwrap_err();
    let paths: Vec<Option<&str>> = errors.iter().map(|error| error.path.as_deref()).collect();

    assert!(
        paths.contains(&Some("spec.template.spec.volumeMounts")),
        "{errors:#?}"
    );
}

#[test]
fn unknown_field_in_each_crd_fails() {
    let cases = [
        (
            HTTP_ROUTE,
            "sectionName:",
            "sectionNmae:",
            "spec.parentRefs[0].sectionNmae",
        ),
        (
            EXTERNAL_SECRET,
            "secretKey:",
            "secretkey:",
            "spec.data[0].secretkey",
        ),
        (CERTIFICATE, "dnsNames:", "dnsNamez:", "spec.dnsNamez"),
    ];

    for (good, field, misspelled, path) in cases {
        let text = good.replace(field, misspelled);

        let errors = check_documents(&[document("templates/crd.yaml", 1, &text)]).unwrap_err();

        let paths: Vec<Option<&str>> = errors.iter().map(|error| error.path.as_deref()).collect();
        assert!(paths.contains(&Some(path)), "{path}: {errors:#?}");
    }
}

#[test]
fn duplicate_key_fails() {
    let text = SERVICE.replace(
        "  type: LoadBalancer\n",
        "  type: LoadBalancer\n  type: ClusterIP\n",
    );

    let error = single_error("templates/service.yaml", 20, &text);

    assert_eq!(error.template, "templates/service.yaml");
    assert_eq!(
        error.line,
        Some(20 + line_containing(&text, "ClusterIP") - 1)
    );
    assert!(error.message.contains("duplicate"), "{}", error.message);
    assert!(error.message.contains("type"), "{}", error.message);
}

#[test]
fn invalid_yaml_fails() {
    let text = CONFIG_MAP.replace(
        "  name: stalwart-config\n",
        "  name: stalwart-config\n   broken: [\n",
    );

    let error = single_error("templates/configmap.yaml", 3, &text);

    assert_eq!(error.template, "templates/configmap.yaml");
    assert!(error.line.is_some());
    assert!(
        error.message.starts_with("invalid YAML"),
        "{}",
        error.message
    );
    assert!(error.to_string().starts_with("templates/configmap.yaml:"));
}

#[test]
fn string_for_int_fails() {
    let text = STATEFUL_SET.replace("containerPort: 25", "containerPort: \"25\"");

    let error = single_error("templates/statefulset.yaml", 1, &text);

    assert_eq!(error.object.as_deref(), Some("StatefulSet/stalwart"));
    assert_eq!(
        error.path.as_deref(),
        Some("spec.template.spec.containers[0].ports[0].containerPort")
    );
    assert!(error.message.contains("expected i32"), "{}", error.message);
    assert_eq!(
        error.line,
        Some(line_containing(&text, "containerPort: \"25\""))
    );
}

#[test]
fn string_for_int_in_crd_fails() {
    let text = HTTP_ROUTE.replace("port: 8080", "port: \"8080\"");

    let error = single_error("templates/httproute.yaml", 1, &text);

    assert_eq!(error.object.as_deref(), Some("HTTPRoute/stalwart-webmail"));
    assert_eq!(
        error.path.as_deref(),
        Some("spec.rules[0].backendRefs[0].port")
    );
}

#[test]
fn invalid_base64_in_secret_fails() {
    let text = SECRET.replace("c2VjcmV0", "not base64!");

    let error = single_error("templates/secret.yaml", 1, &text);

    assert_eq!(error.path.as_deref(), Some("data.api-key"));
}

#[test]
fn missing_name_fails() {
    let text = CONFIG_MAP.replace("  name: stalwart-config\n", "");

    let error = single_error("templates/configmap.yaml", 1, &text);

    assert_eq!(error.template, "templates/configmap.yaml");
    assert_eq!(error.object, None);
    assert!(error.message.contains("metadata.name"), "{}", error.message);
}

#[test]
fn unknown_kind_fails() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stalwart\n";

    let error = single_error("templates/deployment.yaml", 1, text);

    assert_eq!(error.object.as_deref(), Some("Deployment/stalwart"));
    assert!(
        error.message.contains("does not emit this kind"),
        "{}",
        error.message
    );
}

#[test]
fn not_a_mapping_fails() {
    let error = single_error("templates/list.yaml", 1, "- a\n- b\n");

    assert!(error.message.contains("not a mapping"), "{}", error.message);
}

#[test]
fn long_name_fails() {
    let name = "s".repeat(64);
    let text = SERVICE_ACCOUNT.replace("name: stalwart\n", &format!("name: {name}\n"));

    let error = single_error("templates/serviceaccount.yaml", 1, &text);

    assert_eq!(error.path.as_deref(), Some("metadata.name"));
    assert!(error.message.contains("64 characters"), "{}", error.message);
}

#[test]
fn config_map_under_apply_limit_passes() {
    // The rest of the object takes under 100 bytes of JSON.
    let text = config_map_with_data_size(CLIENT_SIDE_APPLY_MAX_BYTES - 100);

    assert!(check_documents(&[document("templates/configmap.yaml", 1, &text)]).is_ok());
}

#[test]
fn config_map_over_apply_limit_fails() {
    let text = config_map_with_data_size(CLIENT_SIDE_APPLY_MAX_BYTES + 1);

    let error = single_error("templates/configmap.yaml", 1, &text);

    assert_eq!(error.object.as_deref(), Some("ConfigMap/stalwart-big"));
    assert!(error.message.contains("256 KiB"), "{}", error.message);
    assert!(error.message.contains("--server-side"), "{}", error.message);
    assert!(error.too_large);
    assert!(error.to_string().contains("object too large"), "{error}");
}

#[test]
fn config_map_over_object_limit_fails() {
    let text = config_map_with_data_size(OBJECT_MAX_BYTES + 1);

    let error = single_error("templates/configmap.yaml", 1, &text);

    assert_eq!(error.object.as_deref(), Some("ConfigMap/stalwart-big"));
    assert!(error.message.contains("1 MiB"), "{}", error.message);
    assert!(
        !error.message.contains("--server-side"),
        "{}",
        error.message
    );
}

#[test]
fn duplicate_object_fails() {
    let docs = [
        document("templates/configmap.yaml", 1, CONFIG_MAP),
        document("templates/configmap-dns.yaml", 7, CONFIG_MAP),
    ];

    let errors = check_documents(&docs).unwrap_err();

    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].template, "templates/configmap-dns.yaml");
    assert_eq!(
        errors[0].object.as_deref(),
        Some("ConfigMap/stalwart-config")
    );
    assert!(
        errors[0].message.contains("templates/configmap.yaml:1"),
        "{}",
        errors[0].message
    );
}

#[test]
fn same_name_other_kind_passes() {
    let service_account = SERVICE_ACCOUNT.replace("name: stalwart\n", "name: shared\n");
    let config_map = CONFIG_MAP.replace("name: stalwart-config\n", "name: shared\n");
    let docs = [
        document("templates/serviceaccount.yaml", 1, &service_account),
        document("templates/configmap.yaml", 1, &config_map),
    ];

    assert!(check_documents(&docs).is_ok());
}

#[test]
fn several_broken_documents_all_reported() {
    let docs = [
        document("templates/serviceaccount.yaml", 1, SERVICE_ACCOUNT),
        document(
            "templates/statefulset.yaml",
            1,
            &STATEFUL_SET
                .replace("imagePullPolicy:", "imagePullPolicyy:")
                .replace("containerPort: 8080", "containerport: 8080"),
        ),
        document(
            "templates/service.yaml",
            1,
            "kind: Service\nkind: Service\n",
        ),
        document(
            "templates/deployment.yaml",
            1,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n",
        ),
        document(
            "templates/configmap.yaml",
            1,
            &CONFIG_MAP.replace("  name: stalwart-config\n", ""),
        ),
    ];

    let errors = check_documents(&docs).unwrap_err();

    let templates: Vec<&str> = errors.iter().map(|error| error.template.as_str()).collect();
    assert_eq!(
        templates,
        [
            "templates/statefulset.yaml",
            "templates/statefulset.yaml",
            "templates/service.yaml",
            "templates/deployment.yaml",
            "templates/configmap.yaml",
        ],
        "{errors:#?}"
    );
}
