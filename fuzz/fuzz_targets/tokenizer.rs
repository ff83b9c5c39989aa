//! Fuzzes the expression tokenizer: it must not panic, and every problem must
//! name a character of the expression that matches its kind.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stalwart_tenant::audit::ProblemKind;
use stalwart_tenant::audit::tokenizer::tokenize;

fuzz_target!(|data: &[u8]| {
    let Ok(expression) = std::str::from_utf8(data) else {
        return;
    };
    let chars: Vec<char> = expression.chars().collect();
    let tokenized = tokenize(expression);

    for token in &tokenized.tokens {
        assert!(
            token.offset < chars.len(),
            "token {token:?} outside {expression:?}"
        );
    }

    for problem in &tokenized.problems {
        let named = chars.get(problem.offset).copied();
        let expected: &[char] = match problem.kind {
            ProblemKind::BareEquals
            | ProblemKind::ReversedComparison
            | ProblemKind::ExtraEquals => &['='],
            ProblemKind::UnterminatedString => &['\'', '"'],
            ProblemKind::UnclosedDelimiter => &['(', '['],
            ProblemKind::UnmatchedClose => &[')', ']'],
            // The first character of the operator that lacks a value.
            ProblemKind::MissingOperand => &['=', '!', '<', '>', '&', '|', '^', '+', '-', '*', '/'],
        };
        assert!(
            named.is_some_and(|ch| expected.contains(&ch)),
            "problem {problem:?} names {named:?} in {expression:?}"
        );

        // A fixed expression has no `=` mistakes left.
        if let Some(fixed) = &problem.fixed {
            let left = tokenize(fixed).problems;
            assert!(
                left.iter().all(|problem| !matches!(
                    problem.kind,
                    ProblemKind::BareEquals
                        | ProblemKind::ReversedComparison
                        | ProblemKind::ExtraEquals
                )),
                "fix {fixed:?} of {expression:?} still has {left:?}"
            );
        }
    }
});
