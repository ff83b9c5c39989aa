//! An expression tokenizer modelled on Stalwart 0.15's
//! (`crates/common/src/expr/tokenizer.rs`), which reports the mistakes that
//! make Stalwart read an expression differently from how it was written.
//!
//! Stalwart 0.15 reads a single `=` as `==` and skips the character after it,
//! so `local_port=587` means `local_port == 87` and `rcpt_domain='x'` fails to
//! parse, after which Stalwart falls back to the key's default. `=>` and `=<`
//! are read as `>=` and `<=`. This tokenizer reports every `=` outside a string
//! literal that is not part of `==`, `!=`, `>=` or `<=`, every unterminated
//! string literal and every unbalanced parenthesis or bracket.
//!
//! The fix rule changes only the operator and never the blanks around it. A
//! single `=` becomes `==`, so `local_port=587` becomes `local_port==587` and
//! `rcpt_domain = 'x'` becomes `rcpt_domain == 'x'`. `=>` becomes `>=` and `=<`
//! becomes `<=`. An extra `=` right after `==`, `!=`, `>=` or `<=` is removed.

use std::fmt::{self, Write as _};

/// An operator of Stalwart's expression language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `&&` or `&`.
    And,
    /// `||` or `|`.
    Or,
    Xor,
    Not,
    Add,
    /// `-`, binary or unary.
    Minus,
    Multiply,
    Divide,
}

/// The kind of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A string literal; the token text includes the quotes.
    String,
    Number,
    /// A variable, constant or duration such as `rcpt_domain` or `1d`.
    Identifier,
    /// An identifier written directly before `(`.
    Function,
    /// A `%{env:NAME}%`, `%{file:/path}%` or `%{cfg:key}%` macro, which
    /// Stalwart replaces before it parses the expression.
    Macro,
    Operator(Operator),
    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    /// A character outside the expression language, such as a tab or `@`.
    // NOTE: Stalwart 0.15 rejects these characters, but the audit does not
    // report them because its scope is mistakes that change the meaning.
    Unknown,
}

/// One token with its position in the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Char offset of the first character of the token.
    pub offset: usize,
    /// The token as written.
    pub text: String,
}

/// The kind of mistake an [`ExpressionProblem`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A single `=` used as a comparison.
    BareEquals,
    /// `=>` or `=<` in place of `>=` or `<=`.
    ReversedComparison,
    /// An `=` right after `==`, `!=`, `>=` or `<=`.
    ExtraEquals,
    UnterminatedString,
    /// A `(` or `[` that is never closed.
    UnclosedDelimiter,
    /// A `)` or `]` without an open `(` or `[` of its kind before it.
    UnmatchedClose,
    /// A binary operator without a value on one side, such as a trailing
    /// `&&` or `==` right after `(`: Stalwart cannot parse the expression
    /// and falls back to the key's built-in default.
    MissingOperand,
}

/// One mistake in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionProblem {
    pub kind: ProblemKind,
    /// Char offset of the offending character: the `=`, the opening quote or
    /// the parenthesis or bracket.
    pub offset: usize,
    pub message: String,
    /// The whole expression with every `=` mistake corrected, for `=`
    /// mistakes only. Other mistakes in the same expression stay as written.
    pub fixed: Option<String>,
}

impl fmt::Display for ExpressionProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "at character {}: {}",
            self.offset + 1,
            self.message
        )
    }
}

/// The tokens of an expression and the mistakes found while reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokenized {
    pub tokens: Vec<Token>,
    /// Mistakes sorted by offset.
    pub problems: Vec<ExpressionProblem>,
}

/// A replacement of `remove` characters at `offset` by `insert`.
struct Edit {
    offset: usize,
    remove: usize,
    insert: &'static str,
}

/// Splits `expression` into tokens and reports its mistakes.
///
/// Like Stalwart 0.15, reading stops at a `}` outside a string literal or
/// macro, and a quote preceded by a backslash inside a string literal does not
/// end it, even when that backslash follows another backslash.
#[must_use]
pub fn tokenize(expression: &str) -> Tokenized {
    let chars: Vec<char> = expression.chars().collect();
    let mut scanner = Scanner {
        chars: &chars,
        tokens: Vec::new(),
        problems: Vec::new(),
        edits: Vec::new(),
        open_delimiters: Vec::new(),
        comparison_end: None,
    };
    scanner.run();

    let Scanner {
        mut tokens,
        mut problems,
        mut edits,
        open_delimiters,
        ..
    } = scanner;

    for (open, offset) in open_delimiters {
        let close = if open == '(' { ')' } else { ']' };
        problems.push(ExpressionProblem {
            kind: ProblemKind::UnclosedDelimiter,
            offset,
            message: format!("`{open}` is never closed; add the matching `{close}`"),
            fixed: None,
        });
    }

    if !edits.is_empty() {
        let fixed = apply_edits(&chars, &mut edits);
        for problem in &mut problems {
            if matches!(
                problem.kind,
                ProblemKind::BareEquals
                    | ProblemKind::ReversedComparison
                    | ProblemKind::ExtraEquals
            ) {
                problem.fixed = Some(fixed.clone());
            }
        }
    }

    problems.sort_by_key(|problem| problem.offset);
    tokens.sort_by_key(|token| token.offset);
    // Operand checks read the token order, which any earlier problem (a
    // bare `=` swallows the next character) already makes unreliable.
    if problems.is_empty() {
        problems.extend(missing_operands(&tokens));
        problems.sort_by_key(|problem| problem.offset);
    }
    Tokenized { tokens, problems }
}

