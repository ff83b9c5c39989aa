//! Starts a real `PowerDNS` authoritative server (Debian packages `pdns-server` and
//! `pdns-backend-sqlite3`) on 127.0.0.1 with the HTTP API enabled, for the
//! duration of one test. Dropping the guard kills the server, also when the
//! test fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::http;
use super::script::find_program;

const INSTALL_HINT: &str = "install the Debian packages pdns-server, pdns-backend-sqlite3 and sqlite3, \
     e.g. with scripts/install-test-deps.sh";
const SQLITE_SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
/// Maximum wait for the API to respond after the start.
const START_LIMIT: Duration = Duration::from_secs(30);

pub struct PowerDns {
    child: Child,
    directory: TempDir,
    pub api_port: u16,
    pub api_key: String,
}

impl PowerDns {
    /// Starts `pdns_server`; panics with an install hint when it is missing.
    pub fn start() -> PowerDns {
        let Some(pdns_server) = find_program("pdns_server") else {
            panic!("pdns_server is not installed: {INSTALL_HINT}");
        };
        let Some(sqlite3) = find_program("sqlite3") else {
            panic!("sqlite3 is not installed: {INSTALL_HINT}");
        };
        assert!(
            Path::new(SQLITE_SCHEMA).is_file(),
            "{SQLITE_SCHEMA} is missing: {INSTALL_HINT}"
        );

        let directory = tempfile::tempdir().unwrap();
        let database = directory.path().join("pdns.sqlite3");
        create_database(&sqlite3, &database);
        std::fs::write(directory.path().join("pdns.conf"), "").unwrap();

        let dns_port = free_port();
        let api_port = free_port();
        let api_key = "test-api-key-5f1c0e".to_owned();
        let log = std::fs::File::create(directory.path().join("pdns.log")).unwrap();
        let child = Command::new(pdns_server)
            .arg(format!("--config-dir={}", directory.path().display()))
            .arg(format!("--socket-dir={}", directory.path().display()))
            .args([
                "--daemon=no",
                "--guardian=no",
                "--disable-syslog=yes",
                "--write-pid=no",
            ])
            .arg("--launch=gsqlite3")
            .arg(format!("--gsqlite3-database={}", database.display()))
            .arg(format!("--local-address=127.0.0.1:{dns_port}"))
            .args([
                "--api=yes",
                "--webserver=yes",
                "--webserver-address=127.0.0.1",
            ])
            .arg(format!("--webserver-port={api_port}"))
            .arg("--webserver-allow-from=127.0.0.1")
            .arg(format!("--api-key={api_key}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = PowerDns {
            child,
            directory,
            api_port,
            api_key,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok((200, _)) = self.api("GET", "/api/v1/servers/localhost", None) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "pdns_server exited with {status} at start; log:\n{}",
                    self.log()
                );
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "pdns_server API did not answer within {START_LIMIT:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.path().join("pdns.log")).unwrap_or_default()
    }

    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}/api", self.api_port)
    }

    pub fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        http::request(
            self.api_port,
            method,
            path,
            &[("X-API-Key", &self.api_key)],
            body,
        )
    }

    /// Creates a native zone; `zone` ends with a dot.
    pub fn create_zone(&self, zone: &str) {
        let body = format!(r#"{{"name":"{zone}","kind":"Native","nameservers":["ns1.{zone}"]}}"#);
        let (status, response) = self
            .api("POST", "/api/v1/servers/localhost/zones", Some(&body))
            .unwrap();
        assert_eq!(status, 201, "creating zone {zone} failed: {response}");
    }

    /// Returns the zone as the API returns it.
    pub fn zone(&self, zone: &str) -> Value {
        let (status, response) = self
            .api(
                "GET",
                &format!("/api/v1/servers/localhost/zones/{zone}"),
                None,
            )
            .unwrap();
        assert_eq!(status, 200, "reading zone {zone} failed: {response}");
        serde_json::from_str(&response).unwrap()
    }

    pub fn path(&self) -> PathBuf {
        self.directory.path().to_owned()
    }
}

impl Drop for PowerDns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_database(sqlite3: &Path, database: &Path) {
    let schema = std::fs::File::open(SQLITE_SCHEMA).unwrap();
    let output = Command::new(sqlite3)
        .arg(database)
        .stdin(schema)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "sqlite3 could not load {SQLITE_SCHEMA}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Returns a port that was free a moment ago. Another process may take it
/// before `pdns_server` binds it; the start then fails with a clear log.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
