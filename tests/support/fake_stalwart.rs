//! A local fake of the Stalwart 0.15 management API endpoints that the setup and
//! DNS scripts call, listening on 127.0.0.1 with a port the OS picks.
//!
//! Its responses follow these Stalwart source files, read in the fork
//! tschk/stalwart-lite at commit 056133c8b086, whose crates/main/Cargo.toml
//! gives the version 0.15.5. NOTE: that fork is modified and is not the
//! stalwartlabs/stalwart v0.15.5 tag.
//! - `crates/http/src/management/mod.rs`: management errors are HTTP 200 with a
//!   body tagged `error` (`fieldAlreadyExists` with `field` and `value`,
//!   `fieldMissing`, `notFound` with `item`, `unsupported` with `details`,
//!   `other` with `details` and `reason`); success is `{"data": ...}`; a failed
//!   login is HTTP 401.
//! - `crates/http/src/management/principal.rs`: `POST /api/principal` and
//!   `POST /api/principal/deploy`, the latter skipping the directory check for
//!   individuals; `GET` and `PATCH /api/principal/{name}`.
//! - `crates/directory/src/backend/internal/manage.rs`: the order of the create
//!   checks (name taken, members, permissions, e-mail taken, e-mail domain) and
//!   the PATCH actions `set`, `addItem`, `removeItem`.
//! - `crates/directory/src/core/principal.rs`: a principal holds one grant per
//!   permission, so adding a permission to one of `enabledPermissions` and
//!   `disabledPermissions` takes it out of the other.
//! - `crates/http/src/management/dkim.rs`: `POST /api/dkim` stores the key under
//!   `id` (default `<algorithm>-<domain>`), and answers `fieldAlreadyExists`
//!   with the existing private key as `value`; `GET /api/dkim/{id}` returns
//!   `{"data": "<base64 public key>"}` or HTTP 404.
//!
//! It is an HTTP/1.1 server of its own on `std::net`, one request per
//! connection, which is all curl needs here.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// A principal as the fake stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    pub kind: String,
    pub name: String,
    pub emails: Vec<String>,
    pub roles: Vec<String>,
    pub enabled_permissions: Vec<String>,
    pub disabled_permissions: Vec<String>,
    pub members: Vec<String>,
}

impl Principal {
    pub fn new(kind: &str, name: &str) -> Self {
        Principal {
            kind: kind.to_owned(),
            name: name.to_owned(),
            ..Principal::default()
        }
    }

    pub fn with_emails(mut self, emails: &[&str]) -> Self {
        self.emails = emails.iter().map(|email| (*email).to_owned()).collect();
        self
    }
}

/// A DKIM key, stored like Stalwart's `signature.<id>.*` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimKey {
    pub id: String,
    /// `Ed25519` or `Rsa`, as in the POST body.
    pub algorithm: String,
    pub domain: String,
    pub selector: String,
    pub public_key: String,
    pub private_key: String,
}

/// Everything the fake stores, for assertions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub principals: BTreeMap<String, Principal>,
    pub dkim_keys: BTreeMap<String, DkimKey>,
}

impl State {
    pub fn add_principal(&mut self, principal: Principal) {
        self.principals.insert(principal.name.clone(), principal);
    }

    pub fn count_of_kind(&self, kind: &str) -> usize {
        self.principals.values().filter(|p| p.kind == kind).count()
    }
}

/// The response of an injected fault.
#[derive(Clone, Debug)]
pub enum FaultResponse {
    /// HTTP 200 with `{"error":"other","details":...,"reason":...}`, the way
    /// Stalwart reports a failed management operation.
    ManagementError { details: String, reason: String },
    /// The given HTTP status with a problem+json body.
    Status(u16),
}

/// A request that the fake rejects with an error instead of handling it.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    pub path: String,
    /// When set, only requests whose JSON body has this `name` match.
    pub principal_name: Option<String>,
    pub response: FaultResponse,
    /// How many matching requests fail; `None` fails all of them.
    pub times: Option<usize>,
}