/// The kind of an open delimiter, for the operand checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Parenthesis,
    /// The argument list of a function call.
    Call,
    Array,
}

/// Finds binary operators without a value on one side: `a &&`, `(== b)`,
/// `a && || b`, `f(a,)`. Unary `!` and `-` may stand before a value.
fn missing_operands(tokens: &[Token]) -> Vec<ExpressionProblem> {
    let mut problems = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut expect_value = true;
    // True right after `f(` or `[`, where a close is an empty list.
    let mut may_close_empty = false;
    let mut call_pending = false;
    let mut last_operator: Option<&Token> = None;
    let missing = |token: &Token, side: &str| ExpressionProblem {
        kind: ProblemKind::MissingOperand,
        offset: token.offset,
        message: format!(
            "`{}` has no value on its {side}; Stalwart cannot parse the expression and uses the built-in default instead",
            token.text
        ),
        fixed: None,
    };
    for token in tokens {
        let opened_empty = may_close_empty;
        may_close_empty = false;
        match &token.kind {
            TokenKind::String | TokenKind::Number | TokenKind::Identifier | TokenKind::Macro => {
                expect_value = false;
            }
            TokenKind::Function => {
                expect_value = false;
                call_pending = true;
                continue;
            }
            // Unary operators stand before a value.
            TokenKind::Operator(Operator::Not) | TokenKind::Unknown => {}
            TokenKind::Operator(Operator::Minus) if expect_value => {}
            TokenKind::Operator(_) => {
                if expect_value {
                    problems.push(missing(token, "left"));
                }
                expect_value = true;
                last_operator = Some(token);
            }
            TokenKind::OpenParen => {
                groups.push(if call_pending {
                    Group::Call
                } else {
                    Group::Parenthesis
                });
                may_close_empty = call_pending;
                expect_value = true;
            }
            TokenKind::OpenBracket => {
                groups.push(Group::Array);
                may_close_empty = true;
                expect_value = true;
            }
            TokenKind::CloseParen | TokenKind::CloseBracket => {
                if expect_value
                    && !opened_empty
                    && let Some(operator) = last_operator.filter(|o| o.offset < token.offset)
                {
                    problems.push(missing(operator, "right"));
                }
                groups.pop();
                expect_value = false;
            }
            TokenKind::Comma => {
                if expect_value
                    && let Some(operator) = last_operator.filter(|o| o.offset < token.offset)
                {
                    problems.push(missing(operator, "right"));
                }
                expect_value = true;
            }
        }
        call_pending = false;
    }
    if expect_value
        && !tokens.is_empty()
        && let Some(operator) = last_operator
    {
        problems.push(missing(operator, "right"));
    }
    problems.dedup_by_key(|p| p.offset);
    problems
}

struct Scanner<'a> {
    chars: &'a [char],
    tokens: Vec<Token>,
    problems: Vec<ExpressionProblem>,
    edits: Vec<Edit>,
    /// Open `(` and `[` with their offsets, innermost last.
    open_delimiters: Vec<(char, usize)>,
    /// Offset just after the last comparison operator and any extra `=`
    /// glued to it, where a further `=` is an extra one.
    comparison_end: Option<usize>,
}

