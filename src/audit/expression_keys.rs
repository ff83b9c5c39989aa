//! Which `config.toml` keys of Stalwart 0.15 hold expressions.
//!
//! A key takes an expression when its last segment is `if`, `then` or `else`,
//! or when the whole flattened key matches one of
//! [`STALWART_0_15_EXPRESSION_KEYS`]. The first rule covers expression blocks:
//! arrays of `{ if, then }` tables closed by `{ else }`, written inline, as
//! `[[table]]`s or by hand as `key.<n>.if`.

/// Key patterns whose values Stalwart 0.15 parses as expressions, from the
/// settings that `crates/common/src/config/` reads with `IfBlock::try_parse`
/// or `Expression::try_parse`.
///
/// In a pattern `*` matches exactly one key segment and a final `**` matches
/// one or more segments. Segments are compared case-sensitively, as Stalwart
/// does.
// NOTE: the list covers the settings a tenant configuration uses; an
// expression under a key missing from it is not audited.
pub const STALWART_0_15_EXPRESSION_KEYS: &[&str] = &[
    // SMTP session stages: every setting below them is an expression.
    "session.connect.**",
    "session.ehlo.**",
    "session.auth.**",
    "session.mail.**",
    "session.rcpt.**",
    "session.data.**",
    "session.extensions.**",
    "session.timeout",
    "session.duration",
    "session.transfer-limit",
    "session.milter.*.enable",
    "session.hook.*.enable",
    // Outbound queue strategies, rate limiters and quotas.
    "queue.strategy.route",
    "queue.strategy.schedule",
    "queue.strategy.connection",
    "queue.strategy.tls",
    "queue.limiter.inbound.*.match",
    "queue.limiter.outbound.*.match",
    "queue.quota.*.match",
    // Message authentication.
    "auth.dkim.sign",
    "auth.dkim.verify",
    "auth.arc.verify",
    "auth.arc.seal",
    "auth.spf.verify.ehlo",
    "auth.spf.verify.mail-from",
    "auth.dmarc.verify",
    "auth.iprev.verify",
    // Reports.
    "report.**",
    // Sieve scripts run by the server.
    "sieve.trusted.from-addr",
    "sieve.trusted.from-name",
    "sieve.trusted.return-path",
    "sieve.trusted.sign",
    // HTTP.
    "http.url",
    "http.allowed-endpoint",
    // Spam filter rules.
    "spam-filter.rule.*.condition",
    // Outbound connections.
    "server.connect.hostname",
];

/// Returns whether Stalwart 0.15 reads the value of the flattened `key` as an
/// expression.
#[must_use]
pub fn takes_expression(key: &str) -> bool {
    is_expression_block_member(key)
        || STALWART_0_15_EXPRESSION_KEYS
            .iter()
            .any(|pattern| matches_pattern(pattern, key))
}

/// Returns whether `key` is the `if`, `then` or `else` of an expression block.
fn is_expression_block_member(key: &str) -> bool {
    key.rsplit_once('.')
        .is_some_and(|(parent, last)| !parent.is_empty() && matches!(last, "if" | "then" | "else"))
}

/// Matches a dotted `key` against a `pattern` as described on
/// [`STALWART_0_15_EXPRESSION_KEYS`].
#[must_use]
pub fn matches_pattern(pattern: &str, key: &str) -> bool {
    let mut pattern_segments = pattern.split('.').peekable();
    let mut key_segments = key.split('.');
    while let Some(expected) = pattern_segments.next() {
        if expected == "**" && pattern_segments.peek().is_none() {
            return key_segments.next().is_some();
        }
        let Some(actual) = key_segments.next() else {
            return false;
        };
        if expected != "*" && expected != actual {
            return false;
        }
    }
    key_segments.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_star_matches_one_segment() {
        assert!(matches_pattern(
            "queue.quota.*.match",
            "queue.quota.sender.match"
        ));
        assert!(!matches_pattern("queue.quota.*.match", "queue.quota.match"));
        assert!(!matches_pattern(
            "queue.quota.*.match",
            "queue.quota.a.b.match"
        ));
    }

    #[test]
    fn pattern_double_star_matches_rest() {
        assert!(matches_pattern("session.rcpt.**", "session.rcpt.relay"));
        assert!(matches_pattern(
            "session.rcpt.**",
            "session.rcpt.relay.0000.if"
        ));
        assert!(!matches_pattern("session.rcpt.**", "session.rcpt"));
        assert!(!matches_pattern("session.rcpt.**", "session.rcpts.relay"));
    }

    #[test]
    fn pattern_exact_key() {
        assert!(matches_pattern("http.url", "http.url"));
        assert!(!matches_pattern("http.url", "http.url.0000"));
        assert!(!matches_pattern("http.url", "http"));
    }

    #[test]
    fn expression_block_members() {
        assert!(takes_expression("queue.strategy.route.0000.if"));
        assert!(takes_expression("custom.rule.0001.then"));
        assert!(takes_expression("custom.rule.0002.else"));
        assert!(!takes_expression("if"));
        assert!(!takes_expression("custom.ifs"));
    }

    #[test]
    fn plain_keys_take_no_expression() {
        assert!(!takes_expression("server.hostname"));
        assert!(!takes_expression("directory.oidc.endpoint.url"));
        assert!(!takes_expression("server.listener.smtp.bind"));
    }
}
