//! The templates compiled into the binary from `templates/` at the
//! repository root, and an optional directory that replaces them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use minijinja::Environment;

/// Every file under `templates/`, embedded at build time. A unit test
/// checks that this list and the folder agree.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "config.toml.j2",
        include_str!("../../templates/config.toml.j2"),
    ),
    (
        "serviceaccount.yaml",
        include_str!("../../templates/serviceaccount.yaml"),
    ),
    (
        "externalsecret-admin.yaml",
        include_str!("../../templates/externalsecret-admin.yaml"),
    ),
    (
        "externalsecret-oidc.yaml",
        include_str!("../../templates/externalsecret-oidc.yaml"),
    ),
    (
        "configmap-config.yaml",
        include_str!("../../templates/configmap-config.yaml"),
    ),
    (
        "configmap-dns-records.yaml",
        include_str!("../../templates/configmap-dns-records.yaml"),
    ),
    (
        "services.yaml",
        include_str!("../../templates/services.yaml"),
    ),
    (
        "statefulset.yaml",
        include_str!("../../templates/statefulset.yaml"),
    ),
    (
        "job-setup.yaml",
        include_str!("../../templates/job-setup.yaml"),
    ),
    (
        "job-dns-publish.yaml",
        include_str!("../../templates/job-dns-publish.yaml"),
    ),
    (
        "certificate.yaml",
        include_str!("../../templates/certificate.yaml"),
    ),
    (
        "httproute.yaml",
        include_str!("../../templates/httproute.yaml"),
    ),
    ("ingress.yaml", include_str!("../../templates/ingress.yaml")),
    (
        "networkpolicy.yaml",
        include_str!("../../templates/networkpolicy.yaml"),
    ),
    (
        "scripts/setup.sh",
        include_str!("../../templates/scripts/setup.sh"),
    ),
    (
        "scripts/dns-publish.sh",
        include_str!("../../templates/scripts/dns-publish.sh"),
    ),
];

/// The set of templates a render reads.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    files: BTreeMap<String, String>,
    /// The environment built from these files, with the manifest templates
    /// compiled, shared by all the tenants a run renders.
    base: OnceLock<Result<Environment<'static>, String>>,
}

impl Default for TemplateSet {
    fn default() -> Self {
        Self::embedded()
    }
}

impl TemplateSet {
    /// Returns the templates compiled into the binary.
    #[must_use]
    pub fn embedded() -> Self {
        Self {
            files: EMBEDDED
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
            base: OnceLock::new(),
        }
    }

    /// Returns the embedded templates, with every file under `dir` (same
    /// relative names) replacing or adding to them, for template
    /// development without rebuilding.
    pub fn with_directory(dir: &Path) -> std::io::Result<Self> {
        let mut set = Self::embedded();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    pending.push(path);
                } else if let Ok(relative) = path.strip_prefix(dir) {
                    let name = relative.to_string_lossy().replace('\\', "/");
                    set.files.insert(name, std::fs::read_to_string(&path)?);
                }
            }
        }
        Ok(set)
    }

    /// Returns the environment `build` makes from these templates, built on
    /// the first call only.
    pub(super) fn base_environment(
        &self,
        build: fn(&Self) -> Result<Environment<'static>, String>,
    ) -> Result<&Environment<'static>, &String> {
        self.base.get_or_init(|| build(self)).as_ref()
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }

    /// Names of the manifest templates present beyond the known ones, in
    /// name order: a template directory may add templates, which render
    /// after the built-in ones.
    #[must_use]
    pub fn extra_manifests(&self, known: &[&str]) -> Vec<String> {
        self.files
            .keys()
            .filter(|name| {
                let is_yaml = Path::new(name.as_str())
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("yaml"));
                is_yaml && !name.contains('/') && !known.contains(&name.as_str())
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::EMBEDDED;

    /// Every value a manifest template writes goes through a filter that
    /// quotes it for YAML (or for a comment), so no value can add structure.
    #[test]
    fn every_interpolation_is_escaped() {
        const SAFE: [&str; 5] = [
            "| yaml }}",
            "| literal(",
            "| toyaml(",
            "| comment }}",
            "{{ metadata(",
        ];
        for (name, text) in EMBEDDED {
            let extension = std::path::Path::new(name)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if extension != "yaml" && extension != "j2" {
                continue;
            }
            for (number, line) in text.lines().enumerate() {
                let mut rest = line;
                while let Some(start) = rest.find("{{") {
                    let end = rest[start..]
                        .find("}}")
                        .map_or(rest.len(), |e| start + e + 2);
                    let expression = &rest[start..end];
                    let safe = if extension == "j2" {
                        expression.starts_with("{{ key(")
                            || expression == "{{ extra }}"
                            || expression.ends_with("| comment }}")
                    } else {
                        SAFE.iter().any(|marker| expression.contains(marker))
                    };
                    assert!(
                        safe,
                        "templates/{name}:{}: `{expression}` is written without an escaping filter",
                        number + 1
                    );
                    rest = &rest[end..];
                }
            }
        }
    }

    #[test]
    fn embedded_list_matches_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    on_disk.push(
                        path.strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}
