//! Typed structs for the custom resources the product emits, written from
//! their upstream CRD schemas.
//!
//! The structs do not use `deny_unknown_fields`: the caller deserializes them
//! through `serde_ignored`, as it does the k8s-openapi types, so that every
//! unknown field of an object is reported and not only the first one.

pub mod certificate;
pub mod externalsecret;
pub mod httproute;

use std::collections::BTreeMap;

pub use certificate::Certificate;
pub use externalsecret::ExternalSecret;
pub use httproute::HttpRoute;

/// Labels, annotations and other string-to-string maps.
pub type StringMap = BTreeMap<String, String>;