impl Fault {
    /// Fails the creation of the principal `name` on both create paths.
    pub fn create_principal(name: &str, response: &FaultResponse) -> Vec<Fault> {
        ["/api/principal", "/api/principal/deploy"]
            .iter()
            .map(|path| Fault {
                method: "POST".to_owned(),
                path: (*path).to_owned(),
                principal_name: Some(name.to_owned()),
                response: response.clone(),
                times: None,
            })
            .collect()
    }

    pub fn request(
        method: &str,
        path: &str,
        response: FaultResponse,
        times: Option<usize>,
    ) -> Fault {
        Fault {
            method: method.to_owned(),
            path: path.to_owned(),
            principal_name: None,
            response,
            times,
        }
    }
}

/// How the fake behaves.
#[derive(Clone, Debug)]
pub struct Options {
    pub admin_user: String,
    /// Exact password bytes, compared byte for byte with the Basic credential.
    pub admin_password: Vec<u8>,
    /// False makes `POST /api/principal` answer `unsupported` for individuals,
    /// as Stalwart does while the default directory is the OIDC one.
    pub directory_is_internal: bool,
    /// Number of health checks answered 503 before the fake reports ready.
    pub not_ready_health_checks: usize,
    pub faults: Vec<Fault>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            admin_user: "admin".to_owned(),
            admin_password: b"correct horse\n".to_vec(),
            directory_is_internal: true,
            not_ready_health_checks: 0,
            faults: Vec::new(),
        }
    }
}

struct Shared {
    options: Options,
    state: State,
    /// "METHOD PATH" of every request, in order.
    requests: Vec<String>,
    health_checks: usize,
    next_id: u64,
}

/// A running fake; stops its listener thread on drop.
pub struct FakeStalwart {
    address: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeStalwart {
    pub fn start(options: Options, state: State) -> FakeStalwart {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            options,
            state,
            requests: Vec::new(),
            health_checks: 0,
            next_id: 1,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A broken connection only affects the request on it,
                        // which the script then reports.
                        let _ = serve_connection(stream, &shared);
                    }
                }
            })
        };
        FakeStalwart {
            address,
            shared,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn state(&self) -> State {
        self.lock().state.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    pub fn health_checks(&self) -> usize {
        self.lock().health_checks
    }

    pub fn clear_faults(&self) {
        self.lock().options.faults.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap()
    }
}

impl Drop for FakeStalwart {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so that the thread reads the stop flag.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------
// HTTP

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

struct Response {
    status: u16,
    body: String,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            body: body.to_string(),
        }
    }

    fn data(data: &Value) -> Response {
        Response::json(200, &json!({ "data": data }))
    }

    fn problem(status: u16, title: &str, detail: &str) -> Response {
        Response::json(
            status,
            &json!({"type": "about:blank", "status": status, "title": title, "detail": detail}),
        )
    }
}

fn serve_connection(stream: TcpStream, shared: &Mutex<Shared>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;

    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();

    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if request
        .header("expect")
        .is_some_and(|value| value.eq_ignore_ascii_case("100-continue"))
    {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let length: usize = request
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;

    let response = {
        let mut shared = shared.lock().unwrap();
        shared
            .requests
            .push(format!("{} {}", request.method, request.path));
        handle(&mut shared, &request)
    };

    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        reason,
        response.body.len()
    );
    if response.status == 401 {
        head.push_str("WWW-Authenticate: Basic realm=\"Stalwart Server\"\r\n");
    }
    head.push_str("\r\n");
    writer.write_all(head.as_bytes())?;
    writer.write_all(response.body.as_bytes())?;
    writer.flush()
}

// ---------------------------------------------------------------------------
// API

