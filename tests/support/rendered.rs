//! Renders a tenant with the real binary and takes a Job's script and
//! environment from the output, so the script tests run exactly what a
//! cluster would run.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The namespace the tests render into.
pub const NAMESPACE: &str = "tenant-test";

/// Returns the path of a file under tests/fixtures/ or examples/.
pub fn repository_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `stalwart-tenant render -f FILE -n NAMESPACE -o json` and returns the
/// parsed `v1 List`.
pub fn render_json(values_file: &Path) -> Value {
    let output = Command::cargo_bin("stalwart-tenant")
        .unwrap()
        .args(["render", "-o", "json", "-n", NAMESPACE, "-f"])
        .arg(values_file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "render of {} failed:\n{}",
        values_file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(list["kind"], "List", "render -o json did not print a List");
    list
}

/// The parts of a rendered Job that a script run needs.
#[derive(Debug, Clone)]
pub struct RenderedJob {
    pub name: String,
    /// `command[2]`: the script that `/bin/sh -c` runs.
    pub script: String,
    /// `command[3]`: `$0` of the script.
    pub job_name: String,
    /// The container's `env`, in order.
    pub env: Vec<(String, String)>,
    /// `mountPath` of every volume mount, by volume name.
    pub mounts: Vec<(String, String)>,
    /// Every Secret volume: volume name and its `items` as (key, path).
    pub secret_volumes: Vec<(String, Vec<(String, String)>)>,
    /// `defaultMode` of each Secret volume, by volume name.
    pub secret_modes: Vec<(String, u64)>,
    pub pod_security_context: Value,
}

/// Finds the one Job whose `app.kubernetes.io/component` label is `component`.
pub fn job(list: &Value, component: &str) -> RenderedJob {
    let jobs: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| {
            item["kind"] == "Job"
                && item["metadata"]["labels"]["app.kubernetes.io/component"] == component
        })
        .collect();
    assert_eq!(
        jobs.len(),
        1,
        "expected one Job with component {component}, found {}",
        jobs.len()
    );
    let job = jobs[0];
    let pod = &job["spec"]["template"]["spec"];
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "the Job has more than one container");
    let container = &containers[0];

    let command: Vec<&str> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part.as_str().unwrap())
        .collect();
    assert_eq!(command.len(), 4, "command is not [sh, -c, script, name]");
    assert_eq!(command[0], "/bin/sh");
    assert_eq!(command[1], "-c");

    let env = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            assert!(
                entry.get("valueFrom").is_none(),
                "env {} uses valueFrom, which the tests cannot reproduce",
                entry["name"]
            );
            (
                entry["name"].as_str().unwrap().to_owned(),
                entry["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mounts = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|mount| {
            (
                mount["name"].as_str().unwrap().to_owned(),
                mount["mountPath"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut secret_volumes = Vec::new();
    let mut secret_modes = Vec::new();
    for volume in pod["volumes"].as_array().unwrap() {
        let Some(secret) = volume.get("secret") else {
            continue;
        };
        let name = volume["name"].as_str().unwrap().to_owned();
        let items = secret["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        (
                            item["key"].as_str().unwrap().to_owned(),
                            item["path"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(mode) = secret["defaultMode"].as_u64() {
            secret_modes.push((name.clone(), mode));
        }
        secret_volumes.push((name, items));
    }

    RenderedJob {
        name: job["metadata"]["name"].as_str().unwrap().to_owned(),
        script: command[2].to_owned(),
        job_name: command[3].to_owned(),
        env,
        mounts,
        secret_volumes,
        secret_modes,
        pod_security_context: pod["securityContext"].clone(),
    }
}

impl RenderedJob {
    /// Returns the rendered value of `name`; panics when the Job does not set it.
    pub fn env_value(&self, name: &str) -> String {
        self.env.iter().find(|(key, _)| key == name).map_or_else(
            || panic!("the Job {} has no env {name}", self.name),
            |(_, value)| value.clone(),
        )
    }

    /// Returns the file path, inside the container, that a Secret item is
    /// mounted at, or None when no Secret volume projects a file there.
    pub fn secret_file_at(&self, path: &str) -> Option<(String, String)> {
        for (volume, mount_path) in &self.mounts {
            let Some((_, items)) = self.secret_volumes.iter().find(|(name, _)| name == volume)
            else {
                continue;
            };
            for (key, item_path) in items {
                if format!("{}/{item_path}", mount_path.trim_end_matches('/')) == path {
                    return Some((volume.clone(), key.clone()));
                }
            }
        }
        None
    }
}

/// Replaces the value of a variable that the rendered Job sets. Panics when
/// the Job does not set it, so that a renamed variable fails the test instead
/// of adding a new one.
pub fn override_env(env: &mut [(String, String)], name: &str, value: &str) {
    let entry = env
        .iter_mut()
        .find(|(key, _)| key == name)
        .unwrap_or_else(|| panic!("the rendered Job has no env {name} to point at the test"));
    value.clone_into(&mut entry.1);
}

/// Checks that every `*_FILE` variable of a rendered Job names a file that a
/// Secret volume of the same Job projects, readable by the Job's user.
pub fn assert_secret_files_mounted(job: &RenderedJob) {
    let file_variables: Vec<&(String, String)> = job
        .env
        .iter()
        .filter(|(name, _)| name.ends_with("_FILE"))
        .collect();
    assert!(
        !file_variables.is_empty(),
        "{} reads no secret file",
        job.name
    );
    for (name, path) in file_variables {
        let Some((volume, _key)) = job.secret_file_at(path) else {
            panic!(
                "{}: {name}={path} is not a file of any mounted Secret volume; mounts {:?}, volumes {:?}",
                job.name, job.mounts, job.secret_volumes
            );
        };
        let mode = job
            .secret_modes
            .iter()
            .find(|(secret, _)| *secret == volume)
            .map_or(0o644, |(_, mode)| *mode);
        // The Job runs as a non-root user whose group is fsGroup, so the file
        // must be readable by that group.
        assert!(
            mode & 0o040 != 0,
            "{}: the Secret volume {volume} has mode {mode:o}, which its group cannot read",
            job.name
        );
    }
    let context = &job.pod_security_context;
    assert_eq!(
        context["fsGroup"], context["runAsGroup"],
        "{}: fsGroup must be the user's group so the mounted Secrets are readable",
        job.name
    );
    assert!(
        job.mounts.iter().any(|(_, path)| path == "/tmp"),
        "{}: the root filesystem is read-only and the script needs a writable /tmp for mktemp",
        job.name
    );
}
