//! `cert-manager.io/v1` `Certificate`, with the fields of cert-manager v1.21.1
//! except `spec.renewal`, which is new in that line of releases and which an
//! older cert-manager drops without an error.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

use super::StringMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: CertificateSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// Secret that receives the key pair and certificate.
    pub secret_name: String,
    pub issuer_ref: IssuerReference,
    pub common_name: Option<String>,
    pub dns_names: Option<Vec<String>>,
    pub ip_addresses: Option<Vec<String>>,
    pub uris: Option<Vec<String>>,
    pub email_addresses: Option<Vec<String>>,
    pub other_names: Option<Vec<OtherName>>,
    pub subject: Option<X509Subject>,
    pub literal_subject: Option<String>,
    /// Go duration such as `2160h`.
    pub duration: Option<String>,
    /// Go duration such as `360h`.
    pub renew_before: Option<String>,
    pub renew_before_percentage: Option<i32>,
    #[serde(rename = "isCA")]
    pub is_ca: Option<bool>,
    pub usages: Option<Vec<KeyUsage>>,
    pub private_key: Option<CertificatePrivateKey>,
    pub signature_algorithm: Option<SignatureAlgorithm>,
    pub encode_usages_in_request: Option<bool>,
    pub revision_history_limit: Option<i32>,
    pub secret_template: Option<CertificateSecretTemplate>,
    pub keystores: Option<CertificateKeystores>,
    pub additional_output_formats: Option<Vec<AdditionalOutputFormat>>,
    pub name_constraints: Option<NameConstraints>,
}

/// `Issuer` or `ClusterIssuer` that signs the certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerReference {
    pub name: String,
    pub kind: Option<String>,
    pub group: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OtherName {
    pub oid: Option<String>,
    pub utf8_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct X509Subject {
    pub organizations: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
    pub organizational_units: Option<Vec<String>>,
    pub localities: Option<Vec<String>>,
    pub provinces: Option<Vec<String>>,
    pub street_addresses: Option<Vec<String>>,
    pub postal_codes: Option<Vec<String>>,
    pub serial_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum KeyUsage {
    #[serde(rename = "signing")]
    Signing,
    #[serde(rename = "digital signature")]
    DigitalSignature,
    #[serde(rename = "content commitment")]
    ContentCommitment,
    #[serde(rename = "key encipherment")]
    KeyEncipherment,
    #[serde(rename = "key agreement")]
    KeyAgreement,
    #[serde(rename = "data encipherment")]
    DataEncipherment,
    #[serde(rename = "cert sign")]
    CertSign,
    #[serde(rename = "crl sign")]
    CrlSign,
    #[serde(rename = "encipher only")]
    EncipherOnly,
    #[serde(rename = "decipher only")]
    DecipherOnly,
    #[serde(rename = "any")]
    Any,
    #[serde(rename = "server auth")]
    ServerAuth,
    #[serde(rename = "client auth")]
    ClientAuth,
    #[serde(rename = "code signing")]
    CodeSigning,
    #[serde(rename = "email protection")]
    EmailProtection,
    #[serde(rename = "s/mime")]
    Smime,
    #[serde(rename = "ipsec end system")]
    IpsecEndSystem,
    #[serde(rename = "ipsec tunnel")]
    IpsecTunnel,
    #[serde(rename = "ipsec user")]
    IpsecUser,
    #[serde(rename = "timestamping")]
    Timestamping,
    #[serde(rename = "ocsp signing")]
    OcspSigning,
    #[serde(rename = "microsoft sgc")]
    MicrosoftSgc,
    #[serde(rename = "netscape sgc")]
    NetscapeSgc,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificatePrivateKey {
    pub rotation_policy: Option<RotationPolicy>,
    pub encoding: Option<PrivateKeyEncoding>,
    pub algorithm: Option<PrivateKeyAlgorithm>,
    /// Key size in bits (RSA) or curve size (ECDSA).
    pub size: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RotationPolicy {
    Never,
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PrivateKeyEncoding {
    #[serde(rename = "PKCS1")]
    Pkcs1,
    #[serde(rename = "PKCS8")]
    Pkcs8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PrivateKeyAlgorithm {
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "ECDSA")]
    Ecdsa,
    Ed25519,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SignatureAlgorithm {
    #[serde(rename = "SHA256WithRSA")]
    Sha256WithRsa,
    #[serde(rename = "SHA384WithRSA")]
    Sha384WithRsa,
    #[serde(rename = "SHA512WithRSA")]
    Sha512WithRsa,
    #[serde(rename = "ECDSAWithSHA256")]
    EcdsaWithSha256,
    #[serde(rename = "ECDSAWithSHA384")]
    EcdsaWithSha384,
    #[serde(rename = "ECDSAWithSHA512")]
    EcdsaWithSha512,
    PureEd25519,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSecretTemplate {
    pub annotations: Option<StringMap>,
    pub labels: Option<StringMap>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateKeystores {
    pub jks: Option<JksKeystore>,
    pub pkcs12: Option<Pkcs12Keystore>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JksKeystore {
    pub create: bool,
    pub alias: Option<String>,
    pub password: Option<String>,
    pub password_secret_ref: Option<SecretKeySelector>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pkcs12Keystore {
    pub create: bool,
    pub password: Option<String>,
    pub password_secret_ref: Option<SecretKeySelector>,
    pub profile: Option<Pkcs12Profile>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Pkcs12Profile {
    #[serde(rename = "LegacyRC2")]
    LegacyRc2,
    #[serde(rename = "LegacyDES")]
    LegacyDes,
    Modern2023,
    Modern2026,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeySelector {
    pub name: String,
    pub key: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalOutputFormat {
    #[serde(rename = "type")]
    pub format_type: AdditionalOutputFormatType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum AdditionalOutputFormatType {
    #[serde(rename = "DER")]
    Der,
    #[serde(rename = "CombinedPEM")]
    CombinedPem,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameConstraints {
    pub critical: Option<bool>,
    pub permitted: Option<NameConstraintItems>,
    pub excluded: Option<NameConstraintItems>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameConstraintItems {
    pub dns_domains: Option<Vec<String>>,
    pub ip_ranges: Option<Vec<String>>,
    pub email_addresses: Option<Vec<String>>,
    pub uri_domains: Option<Vec<String>>,
}
