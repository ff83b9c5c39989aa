//! Fuzzes the values loader on arbitrary bytes given as the values file
//! (`-f -`, read from stdin): it must not panic, and it must either type the
//! values or report at least one error.

#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use stalwart_tenant::values::{self, Input};

fuzz_target!(|data: &[u8]| {
    let inputs = [Input::File(PathBuf::from("-"))];
    let mut stdin = data;
    if let Err(problems) = values::load(&inputs, &mut stdin) {
        assert!(
            problems.iter().any(|problem| problem.is_error()),
            "load failed without an error: {problems:?}"
        );
        for problem in &problems {
            // Formatting prints the source snippet, which must not panic on any input.
            let _ = problem.to_string();
        }
    }
});
