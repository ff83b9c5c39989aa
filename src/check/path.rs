//! Field paths inside a rendered object, written the way kubectl writes them
//! (`spec.template.spec.containers[0].image`).

use std::fmt;

/// One step of a [`FieldPath`]: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Path from the root of an object to one of its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Converts the path that `serde_ignored` reports for a field the type dropped.
    pub fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        let mut segments = Vec::new();
        push_ignored_segments(path, &mut segments);
        FieldPath(segments)
    }

    /// Converts the path that `serde_path_to_error` reports for a failed deserialization.
    pub fn from_tracked(path: &serde_path_to_error::Path) -> Self {
        let segments = path
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Enum { variant } => {
                    Some(Segment::Key(variant.clone()))
                }
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        FieldPath(segments)
    }
}

// `serde_ignored` links each step to its parent, so the root is reached last
// and the steps are collected by recursion in root-first order.
fn push_ignored_segments(path: &serde_ignored::Path<'_>, segments: &mut Vec<Segment>) {
    match path {
        serde_ignored::Path::Root => {}
        serde_ignored::Path::Seq { parent, index } => {
            push_ignored_segments(parent, segments);
            segments.push(Segment::Index(*index));
        }
        serde_ignored::Path::Map { parent, key } => {
            push_ignored_segments(parent, segments);
            segments.push(Segment::Key(key.clone()));
        }
        serde_ignored::Path::Some { parent }
        | serde_ignored::Path::NewtypeStruct { parent }
        | serde_ignored::Path::NewtypeVariant { parent } => {
            push_ignored_segments(parent, segments);
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => formatter.write_str(key)?,
                Segment::Key(key) => write!(formatter, ".{key}")?,
                Segment::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_keys_and_indices() {
        let path = FieldPath(vec![
            Segment::Key("spec".to_owned()),
            Segment::Key("containers".to_owned()),
            Segment::Index(0),
            Segment::Key("imagePullPolicyy".to_owned()),
        ]);

        assert_eq!(path.to_string(), "spec.containers[0].imagePullPolicyy");
    }

    #[test]
    fn ignored_path_skips_option_steps() {
        let root = serde_ignored::Path::Root;
        let spec = serde_ignored::Path::Map {
            parent: &root,
            key: "spec".to_owned(),
        };
        let some = serde_ignored::Path::Some { parent: &spec };
        let item = serde_ignored::Path::Seq {
            parent: &some,
            index: 2,
        };
        let field = serde_ignored::Path::Map {
            parent: &item,
            key: "nmae".to_owned(),
        };

        assert_eq!(FieldPath::from_ignored(&field).to_string(), "spec[2].nmae");
    }
}