fn handle(shared: &mut Shared, request: &Request) -> Response {
    if request.method == "GET" && request.path == "/healthz/ready" {
        shared.health_checks += 1;
        if shared.health_checks <= shared.options.not_ready_health_checks {
            return Response::problem(503, "Service Unavailable", "not ready");
        }
        return Response::json(200, &json!({}));
    }

    if !request.path.starts_with("/api/") {
        return not_found_resource();
    }
    if !is_authorized(&shared.options, request) {
        return Response::problem(401, "Unauthorized", "You have to authenticate first.");
    }
    if let Some(response) = take_fault(&mut shared.options.faults, request) {
        return response;
    }

    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(value) => value,
            Err(error) => {
                return Response::problem(
                    400,
                    "Invalid parameters",
                    &format!("Failed to deserialize JSON: {error}"),
                );
            }
        }
    };

    let segments: Vec<&str> = request
        .path
        .trim_start_matches("/api/")
        .split('/')
        .collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["principal"]) => create_principal(shared, &body, false),
        ("POST", ["principal", "deploy"]) => create_principal(shared, &body, true),
        ("GET", ["principal", name]) => get_principal(shared, name),
        ("PATCH", ["principal", name]) => patch_principal(shared, name, &body),
        ("POST", ["dkim"]) => create_dkim_key(shared, &body),
        ("GET", ["dkim", id]) => match shared.state.dkim_keys.get(*id) {
            Some(key) => Response::data(&json!(key.public_key)),
            None => not_found_resource(),
        },
        _ => not_found_resource(),
    }
}

fn not_found_resource() -> Response {
    Response::problem(
        404,
        "Not Found",
        "The requested resource does not exist on this server.",
    )
}

fn management_error(body: &Value) -> Response {
    Response::json(200, body)
}

fn not_found(item: &str) -> Response {
    management_error(&json!({"error": "notFound", "item": item}))
}

fn already_exists(field: &str, value: &str) -> Response {
    management_error(&json!({"error": "fieldAlreadyExists", "field": field, "value": value}))
}

fn other_error(details: &str, reason: &str) -> Response {
    management_error(&json!({"error": "other", "details": details, "reason": reason}))
}

fn is_authorized(options: &Options, request: &Request) -> bool {
    let Some(credential) = request
        .header("authorization")
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Some(decoded) = base64_decode(credential.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|byte| *byte == b':') else {
        return false;
    };
    decoded[..colon] == *options.admin_user.as_bytes()
        && decoded[colon + 1..] == *options.admin_password
}

fn take_fault(faults: &mut Vec<Fault>, request: &Request) -> Option<Response> {
    let body_name = serde_json::from_slice::<Value>(&request.body)
        .ok()
        .and_then(|body| body.get("name").and_then(Value::as_str).map(str::to_owned));
    let index = faults.iter().position(|fault| {
        fault.method == request.method
            && fault.path == request.path
            && fault
                .principal_name
                .as_ref()
                .is_none_or(|name| body_name.as_deref() == Some(name.as_str()))
    })?;
    let response = match &faults[index].response {
        FaultResponse::ManagementError { details, reason } => other_error(details, reason),
        FaultResponse::Status(status) => {
            Response::problem(*status, "Injected failure", "fault injected by the test")
        }
    };
    if let Some(times) = faults[index].times.as_mut() {
        *times -= 1;
        if *times == 0 {
            faults.remove(index);
        }
    }
    Some(response)
}

const KNOWN_PERMISSIONS: &[&str] = &[
    "authenticate",
    "email-send",
    "email-receive",
    "manage-encryption",
];
const BUILT_IN_ROLES: &[&str] = &["admin", "user", "tenant-admin"];

