//! The expression audit of a Stalwart `config.toml`.
