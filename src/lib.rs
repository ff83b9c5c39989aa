//! Renders the Kubernetes manifests for one organisation's Stalwart mail server.
//!
//! The pipeline, one module per step: [`values`] loads and types the tenant
//! values, [`gates`] decides which templates render, [`render`] runs the
//! embedded templates, [`audit`] checks every Stalwart expression in the
//! rendered `config.toml`, [`check`] parses every object back and checks it
//! against its Kubernetes type, and [`output`] writes the result.

pub mod audit;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod dns;
pub mod gates;
pub mod generation;
pub mod output;
pub mod render;
pub mod values;
