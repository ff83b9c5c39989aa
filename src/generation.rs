//! The Stalwart configuration generation the manifests are rendered for.
//!
//! Stalwart 0.15 reads a TOML `config.toml` at start and is managed over a
//! REST API under `/api/`. From 0.16 on it reads a JSON `config.json` that
//! holds only the data store, keeps everything else in its database and is
//! managed over JMAP. A TOML config mounted into a 0.16 image makes it crash
//! at start, so the generation is resolved before anything is rendered, and
//! everything that differs between generations is read from here.

use crate::values::model::{Generation, Values};

/// A generation the renderer supports, with the facts that differ per generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StalwartGeneration {
    /// Stalwart 0.15.x.
    V015,
}

impl StalwartGeneration {
    /// Names the generation for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::V015 => "0.15",
        }
    }

    /// Returns the directory the config file is mounted in.
    #[must_use]
    pub fn config_dir(self) -> &'static str {
        match self {
            Self::V015 => "/opt/stalwart/etc",
        }
    }

    /// Returns the config file's name inside [`Self::config_dir`].
    #[must_use]
    pub fn config_file(self) -> &'static str {
        match self {
            Self::V015 => "config.toml",
        }
    }

    /// Returns the template that renders the config file.
    #[must_use]
    pub fn config_template(self) -> &'static str {
        match self {
            Self::V015 => "config.toml.j2",
        }
    }

    /// The container command: the server binary started directly on the
    /// mounted config, bypassing the image's entrypoint script (which would
    /// otherwise write a quickstart config with a random password when the
    /// file is missing).
    #[must_use]
    pub fn command(self) -> Vec<String> {
        match self {
            Self::V015 => vec![
                "/usr/local/bin/stalwart".to_owned(),
                "--config".to_owned(),
                format!("{}/{}", self.config_dir(), self.config_file()),
            ],
        }
    }

    /// Capabilities to add back after dropping ALL. The 0.15.5 binary has
    /// no file capability, so `NET_BIND_SERVICE` would do nothing for a
    /// non-root process; the pod sysctl opens the low ports instead.
    /// (Images whose binary carries the file capability fail to exec when
    /// it is dropped, and need it here.)
    #[must_use]
    pub fn added_capabilities(self) -> Vec<&'static str> {
        match self {
            Self::V015 => Vec::new(),
        }
    }
}

/// The reason no supported generation could be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationError {
    /// The value path the fix belongs to.
    pub path: &'static str,
    pub message: String,
    pub help: String,
}

/// Parses the leading `major.minor` of an image tag such as `v0.15.5`,
/// `0.15` or `v0.15.5-alpine`.
#[must_use]
pub fn tag_version(tag: &str) -> Option<(u64, u64)> {
    let version = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts = version.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Resolves the generation from `stalwart.generation` and the image tag.
pub fn resolve(values: &Values) -> Result<StalwartGeneration, GenerationError> {
    let tag = &values.stalwart.image.tag;
    let from_tag = tag_version(tag);
    let too_new = |version: (u64, u64)| version >= (0, 16);
    match values.stalwart.generation {
        Generation::V016 => Err(GenerationError {
            path: "stalwart.generation",
            message: "Stalwart 0.16 is not supported yet: it reads a JSON config.json and is managed over JMAP, and this version of stalwart-tenant renders the 0.15 TOML config.toml and REST setup".to_owned(),
            help: "set stalwart.generation: \"0.15\" (or auto) with a 0.15.x image tag such as v0.15.5".to_owned(),
        }),
        Generation::V015 | Generation::Auto if from_tag.is_some_and(too_new) => Err(GenerationError {
            path: "stalwart.image.tag",
            message: format!(
                "image tag {tag} is Stalwart 0.16 or later, which reads a JSON config.json and crashes on the TOML config.toml this version renders (\"Failed to parse data store settings\")"
            ),
            help: "use a 0.15.x tag such as v0.15.5; 0.16 support needs a newer stalwart-tenant".to_owned(),
        }),
        Generation::V015 => Ok(StalwartGeneration::V015),
        Generation::Auto => match from_tag {
            Some(version) if version >= (0, 15) => Ok(StalwartGeneration::V015),
            Some(_) => Err(GenerationError {
                path: "stalwart.image.tag",
                message: format!("image tag {tag} is older than Stalwart 0.15, whose configuration keys this version renders"),
                help: "use a 0.15.x tag such as v0.15.5".to_owned(),
            }),
            None => Err(GenerationError {
                path: "stalwart.generation",
                message: format!(
                    "cannot tell the Stalwart version from image tag {}",
                    if tag.is_empty() { "\"\" (a digest alone)".to_owned() } else { format!("\"{tag}\"") }
                ),
                help: "set stalwart.generation: \"0.15\" to say which configuration format the image reads, and prefer a version tag such as v0.15.5".to_owned(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::tag_version;

    #[test]
    fn parses_tags() {
        assert_eq!(tag_version("v0.15.5"), Some((0, 15)));
        assert_eq!(tag_version("0.16.0"), Some((0, 16)));
        assert_eq!(tag_version("v0.15.5-alpine"), Some((0, 15)));
        assert_eq!(tag_version("latest"), None);
        assert_eq!(tag_version(""), None);
    }
}