impl Scanner<'_> {
    fn run(&mut self) {
        let mut index = 0;
        while let Some(&ch) = self.chars.get(index) {
            index = match ch {
                _ if is_word_start(ch) => self.scan_word(index),
                '"' | '\'' => match self.scan_string(index, ch) {
                    Some(next) => next,
                    None => return,
                },
                '}' => return,
                '%' if self.chars.get(index + 1) == Some(&'{') => self.scan_macro(index),
                '=' => self.scan_equals(index),
                '!' | '>' | '<' => {
                    let operator = match (ch, self.chars.get(index + 1) == Some(&'=')) {
                        ('!', true) => Operator::Ne,
                        ('!', false) => Operator::Not,
                        ('>', true) => Operator::Ge,
                        ('>', false) => Operator::Gt,
                        ('<', true) => Operator::Le,
                        _ => Operator::Lt,
                    };
                    let length = if self.chars.get(index + 1) == Some(&'=') {
                        2
                    } else {
                        1
                    };
                    self.push_token(TokenKind::Operator(operator), index, length)
                }
                '&' | '|' => {
                    let operator = if ch == '&' {
                        Operator::And
                    } else {
                        Operator::Or
                    };
                    let length = if self.chars.get(index + 1) == Some(&ch) {
                        2
                    } else {
                        1
                    };
                    self.push_token(TokenKind::Operator(operator), index, length)
                }
                '^' => self.push_token(TokenKind::Operator(Operator::Xor), index, 1),
                '+' => self.push_token(TokenKind::Operator(Operator::Add), index, 1),
                '-' => self.push_token(TokenKind::Operator(Operator::Minus), index, 1),
                '*' => self.push_token(TokenKind::Operator(Operator::Multiply), index, 1),
                '/' => self.push_token(TokenKind::Operator(Operator::Divide), index, 1),
                ',' => self.push_token(TokenKind::Comma, index, 1),
                '(' | '[' => {
                    self.open_delimiters.push((ch, index));
                    let kind = if ch == '(' {
                        TokenKind::OpenParen
                    } else {
                        TokenKind::OpenBracket
                    };
                    self.push_token(kind, index, 1)
                }
                ')' | ']' => self.scan_close(index, ch),
                ' ' | '\r' | '\n' => index + 1,
                _ => self.push_token(TokenKind::Unknown, index, 1),
            };
        }
    }

    fn push_token(&mut self, kind: TokenKind, offset: usize, length: usize) -> usize {
        let end = (offset + length).min(self.chars.len());
        if let TokenKind::Operator(Operator::Eq | Operator::Ne | Operator::Ge | Operator::Le) = kind
        {
            // A single `=` read as `==` is not followed by extra `=`.
            if length == 2 {
                self.comparison_end = Some(end);
            }
        }
        self.tokens.push(Token {
            kind,
            offset,
            text: self.chars[offset..end].iter().collect(),
        });
        end
    }

    /// Reads a variable, constant, function name or number. As in Stalwart,
    /// `:` belongs to a word that contains a dot and `*` to a word that ends in
    /// a dot.
    fn scan_word(&mut self, start: usize) -> usize {
        let mut has_alpha = false;
        let mut has_digit = false;
        let mut has_dot = false;
        let mut end = start;
        while let Some(&ch) = self.chars.get(end) {
            let belongs = match ch {
                'A'..='Z' | 'a'..='z' | '_' | '$' => {
                    has_alpha = true;
                    true
                }
                '0'..='9' => {
                    has_digit = true;
                    true
                }
                '.' => {
                    has_dot = true;
                    true
                }
                ':' => has_dot,
                '*' => end > start && self.chars[end - 1] == '.',
                _ => false,
            };
            if !belongs {
                break;
            }
            end += 1;
        }

        let kind = if has_digit && !has_alpha {
            TokenKind::Number
        } else if self.chars.get(end) == Some(&'(') {
            TokenKind::Function
        } else {
            TokenKind::Identifier
        };
        self.push_token(kind, start, end - start)
    }

    /// Reads a string literal opened at `start`; returns `None` when it never
    /// ends, which consumes the rest of the expression.
    fn scan_string(&mut self, start: usize, quote: char) -> Option<usize> {
        let mut index = start + 1;
        let mut previous = '\0';
        let mut escaped_quote_seen = false;
        while let Some(&ch) = self.chars.get(index) {
            if ch == quote {
                if previous != '\\' {
                    return Some(self.push_token(TokenKind::String, start, index + 1 - start));
                }
                escaped_quote_seen = true;
            }
            previous = ch;
            index += 1;
        }

        let mut message = format!(
            "unterminated string literal: the quote `{quote}` here is never closed; \
             add the closing `{quote}`"
        );
        if escaped_quote_seen {
            let _ = write!(
                message,
                ". Stalwart 0.15 reads a `{quote}` after a backslash as part of the string, \
                 even after an escaped backslash"
            );
        }
        self.problems.push(ExpressionProblem {
            kind: ProblemKind::UnterminatedString,
            offset: start,
            message,
            fixed: None,
        });
        self.push_token(TokenKind::String, start, self.chars.len() - start);
        None
    }

    /// Reads a `%{…}%` macro as one opaque token; a `%{` without `}%` is an
    /// unknown character.
    fn scan_macro(&mut self, start: usize) -> usize {
        let end = (start + 2..self.chars.len().saturating_sub(1))
            .find(|&index| self.chars[index] == '}' && self.chars[index + 1] == '%');
        match end {
            Some(close) => self.push_token(TokenKind::Macro, start, close + 2 - start),
            None => self.push_token(TokenKind::Unknown, start, 1),
        }
    }

    fn scan_equals(&mut self, index: usize) -> usize {
        if self.comparison_end == Some(index) {
            self.problems.push(ExpressionProblem {
                kind: ProblemKind::ExtraEquals,
                offset: index,
                message: "extra '=' after a comparison operator: Stalwart 0.15 reads it as \
                          another '==' and drops the character after it; remove it"
                    .to_string(),
                fixed: None,
            });
            self.edits.push(Edit {
                offset: index,
                remove: 1,
                insert: "",
            });
            self.comparison_end = Some(index + 1);
            return index + 1;
        }

        let next = self.chars.get(index + 1).copied();
        match next {
            Some('=') => return self.push_token(TokenKind::Operator(Operator::Eq), index, 2),
            Some(direction @ ('>' | '<')) => {
                let (written, replacement, operator) = if direction == '>' {
                    ("=>", ">=", Operator::Ge)
                } else {
                    ("=<", "<=", Operator::Le)
                };
                self.problems.push(ExpressionProblem {
                    kind: ProblemKind::ReversedComparison,
                    offset: index,
                    message: format!(
                        "{written:?} is not an operator; Stalwart 0.15 happens to read it as \
                         {replacement:?}, write {replacement:?}"
                    ),
                    fixed: None,
                });
                self.edits.push(Edit {
                    offset: index,
                    remove: 2,
                    insert: replacement,
                });
                return self.push_token(TokenKind::Operator(operator), index, 2);
            }
            _ => {}
        }

        let consequence = match next {
            None => "the expression ends after it".to_string(),
            Some(blank) if blank.is_whitespace() => format!(
                "Stalwart 0.15 drops the {} after it and so reads it as '==' by accident",
                describe_blank(blank)
            ),
            Some(other) => format!(
                "Stalwart 0.15 reads it as '==' and drops the next character {other:?}, \
                 which changes the expression"
            ),
        };
        self.problems.push(ExpressionProblem {
            kind: ProblemKind::BareEquals,
            offset: index,
            message: format!("single '=' is not the equality operator: {consequence}; write '=='"),
            fixed: None,
        });
        self.edits.push(Edit {
            offset: index,
            remove: 1,
            insert: "==",
        });
        self.push_token(TokenKind::Operator(Operator::Eq), index, 1)
    }

    fn scan_close(&mut self, index: usize, close: char) -> usize {
        let expected_open = if close == ')' { '(' } else { '[' };
        let kind = if close == ')' {
            TokenKind::CloseParen
        } else {
            TokenKind::CloseBracket
        };
        match self.open_delimiters.last().copied() {
            Some((open, _)) if open == expected_open => {
                self.open_delimiters.pop();
            }
            Some((open, _)) => {
                // The mismatched pair counts as closed, so one mistake yields
                // one problem.
                self.open_delimiters.pop();
                let open_close = if open == '(' { ')' } else { ']' };
                self.problems.push(ExpressionProblem {
                    kind: ProblemKind::UnmatchedClose,
                    offset: index,
                    message: format!(
                        "{close:?} does not match the {open:?} before it; \
                         close that one with {open_close:?}"
                    ),
                    fixed: None,
                });
            }
            None => {
                self.problems.push(ExpressionProblem {
                    kind: ProblemKind::UnmatchedClose,
                    offset: index,
                    message: format!("{close:?} has no matching {expected_open:?} before it"),
                    fixed: None,
                });
            }
        }
        self.push_token(kind, index, 1)
    }
}

fn is_word_start(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '_' | '$' | '.')
}

fn describe_blank(blank: char) -> &'static str {
    match blank {
        ' ' => "space",
        '\n' => "newline",
        '\t' => "tab",
        _ => "blank",
    }
}

/// Applies `edits`, whose offsets are distinct, to `chars`.
fn apply_edits(chars: &[char], edits: &mut [Edit]) -> String {
    edits.sort_by_key(|edit| edit.offset);
    let mut fixed = String::with_capacity(chars.len() + edits.len());
    let mut index = 0;
    for edit in edits.iter() {
        fixed.extend(&chars[index..edit.offset]);
        fixed.push_str(edit.insert);
        index = edit.offset + edit.remove;
    }
    fixed.extend(&chars[index.min(chars.len())..]);
    fixed
}
