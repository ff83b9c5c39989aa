//! Fuzzes the config audit: it must not panic, and every finding's line and
//! column must point at the character of the expression it names.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stalwart_tenant::audit::audit_config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(findings) = audit_config(text) else {
        return;
    };
    for finding in findings {
        let named = finding.expression.chars().nth(finding.offset);
        let at_location = text
            .split('\n')
            .nth(finding.line - 1)
            .and_then(|line| line.chars().nth(finding.column - 1));
        assert!(named.is_some(), "finding {finding:?} names no character");
        assert_eq!(at_location, named, "finding {finding:?} in {text:?}");
    }
});
