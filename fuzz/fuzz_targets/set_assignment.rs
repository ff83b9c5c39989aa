//! Fuzzes `--set` and `--set-string`: after a first byte that picks the
//! flag, each input line is one PATH=VALUE flag. Parsing and applying them
//! onto the embedded defaults must not panic, and neither must the full
//! load with the same flags.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stalwart_tenant::diagnostic::SourceText;
use stalwart_tenant::values::node::parse_yaml;
use stalwart_tenant::values::{self, DEFAULT_VALUES, Input, set};

fuzz_target!(|data: &[u8]| {
    // The first byte picks --set or --set-string, so both parsers are reached.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let keep_string = mode % 2 == 1;
    let flag = if keep_string { "--set-string" } else { "--set" };
    let flags: Vec<&str> = text.lines().collect();

    let Ok(mut tree) = parse_yaml(&SourceText::new("values.yaml", DEFAULT_VALUES)) else {
        panic!("the embedded values.yaml does not parse");
    };
    for flag_text in &flags {
        if let Ok(assignment) = set::parse_assignment(flag_text, flag, keep_string) {
            let _ = set::apply(&mut tree, assignment);
        }
    }

    let inputs: Vec<Input> = flags
        .iter()
        .map(|flag_text| {
            if keep_string {
                Input::SetString((*flag_text).to_owned())
            } else {
                Input::Set((*flag_text).to_owned())
            }
        })
        .collect();
    if let Err(problems) = values::load(&inputs, &mut std::io::empty()) {
        for problem in &problems {
            let _ = problem.to_string();
        }
    }
});
