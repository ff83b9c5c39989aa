//! Runs a Job script the way the rendered Job does:
//! `command: ["/bin/sh", "-c", <script>, "<job name>"]`.
//!
//! The script text and the environment are inputs; the tests take both from
//! the rendered Job (`support::rendered`).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for one script run, so that a hanging script fails the test
/// instead of blocking it. The scripts' own waits in these tests are a few seconds.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// A shell that runs the scripts.
#[derive(Clone, Debug)]
pub struct Shell {
    /// Command and leading arguments, e.g. `["busybox", "sh"]`.
    pub command: Vec<String>,
}

impl Shell {
    pub fn name(&self) -> String {
        self.command.join(" ")
    }
}

/// Returns the shells to test with: `/bin/sh` always, and `busybox sh` (the shell of the
/// Job image) when busybox is installed.
pub fn shells() -> Vec<Shell> {
    let mut shells = vec![Shell {
        command: vec!["/bin/sh".to_owned()],
    }];
    if let Some(busybox) = find_program("busybox") {
        shells.push(Shell {
            command: vec![busybox.display().to_string(), "sh".to_owned()],
        });
    } else {
        eprintln!(
            "busybox is not installed, so the scripts run with /bin/sh only; run scripts/install-test-deps.sh"
        );
    }
    shells
}

pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
}

/// The outcome of one script run.
#[derive(Debug)]
pub struct ScriptRun {
    pub shell: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ScriptRun {
    pub fn succeeded(&self) -> bool {
        self.status.success()
    }

    /// Standard output and standard error together, for content checks.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Formats the run for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "shell: {}\nstatus: {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.shell, self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `script` with `shell -c script job_name` and only the given environment
/// plus PATH.
pub fn run_script(
    shell: &Shell,
    script: &str,
    env: &[(String, String)],
    job_name: &str,
) -> ScriptRun {
    let mut command = Command::new(&shell.command[0]);
    command
        .args(&shell.command[1..])
        .arg("-c")
        .arg(script)
        .arg(job_name)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", shell.name()));

    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        stderr_pipe.read_to_string(&mut text).unwrap();
        text
    });

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("{} did not finish within {RUN_LIMIT:?}", shell.name());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    ScriptRun {
        shell: shell.name(),
        status,
        stdout: stdout_reader.join().unwrap(),
        stderr: stderr_reader.join().unwrap(),
    }
}

/// Builds an environment list from string pairs.
pub fn env_of(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// Replaces or adds one variable.
pub fn set_env(env: &mut Vec<(String, String)>, key: &str, value: &str) {
    env.retain(|(existing, _)| existing != key);
    env.push((key.to_owned(), value.to_owned()));
}
