//! Object names and object sizes that the API server or kubectl would reject.

use std::io;

use serde_json::Value;

/// Maximum length of a DNS-1123 or DNS-1035 label.
pub const MAX_NAME_LENGTH: usize = 63;

/// Maximum total size of an object's annotations in Kubernetes.
/// Client-side `kubectl apply` copies the whole object into the
/// `kubectl.kubernetes.io/last-applied-configuration` annotation, so an object
/// larger than this cannot be applied that way.
pub const CLIENT_SIDE_APPLY_MAX_BYTES: usize = 256 * 1024;

/// Maximum size of the data of a `ConfigMap`, as the Kubernetes documentation
/// states it (1 MiB), applied here to every object because etcd stores each
/// object whole and rejects large requests.
pub const OBJECT_MAX_BYTES: usize = 1024 * 1024;

/// Returns why `name` is not a valid DNS-1123 label, or `None` when it is one.
pub fn dns1123_label_problem(name: &str) -> Option<String> {
    label_problem(name, false)
}

/// Returns why `name` is not a valid DNS-1035 label (a DNS-1123 label that
/// starts with a letter), which the API server requires of Service names.
pub fn dns1035_label_problem(name: &str) -> Option<String> {
    label_problem(name, true)
}

fn label_problem(name: &str, must_start_with_letter: bool) -> Option<String> {
    let standard = if must_start_with_letter {
        "DNS-1035"
    } else {
        "DNS-1123"
    };
    let rule = if must_start_with_letter {
        "lowercase letters, digits and '-', starting with a letter and ending with a letter or digit"
    } else {
        "lowercase letters, digits and '-', starting and ending with a letter or digit"
    };

    if name.is_empty() {
        return Some(format!(
            "the name is empty; it must be a {standard} label ({rule})"
        ));
    }
    let length = name.chars().count();
    if length > MAX_NAME_LENGTH {
        return Some(format!(
            "the name is {length} characters long, over the maximum of {MAX_NAME_LENGTH} \
             for a {standard} label; use a shorter release name or fullnameOverride"
        ));
    }

    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let first_allowed = |c: char| {
        if must_start_with_letter {
            c.is_ascii_lowercase()
        } else {
            c.is_ascii_lowercase() || c.is_ascii_digit()
        }
    };
    let last_allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();

    let valid = name.chars().all(allowed)
        && name.chars().next().is_some_and(first_allowed)
        && name.chars().last().is_some_and(last_allowed);
    if valid {
        None
    } else {
        Some(format!(
            "the name {name:?} is not a valid {standard} label ({rule})"
        ))
    }
}

/// Returns why the JSON form of `value` is too large to apply, or `None` when it fits.
pub fn size_problem(value: &Value) -> Option<String> {
    let size = json_size(value);
    if size > OBJECT_MAX_BYTES {
        Some(format!(
            "the object is {size} bytes as JSON, over the maximum of 1 MiB \
             ({OBJECT_MAX_BYTES} bytes) that the API server accepts for one object; \
             move the large data out of this object, for example into a volume"
        ))
    } else if size > CLIENT_SIDE_APPLY_MAX_BYTES {
        Some(format!(
            "the object is {size} bytes as JSON, over the 256 KiB \
             ({CLIENT_SIDE_APPLY_MAX_BYTES} bytes) annotation limit that client-side \
             `kubectl apply` needs; apply with `kubectl apply --server-side` or use smaller values"
        ))
    } else {
        None
    }
}

// NOTE: the last-applied-configuration annotation is slightly larger than the
// object's JSON and shares the 256 KiB with the object's other annotations,
// so an object a little under the limit can still fail client-side apply.
fn json_size(value: &Value) -> usize {
    let mut counter = ByteCounter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        // serde_json fails only on map keys that are not strings or on writer
        // errors, and neither a `Value` nor `ByteCounter` has any.
        Err(_) => usize::MAX,
    }
}

/// Writer that discards its input and counts the bytes.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buffer.len());
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_accepts_valid_names() {
        for name in [
            "a",
            "stalwart",
            "stalwart-smtp",
            "0abc",
            "a1-b2",
            &"a".repeat(63),
        ] {
            assert_eq!(dns1123_label_problem(name), None, "{name}");
        }
    }

    #[test]
    fn label_rejects_invalid_names() {
        for name in [
            "",
            "Stalwart",
            "-a",
            "a-",
            "a_b",
            "a.b",
            "a b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(dns1123_label_problem(name).is_some(), "{name:?}");
        }
    }

    #[test]
    fn label_length_message_names_length() {
        let message = dns1123_label_problem(&"a".repeat(70)).unwrap();

        assert!(message.contains("70 characters"), "{message}");
    }

    #[test]
    fn service_name_must_start_with_letter() {
        assert!(dns1035_label_problem("0stalwart").is_some());
        assert_eq!(dns1035_label_problem("stalwart-0"), None);
    }

    #[test]
    fn size_limits_distinct_messages() {
        let small = serde_json::json!({ "data": "x".repeat(1000) });
        let over_apply = serde_json::json!({ "data": "x".repeat(CLIENT_SIDE_APPLY_MAX_BYTES) });
        let over_object = serde_json::json!({ "data": "x".repeat(OBJECT_MAX_BYTES) });

        assert_eq!(size_problem(&small), None);
        assert!(size_problem(&over_apply).unwrap().contains("--server-side"));
        assert!(size_problem(&over_object).unwrap().contains("1 MiB"));
    }

    #[test]
    fn json_size_matches_serialization() {
        let value = serde_json::json!({ "a": [1, "two", null], "b": { "c": true } });

        assert_eq!(json_size(&value), serde_json::to_vec(&value).unwrap().len());
    }
}