fn string_list(body: &Value, field: &str) -> Vec<String> {
    match body.get(field) {
        Some(Value::String(value)) => vec![value.clone()],
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn create_principal(shared: &mut Shared, body: &Value, deploy: bool) -> Response {
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();

    if kind == "individual" && !deploy && !shared.options.directory_is_internal {
        return management_error(&json!({
            "error": "unsupported",
            "details": "OpenID directory cannot be managed. Only internal directories support inserts and update operations."
        }));
    }
    if name.is_empty() {
        return management_error(&json!({"error": "fieldMissing", "field": "name"}));
    }
    if shared.state.principals.contains_key(&name) {
        return already_exists("name", &name);
    }

    let mut principal = Principal::new(&kind, &name);
    for member in string_list(body, "members") {
        if !shared.state.principals.contains_key(&member) {
            return not_found(&member);
        }
        principal.members.push(member);
    }
    for role in string_list(body, "roles") {
        if !BUILT_IN_ROLES.contains(&role.as_str()) && !shared.state.principals.contains_key(&role)
        {
            return not_found(&role);
        }
        principal.roles.push(role);
    }
    for field in ["enabledPermissions", "disabledPermissions"] {
        for permission in string_list(body, field) {
            if !KNOWN_PERMISSIONS.contains(&permission.as_str()) {
                return other_error(
                    &format!("Invalid {field} value"),
                    &format!("Permission {permission:?} is invalid"),
                );
            }
            // The first list that names a permission decides its grant.
            if principal.enabled_permissions.contains(&permission)
                || principal.disabled_permissions.contains(&permission)
            {
                continue;
            }
            if field == "enabledPermissions" {
                principal.enabled_permissions.push(permission);
            } else {
                principal.disabled_permissions.push(permission);
            }
        }
    }
    for email in string_list(body, "emails") {
        let email = email.to_lowercase();
        if let Some(response) = check_new_email(&shared.state, &email) {
            return response;
        }
        principal.emails.push(email);
    }

    let id = shared.next_id;
    shared.next_id += 1;
    shared.state.add_principal(principal);
    Response::data(&json!(id))
}

fn check_new_email(state: &State, email: &str) -> Option<Response> {
    if state
        .principals
        .values()
        .any(|p| p.emails.iter().any(|e| e == email))
    {
        return Some(already_exists("emails", email));
    }
    let domain = email
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or_default();
    if state
        .principals
        .get(domain)
        .is_none_or(|p| p.kind != "domain")
    {
        return Some(not_found(domain));
    }
    None
}

/// Serializes a list field like Stalwart's untagged `PrincipalValue`: a single
/// item as a string, several as a list. The scripts must read both forms.
fn insert_list(object: &mut serde_json::Map<String, Value>, key: &str, values: &[String]) {
    match values {
        [] => {}
        [single] => {
            object.insert(key.to_owned(), json!(single));
        }
        many => {
            object.insert(key.to_owned(), json!(many));
        }
    }
}

fn get_principal(shared: &Shared, name: &str) -> Response {
    let Some(principal) = shared.state.principals.get(name) else {
        return not_found(name);
    };
    let mut object = serde_json::Map::new();
    object.insert("id".to_owned(), json!(1));
    object.insert("type".to_owned(), json!(principal.kind));
    object.insert("name".to_owned(), json!(principal.name));
    insert_list(&mut object, "emails", &principal.emails);
    insert_list(&mut object, "roles", &principal.roles);
    insert_list(
        &mut object,
        "enabledPermissions",
        &principal.enabled_permissions,
    );
    insert_list(
        &mut object,
        "disabledPermissions",
        &principal.disabled_permissions,
    );
    insert_list(&mut object, "members", &principal.members);
    Response::data(&Value::Object(object))
}

fn patch_principal(shared: &mut Shared, name: &str, body: &Value) -> Response {
    let Some(original) = shared.state.principals.get(name) else {
        return not_found(name);
    };
    let Some(changes) = body.as_array() else {
        return Response::problem(400, "Invalid parameters", "expected a list of changes");
    };
    // All changes apply, or none: the copy replaces the stored principal at the end.
    let mut principal = original.clone();
    for change in changes {
        let action = change
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let field = change
            .get("field")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(value) = change.get("value").and_then(Value::as_str) else {
            return Response::problem(
                400,
                "Invalid parameters",
                "the fake supports string values only",
            );
        };
        if let Some(response) = apply_change(&shared.state, &mut principal, action, field, value) {
            return response;
        }
    }
    shared.state.add_principal(principal);
    Response::data(&Value::Null)
}

fn apply_change(
    state: &State,
    principal: &mut Principal,
    action: &str,
    field: &str,
    value: &str,
) -> Option<Response> {
    match field {
        "enabledPermissions" | "disabledPermissions" if !KNOWN_PERMISSIONS.contains(&value) => {
            return Some(other_error(
                &format!("Invalid {field} value"),
                &format!("Permission {value:?} is invalid"),
            ));
        }
        "members" if action == "addItem" => match state.principals.get(value) {
            None => return Some(not_found(value)),
            Some(member) if member.kind != "individual" && member.kind != "group" => {
                return Some(other_error(
                    "Invalid members value",
                    &format!("Principal {value:?} is not one of Individual, Group."),
                ));
            }
            Some(_) => {}
        },
        "emails" if action == "addItem" && !principal.emails.iter().any(|email| email == value) => {
            if let Some(response) = check_new_email(state, value) {
                return Some(response);
            }
        }
        "enabledPermissions" | "disabledPermissions" | "members" | "emails" | "roles" => {}
        _ => {
            return Some(Response::problem(
                400,
                "Invalid parameters",
                &format!("unknown field {field}"),
            ));
        }
    }
    let list = match field {
        "enabledPermissions" => &mut principal.enabled_permissions,
        "disabledPermissions" => &mut principal.disabled_permissions,
        "members" => &mut principal.members,
        "emails" => &mut principal.emails,
        _ => &mut principal.roles,
    };
    match action {
        "addItem" => {
            if !list.iter().any(|item| item == value) {
                list.push(value.to_owned());
            }
            // One grant per permission: granting removes a denial and the reverse.
            match field {
                "enabledPermissions" => principal.disabled_permissions.retain(|item| item != value),
                "disabledPermissions" => principal.enabled_permissions.retain(|item| item != value),
                _ => {}
            }
        }
        "removeItem" => list.retain(|item| item != value),
        _ => {
            return Some(Response::problem(
                400,
                "Invalid parameters",
                &format!("unsupported action {action}"),
            ));
        }
    }
    None
}

fn create_dkim_key(shared: &mut Shared, body: &Value) -> Response {
    let algorithm = body
        .get("algorithm")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (algorithm_name, public_key_length) = match algorithm {
        "Ed25519" => ("ed25519", 32),
        // A 2048-bit RSA SubjectPublicKeyInfo is 294 bytes.
        "Rsa" => ("rsa", 294),
        _ => {
            return Response::problem(
                400,
                "Invalid parameters",
                "unknown variant for field `algorithm`",
            );
        }
    };
    let Some(domain) = body.get("domain").and_then(Value::as_str) else {
        return Response::problem(400, "Invalid parameters", "missing field `domain`");
    };
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{algorithm_name}-{domain}"), str::to_owned);
    let selector = body
        .get("selector")
        .and_then(Value::as_str)
        .unwrap_or("202501e")
        .to_owned();

    if let Some(existing) = shared.state.dkim_keys.get(&id) {
        return already_exists(
            &format!("signature.{id}.private-key"),
            &existing.private_key,
        );
    }
    let key = DkimKey::generate(&id, algorithm, domain, &selector, public_key_length);
    shared.state.dkim_keys.insert(id, key);
    Response::data(&Value::Null)
}

impl DkimKey {
    /// Makes a key with deterministic bytes derived from the id; the fake never
    /// signs anything, so the bytes need not form a real key pair.
    pub fn generate(
        id: &str,
        algorithm: &str,
        domain: &str,
        selector: &str,
        public_key_length: usize,
    ) -> DkimKey {
        let mut seed = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
        });
        let mut bytes = Vec::with_capacity(public_key_length);
        for _ in 0..public_key_length {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(seed.to_le_bytes()[0]);
        }
        DkimKey {
            id: id.to_owned(),
            algorithm: algorithm.to_owned(),
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            public_key: base64_encode(&bytes),
            private_key: format!(
                "-----BEGIN PRIVATE KEY-----\nFAKE-PRIVATE-KEY-OF-{id}\n-----END PRIVATE KEY-----\n"
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Base64 (RFC 4648, standard alphabet, with padding)

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let triple = chunk.iter().enumerate().fold(0_u32, |acc, (index, byte)| {
            acc | (u32::from(*byte) << (16 - 8 * index))
        });
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (triple >> (18 - 6 * position)) & 0x3f;
                encoded.push(char::from(BASE64_ALPHABET[index as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut decoded = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0_u32;
    let mut bits = 0;
    for character in text.bytes() {
        let value = BASE64_ALPHABET.iter().position(|c| *c == character)?;
        buffer = (buffer << 6) | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            decoded.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(decoded)
}
