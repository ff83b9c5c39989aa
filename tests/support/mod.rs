//! Helpers shared by the script tests.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

pub mod fake_stalwart;
pub mod http;
pub mod powerdns;
pub mod rendered;
pub mod script;
