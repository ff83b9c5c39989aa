//! A reader for the TOML dialect of Stalwart 0.15's `config.toml`.
//!
//! Stalwart does not read its configuration file with a standard TOML parser.
//! Its own parser (`crates/utils/src/config/parser.rs`, read at the
//! stalwartlabs/mail-server copy of the 0.15 source) flattens the file into
//! dotted keys and accepts a dialect that differs from TOML:
//!
//! - single- and double-quoted strings both understand only the escapes `\t`,
//!   `\r` and `\n`. A backslash before any other character yields that
//!   character, so there are no literal strings and no `\u` escapes;
//! - a backslash is remembered even after it was used up by an escape, so in
//!   `"a\\"` the closing quote counts as escaped and the string goes on;
//! - triple-quoted strings (`"""` or `'''`) are taken verbatim, without escapes,
//!   and drop a newline right after the opening quotes;
//! - `key = { "a", "b" }` is a set and yields `key.a = ""` and `key.b = ""`;
//! - arrays yield `key.0000`, `key.0001` … and `[[table]]` headers number
//!   their tables the same way;
//! - unquoted values are runs of alphanumeric characters, `.`, `+` and `-`;
//! - carriage returns are dropped everywhere, even inside strings;
//! - a value must be followed by a newline, so a file whose last value has no
//!   newline after it is rejected;
//! - the rest of a line after a `[table]` header is ignored;
//! - table names outside quotes are lowercased, keys are not.
//!
//! This reader accepts the same files, yields the same keys and values, and
//! also records where each value and each of its characters came from.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::ConfigError;

/// Arrays, inline tables and sets nest at most this deep: Stalwart 0.15
/// rejects the tenth level.
const MAX_NEST_LEVEL: usize = 10;

/// A 1-based line and column in the configuration file, the column counted in
/// characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// The written form of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A single- or double-quoted string, escapes decoded.
    Quoted,
    /// A `"""` or `'''` string, taken verbatim.
    MultiLine,
    /// An unquoted run such as `true`, `587` or `1.5`.
    Bare,
    /// A member of a set `{ "a", "b" }`: the member is the last key segment
    /// and the value is empty.
    SetMember,
}

/// One flattened key of the file with its value and where both came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    /// The flattened key as Stalwart stores it, for example
    /// `session.rcpt.relay.0000.if`.
    pub key: String,
    /// The first character of the key as written on its line, or of the set
    /// member.
    pub key_location: Location,
    /// The decoded value.
    pub value: String,
    pub kind: ValueKind,
    /// The first character of the value as written, the opening quote for
    /// strings.
    pub value_location: Location,
    /// The source location of each character of `value`, in order.
    char_locations: Vec<Location>,
}

impl Leaf {
    /// Returns the file location of the character at `index` (counted in
    /// characters) of the decoded value.
    ///
    /// For a character produced by an escape the location is that of the
    /// character after the backslash, so a decoded `"` points at a `"` in the
    /// file. `\t`, `\r` and `\n` point at the `t`, `r` or `n`.
    #[must_use]
    pub fn location_of(&self, index: usize) -> Option<Location> {
        self.char_locations.get(index).copied()
    }
}

/// Reads a whole `config.toml` and returns every leaf in file order.
pub fn parse(text: &str) -> Result<Vec<Leaf>, ConfigError> {
    let mut parser = Parser::new(text);
    parser.parse_document()?;
    Ok(parser.leaves)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Location of `chars[pos]`, or just past the end of the text.
    location: Location,
    leaves: Vec<Leaf>,
    seen_keys: HashMap<String, Location>,
}

/// The characters of a value being read and their file locations.
struct DecodedString {
    value: String,
    char_locations: Vec<Location>,
}

impl DecodedString {
    fn new() -> Self {
        Self {
            value: String::new(),
            char_locations: Vec::new(),
        }
    }

    fn push(&mut self, ch: char, location: Location) {
        self.value.push(ch);
        self.char_locations.push(location);
    }
}

