//! Did-you-mean suggestions for misspelled keys and choices.

/// Returns the candidate closest to `input`, if any is close enough to be a
/// likely typo: the same word in another case, or a small edit distance
/// relative to the word's length.
#[must_use]
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = input.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == lowered {
            return Some(candidate);
        }
        let distance = strsim::damerau_levenshtein(&lowered, &candidate.to_lowercase());
        let longest = lowered
            .chars()
            .count()
            .max(candidate.chars().count())
            .max(1);
        #[allow(clippy::cast_precision_loss)]
        let score = distance as f64 / longest as f64;
        if distance <= 3 && score <= 0.4 && best.is_none_or(|(_, s)| score < s) {
            best = Some((candidate, score));
        }
    }
    best.map(|(candidate, _)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_case_difference() {
        assert_eq!(
            closest("realmUrl", ["realmURL", "clientID"]),
            Some("realmURL")
        );
    }

    #[test]
    fn suggests_small_typo() {
        assert_eq!(closest("primry", ["primary", "mode"]), Some("primary"));
        assert_eq!(closest("hostnme", ["hostname", "image"]), Some("hostname"));
    }

    #[test]
    fn rejects_unrelated_word() {
        assert_eq!(closest("banana", ["primary", "mode"]), None);
        assert_eq!(closest("x", ["mode"]), None);
    }
}
