//! `external-secrets.io/v1` `ExternalSecret`, with the fields that both
//! external-secrets v0.16.2 (the last release serving v1beta1 as well) and
//! v2.9.0 define.
//!
//! Fields that only v2 has (`syncWindows`, `nullBytePolicy`, rewrite `merge`,
//! `target.manifest`, template finalizers) are left out, so a manifest that
//! passes applies to both.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::StringMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecret {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: Option<ExternalSecretSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    pub secret_store_ref: Option<SecretStoreRef>,
    pub target: Option<ExternalSecretTarget>,
    pub refresh_policy: Option<RefreshPolicy>,
    /// Go duration such as `1h` or `15m`.
    pub refresh_interval: Option<String>,
    pub data: Option<Vec<ExternalSecretData>>,
    pub data_from: Option<Vec<ExternalSecretDataFrom>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreRef {
    pub name: Option<String>,
    pub kind: Option<SecretStoreKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RefreshPolicy {
    CreatedOnce,
    Periodic,
    OnChange,
}

/// The Secret that the controller writes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTarget {
    pub name: Option<String>,
    pub creation_policy: Option<CreationPolicy>,
    pub deletion_policy: Option<DeletionPolicy>,
    pub template: Option<SecretTemplate>,
    pub immutable: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CreationPolicy {
    Owner,
    Orphan,
    Merge,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DeletionPolicy {
    Delete,
    Merge,
    Retain,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplate {
    /// Secret type, such as `Opaque` or `kubernetes.io/tls`.
    #[serde(rename = "type")]
    pub secret_type: Option<String>,
    pub engine_version: Option<TemplateEngineVersion>,
    pub metadata: Option<SecretTemplateMetadata>,
    pub merge_policy: Option<TemplateMergePolicy>,
    pub data: Option<StringMap>,
    pub template_from: Option<Vec<TemplateFrom>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TemplateEngineVersion {
    #[serde(rename = "v2")]
    V2,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplateMetadata {
    pub annotations: Option<StringMap>,
    pub labels: Option<StringMap>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TemplateMergePolicy {
    Replace,
    Merge,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateFrom {
    pub config_map: Option<TemplateRef>,
    pub secret: Option<TemplateRef>,
    pub target: Option<TemplateTarget>,
    pub literal: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRef {
    pub name: String,
    pub items: Vec<TemplateRefItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRefItem {
    pub key: String,
    pub template_as: Option<TemplateScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TemplateScope {
    Values,
    KeysAndValues,
}

/// Part of the Secret a template writes. v2.9.0 accepts any string here, v0.16.2 only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TemplateTarget {
    Data,
    Annotations,
    Labels,
}

/// One key of the target Secret, read from one remote secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretData {
    pub secret_key: String,
    pub remote_ref: RemoteReference,
    pub source_ref: Option<SourceReference>,
}

/// Remote secret, as `spec.data[].remoteRef` and `spec.dataFrom[].extract` address it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteReference {
    pub key: String,
    pub metadata_policy: Option<MetadataPolicy>,
    pub property: Option<String>,
    pub version: Option<String>,
    pub conversion_strategy: Option<ConversionStrategy>,
    pub decoding_strategy: Option<DecodingStrategy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum MetadataPolicy {
    None,
    Fetch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ConversionStrategy {
    Default,
    Unicode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DecodingStrategy {
    Auto,
    Base64,
    #[serde(rename = "Base64URL")]
    Base64Url,
    None,
}

/// Store or generator that one data entry reads from instead of `spec.secretStoreRef`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceReference {
    pub store_ref: Option<SecretStoreRef>,
    pub generator_ref: Option<GeneratorReference>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorReference {
    pub api_version: Option<String>,
    /// Generator kind such as `Password`. Each release adds kinds, so it stays a string.
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretDataFrom {
    pub extract: Option<RemoteReference>,
    pub find: Option<ExternalSecretFind>,
    pub rewrite: Option<Vec<ExternalSecretRewrite>>,
    pub source_ref: Option<SourceReference>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretFind {
    pub path: Option<String>,
    pub name: Option<FindName>,
    pub tags: Option<StringMap>,
    pub conversion_strategy: Option<ConversionStrategy>,
    pub decoding_strategy: Option<DecodingStrategy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindName {
    pub regexp: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretRewrite {
    pub regexp: Option<RewriteRegexp>,
    pub transform: Option<RewriteTransform>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewriteRegexp {
    pub source: String,
    pub target: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewriteTransform {
    pub template: String,
}