impl Parser {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            location: Location { line: 1, column: 1 },
            leaves: Vec::new(),
            seen_keys: HashMap::new(),
        }
    }

    fn parse_document(&mut self) -> Result<(), ConfigError> {
        let mut table_name = String::new();
        let mut last_array_name = String::new();
        let mut last_array_position = 0usize;

        while self.seek_next_char() {
            let Some(first) = self.peek() else {
                break;
            };
            match first {
                '[' => {
                    self.parse_table_header(
                        &mut table_name,
                        &mut last_array_name,
                        &mut last_array_position,
                    )?;
                }
                'a'..='z' | 'A'..='Z' | '0'..='9' | '"' => {
                    let prefix = if table_name.is_empty() {
                        String::new()
                    } else {
                        format!("{table_name}.")
                    };
                    let (key, key_location, _) = self.parse_key(prefix, false)?;
                    self.parse_value(&key, key_location, &['\n'], 0)?;
                }
                other => {
                    return Err(self.error_here(format!(
                        "unexpected character {other:?} at the start of a line; \
                         expected a key, a quoted key, a [table] header or a # comment"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Reads `[name]` or `[[name]]` and the rest of its line, which Stalwart
    /// ignores.
    fn parse_table_header(
        &mut self,
        table_name: &mut String,
        last_array_name: &mut String,
        last_array_position: &mut usize,
    ) -> Result<(), ConfigError> {
        let header_location = self.location;
        self.next_char(true, false)?;
        table_name.clear();

        // Stalwart takes the first character after `[` as it is, without the
        // checks and the lowercasing that the following characters get.
        let (first, _) = self.next_char(true, false)?;
        let mut is_array = first == '[';
        if !is_array {
            table_name.push(first);
        }

        let mut in_quote = false;
        let mut last_char = '\0';
        loop {
            let (ch, location) = self.next_char(!in_quote, false)?;
            match ch {
                '"' if !in_quote || last_char != '\\' => in_quote = !in_quote,
                '\\' if in_quote => {}
                ']' if !in_quote => {
                    if table_name.is_empty() {
                        return Err(ConfigError::new(
                            header_location,
                            "empty table name in a [table] header; write [name] or [[name]]",
                        ));
                    }
                    if is_array {
                        if *table_name == *last_array_name {
                            *last_array_position += 1;
                        } else {
                            *last_array_position = 0;
                            last_array_name.clone_from(table_name);
                        }
                        is_array = false;
                        let _ = write!(table_name, ".{last_array_position:04}");
                    } else {
                        break;
                    }
                }
                _ if in_quote => table_name.push(ch),
                _ if ch.is_alphanumeric() || matches!(ch, '.' | '-' | '_') => {
                    table_name.push(ch.to_ascii_lowercase());
                }
                _ => {
                    return Err(ConfigError::new(
                        location,
                        format!(
                            "unexpected character {ch:?} in a table name; unquoted table names \
                             contain letters, digits, '.', '-' and '_', quote other names"
                        ),
                    ));
                }
            }
            last_char = ch;
        }
        self.skip_line();
        Ok(())
    }

    /// Reads a key up to `=` (or, inside an inline table, up to `,` or `}`)
    /// and returns it with the location of its first character and the
    /// character that ended it.
    fn parse_key(
        &mut self,
        mut key: String,
        in_curly: bool,
    ) -> Result<(String, Location, char), ConfigError> {
        let prefix_len = key.len();
        let mut key_location = None;

        while let Some(ch) = self.peek() {
            let location = self.location;
            self.advance();
            match ch {
                '=' | ',' | '}' if ch == '=' || in_curly => {
                    return if key.len() == prefix_len {
                        Err(ConfigError::new(
                            location,
                            format!("missing key before {ch:?}; write a key name first"),
                        ))
                    } else {
                        Ok((key, key_location.unwrap_or(location), ch))
                    };
                }
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => {
                    key_location.get_or_insert(location);
                    key.push(ch);
                }
                '"' => {
                    key_location.get_or_insert(location);
                    self.parse_quoted_key_part(&mut key, location)?;
                }
                ' ' | '\t' | '\r' => {}
                '\n' if key.len() == prefix_len => {}
                '\n' => {
                    return Err(ConfigError::new(
                        location,
                        format!("unexpected end of line in key {key:?}; expected '=' and a value"),
                    ));
                }
                _ => {
                    return Err(ConfigError::new(
                        location,
                        format!(
                            "unexpected character {ch:?} in a key; unquoted keys contain \
                             letters, digits, '.', '_' and '-', quote other keys"
                        ),
                    ));
                }
            }
        }
        Err(self.error_here("unexpected end of file in a key; expected '=' and a value"))
    }

    /// Reads the rest of a quoted part of a key. Every backslash is dropped, and
    /// a quote after a backslash is kept.
    fn parse_quoted_key_part(
        &mut self,
        key: &mut String,
        opening: Location,
    ) -> Result<(), ConfigError> {
        let mut last_char = '\0';
        while let Some(ch) = self.peek() {
            let location = self.location;
            self.advance();
            match ch {
                '\\' => {}
                '"' if last_char != '\\' => return Ok(()),
                '\n' => {
                    return Err(ConfigError::new(
                        location,
                        "unexpected end of line in a quoted key; close the quote on the same line",
                    ));
                }
                _ => key.push(ch),
            }
            last_char = ch;
        }
        Err(ConfigError::new(
            opening,
            "unterminated quoted key: the file ends before the closing '\"'",
        ))
    }

    /// Reads one value for `key` and returns the stop character that ended it.
    fn parse_value(
        &mut self,
        key: &str,
        key_location: Location,
        stop_chars: &[char],
        nest_level: usize,
    ) -> Result<char, ConfigError> {
        if nest_level == MAX_NEST_LEVEL {
            return Err(self.error_here(format!(
                "too many nested arrays or inline tables in {key:?}; \
                 Stalwart reads at most {} levels",
                MAX_NEST_LEVEL - 1
            )));
        }

        let (first, first_location) = self.next_char(true, false)?;
        match first {
            '[' => self.parse_array(key, key_location, nest_level)?,
            '{' => self.parse_inline_table(key, nest_level)?,
            '\'' | '"' => {
                let (decoded, kind) = self.parse_string(first, first_location)?;
                self.insert_leaf(Leaf {
                    key: key.to_string(),
                    key_location,
                    value: decoded.value,
                    kind,
                    value_location: first_location,
                    char_locations: decoded.char_locations,
                })?;
            }
            ch if is_bare_value_char(ch) => {
                let mut decoded = DecodedString::new();
                decoded.push(ch, first_location);
                while let Some(next) = self.peek().filter(|&next| is_bare_value_char(next)) {
                    decoded.push(next, self.location);
                    self.advance();
                }
                self.insert_leaf(Leaf {
                    key: key.to_string(),
                    key_location,
                    value: decoded.value,
                    kind: ValueKind::Bare,
                    value_location: first_location,
                    char_locations: decoded.char_locations,
                })?;
            }
            ch if stop_chars.contains(&ch) => return Ok(ch),
            ch => {
                return Err(ConfigError::new(
                    first_location,
                    format!(
                        "unexpected character {ch:?} at the start of the value of {key:?}; \
                         expected a quoted string, an unquoted value (letters, digits, '.', \
                         '+', '-'), an array or an inline table"
                    ),
                ));
            }
        }

        self.parse_value_end(key, stop_chars)
    }

    /// Reads what follows a value: blanks, comments and newlines up to a stop
    /// character.
    fn parse_value_end(&mut self, key: &str, stop_chars: &[char]) -> Result<char, ConfigError> {
        loop {
            let (ch, location) = self.next_char(true, true).map_err(|error| {
                if stop_chars.contains(&'\n') {
                    ConfigError::new(
                        error.location(),
                        format!(
                            "the file ends right after the value of {key:?}; Stalwart 0.15 \
                             requires a newline after every value, so add one"
                        ),
                    )
                } else {
                    error
                }
            })?;
            match ch {
                '#' => {
                    self.skip_line();
                    if stop_chars.contains(&'\n') {
                        return Ok('\n');
                    }
                }
                ch if stop_chars.contains(&ch) => return Ok(ch),
                '\n' => {}
                ch => {
                    return Err(ConfigError::new(
                        location,
                        format!(
                            "unexpected character {ch:?} after the value of {key:?}; expected {}",
                            describe_stop_chars(stop_chars)
                        ),
                    ));
                }
            }
        }
    }

    fn parse_array(
        &mut self,
        key: &str,
        key_location: Location,
        nest_level: usize,
    ) -> Result<(), ConfigError> {
        let mut position = 0usize;
        self.seek_next_char();
        loop {
            let element_key = format!("{key}.{position:04}");
            match self.parse_value(&element_key, key_location, &[',', ']'], nest_level + 1)? {
                ',' => {
                    self.seek_next_char();
                    position += 1;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Reads an inline table `{ a = 1, b = "x" }` or a set `{ "a", "b" }`;
    /// the two forms may be mixed, as in Stalwart.
    fn parse_inline_table(&mut self, key: &str, nest_level: usize) -> Result<(), ConfigError> {
        let base_key = format!("{key}.");
        loop {
            let (sub_key, sub_key_location, stop) = self.parse_key(base_key.clone(), true)?;
            if stop == '=' {
                self.seek_next_char();
                let end =
                    self.parse_value(&sub_key, sub_key_location, &[',', '}'], nest_level + 1)?;
                if end == '}' {
                    return Ok(());
                }
                self.seek_next_char();
            } else {
                self.insert_leaf(Leaf {
                    key: sub_key,
                    key_location: sub_key_location,
                    value: String::new(),
                    kind: ValueKind::SetMember,
                    value_location: sub_key_location,
                    char_locations: Vec::new(),
                })?;
                if stop == '}' {
                    return Ok(());
                }
            }
        }
    }

    /// Reads a string after its opening quote `quote` at `opening`.
    fn parse_string(
        &mut self,
        quote: char,
        opening: Location,
    ) -> Result<(DecodedString, ValueKind), ConfigError> {
        if self.peek() == Some(quote) {
            self.advance();
            if self.peek() != Some(quote) {
                return Ok((DecodedString::new(), ValueKind::Quoted));
            }
            self.advance();
            return self
                .parse_multi_line_string(quote, opening)
                .map(|decoded| (decoded, ValueKind::MultiLine));
        }

        let mut decoded = DecodedString::new();
        let mut last_char = '\0';
        loop {
            let (ch, location) = self.next_char_in_string(quote, opening)?;
            match ch {
                '\\' if last_char != '\\' => {}
                't' if last_char == '\\' => decoded.push('\t', location),
                'r' if last_char == '\\' => decoded.push('\r', location),
                'n' if last_char == '\\' => decoded.push('\n', location),
                ch if ch != quote || last_char == '\\' => decoded.push(ch, location),
                _ => return Ok((decoded, ValueKind::Quoted)),
            }
            // Stalwart keeps the raw previous character, so a backslash that
            // was itself escaped still escapes the next character.
            last_char = ch;
        }
    }

    /// Reads a `"""` or `'''` string after its opening quotes.
    fn parse_multi_line_string(
        &mut self,
        quote: char,
        opening: Location,
    ) -> Result<DecodedString, ConfigError> {
        if self.peek() == Some('\n') {
            self.advance();
        }

        let mut decoded = DecodedString::new();
        let mut last_char = '\0';
        let mut char_before_last = '\0';
        loop {
            let (ch, location) = self.next_char_in_string(quote, opening)?;
            if ch == quote && last_char == quote && char_before_last == quote {
                // The two quotes before this one end the string, not its text.
                let keep = decoded.char_locations.len().saturating_sub(2);
                decoded.char_locations.truncate(keep);
                decoded.value = decoded.value.chars().take(keep).collect();
                return Ok(decoded);
            }
            decoded.push(ch, location);
            char_before_last = last_char;
            last_char = ch;
        }
    }

    /// Returns the next character inside a string, dropping carriage returns
    /// as Stalwart does, or an error naming the unterminated string.
    fn next_char_in_string(
        &mut self,
        quote: char,
        opening: Location,
    ) -> Result<(char, Location), ConfigError> {
        self.next_char(false, true).map_err(|_| {
            ConfigError::new(
                opening,
                format!("unterminated string: the file ends before the closing {quote:?}"),
            )
        })
    }

    fn insert_leaf(&mut self, leaf: Leaf) -> Result<(), ConfigError> {
        if let Some(first) = self.seen_keys.get(&leaf.key) {
            return Err(ConfigError::new(
                leaf.key_location,
                format!(
                    "duplicate key {:?}, first set at line {}; remove one of the two",
                    leaf.key, first.line
                ),
            ));
        }
        self.seen_keys.insert(leaf.key.clone(), leaf.key_location);
        self.leaves.push(leaf);
        Ok(())
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn advance(&mut self) {
        if let Some(&ch) = self.chars.get(self.pos) {
            self.pos += 1;
            if ch == '\n' {
                self.location.line += 1;
                self.location.column = 1;
            } else {
                self.location.column += 1;
            }
        }
    }

    /// Skips blanks, newlines and comments; returns whether anything is left.
    fn seek_next_char(&mut self) -> bool {
        while let Some(ch) = self.peek() {
            match ch {
                '\n' | '\r' | ' ' | '\t' => self.advance(),
                '#' => self.skip_line(),
                _ => return true,
            }
        }
        false
    }

    /// Returns the next character other than `\r` (and other than blanks when
    /// `skip_blanks`), with its location. A newline is an error unless
    /// `allow_newline`.
    fn next_char(
        &mut self,
        skip_blanks: bool,
        allow_newline: bool,
    ) -> Result<(char, Location), ConfigError> {
        while let Some(ch) = self.peek() {
            let location = self.location;
            self.advance();
            match ch {
                '\r' => {}
                ' ' | '\t' if skip_blanks => {}
                '\n' if !allow_newline => {
                    return Err(ConfigError::new(
                        location,
                        "unexpected end of line; the value or header continues on this line",
                    ));
                }
                _ => return Ok((ch, location)),
            }
        }
        Err(self.error_here("unexpected end of file"))
    }

    fn skip_line(&mut self) {
        while let Some(ch) = self.peek() {
            self.advance();
            if ch == '\n' {
                break;
            }
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.location, message)
    }
}

fn is_bare_value_char(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '.' | '+' | '-')
}

fn describe_stop_chars(stop_chars: &[char]) -> &'static str {
    match stop_chars {
        [',', ']'] => "',' or ']' in the array",
        [',', '}'] => "',' or '}' in the inline table",
        _ => "the end of the line or a # comment",
    }
}
