//! The nom 8 parser behind [`super::parse`] and [`crate::path::parse_path`].
//!
//! Lexical pieces (names, URNs, operators, JSON literals) are nom parsers; the boolean structure
//! is a small recursive descent over them so that nesting is counted ([`MAX_DEPTH`]) and the
//! error can name the furthest position reached and what the grammar wanted there.

use std::borrow::Cow;

use nom::bytes::complete::take_while1;
use nom::character::complete::{char, satisfy};
use nom::combinator::{opt, recognize};
use nom::error::ErrorKind;
use nom::sequence::pair;
use nom::{IResult, Parser};

use super::{AttrPath, CompValue, CompactString, CompareOp, Filter, ParseError};

/// How deeply `(`, `not (` and `[` may nest. Deep enough for any real filter, shallow enough
/// that the recursive descent (and the recursive printer and evaluator) cannot exhaust a stack.
pub const MAX_DEPTH: usize = 64;

/// How many attribute expressions one filter may hold. `and`/`or` chains build left-deep trees;
/// bounding their length bounds the depth every later recursive walk has to go.
pub const MAX_TERMS: usize = 1000;

/// The parser's error: where (the unparsed rest of the input) and what was expected there.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    rest: &'a str,
    expected: Cow<'static, str>,
}

impl<'a> PErr<'a> {
    fn at(rest: &'a str, expected: impl Into<Cow<'static, str>>) -> Self {
        PErr { rest, expected: expected.into() }
    }
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        PErr::at(input, "valid filter syntax")
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Between alternatives, keep the one that got furthest: it names the real problem.
    fn or(self, other: Self) -> Self {
        if other.rest.len() < self.rest.len() { other } else { self }
    }
}

type Res<'a, O> = IResult<&'a str, O, PErr<'a>>;

/// A recoverable error (an alternative may still match) with a message.
fn soft<'a, O>(rest: &'a str, expected: impl Into<Cow<'static, str>>) -> Res<'a, O> {
    Err(nom::Err::Error(PErr::at(rest, expected)))
}

/// A committed error: the input is definitely wrong here.
fn hard<'a, O>(rest: &'a str, expected: impl Into<Cow<'static, str>>) -> Res<'a, O> {
    Err(nom::Err::Failure(PErr::at(rest, expected)))
}

/// Replaces a recoverable failure's message with `expected` at `rest`; committed failures
/// already say what is wrong and keep their message.
fn expect<'a, O>(r: Res<'a, O>, rest: &'a str, expected: &'static str) -> Res<'a, O> {
    r.map_err(|e| match e {
        nom::Err::Error(_) => nom::Err::Error(PErr::at(rest, expected)),
        other => other,
    })
}

/// Converts the parser's error into the public one (offset, column, expected).
pub(crate) fn to_parse_error(input: &str, e: nom::Err<PErr<'_>>) -> ParseError {
    let (rest, expected) = match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => (e.rest, e.expected.into_owned()),
        // Only streaming parsers report Incomplete; keep a sane answer anyway.
        nom::Err::Incomplete(_) => ("", "more input".to_owned()),
    };
    let offset = input.len().saturating_sub(rest.len());
    ParseError::at(input, offset, expected)
}

const OPS_EXPECTED: &str = "a comparison operator (eq, ne, co, sw, ew, gt, lt, ge, le) or pr";
const VALUE_EXPECTED: &str =
    "a comparison value: a \"quoted string\", a number, true, false or null";
const ATTR_EXPECTED: &str = "an attribute name, '(' or 'not ('";

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `i` without its leading `word`, compared ASCII-case-insensitively as ABNF literals are.
/// Rather than nom's `tag_no_case`, which compares by Unicode lower-casing, char by char: a
/// fifth of parsing a simple filter.
fn strip_prefix_ignore_case<'a>(i: &'a str, word: &str) -> Option<&'a str> {
    let head = i.as_bytes().get(..word.len())?;
    // An ASCII `word` matched byte for byte ends on a char boundary of `i`.
    head.eq_ignore_ascii_case(word.as_bytes()).then(|| &i[word.len()..])
}

/// Leading whitespace, as bytes: the four whitespace characters are ASCII, so the split falls
/// on a char boundary. (nom's `take_while` decodes chars; this runs several times a filter.)
fn ws0(i: &str) -> Res<'_, &str> {
    let n = i.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
    Ok((&i[n..], &i[..n]))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `ATTRNAME = (ALPHA / "$") *nameChar` — the leading `$` admits `$ref` (see the notes on the
/// RFC's grammar defect).
fn attr_name(i: &str) -> Res<'_, &str> {
    // Scanned as bytes: every character the rule admits is ASCII.
    let b = i.as_bytes();
    if !b.first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'$') {
        return soft(i, "valid filter syntax");
    }
    let len = 1 + b[1..].iter().take_while(|c| is_name_char(char::from(**c))).count();
    Ok((&i[len..], &i[..len]))
}

/// `name ["." subAttr]`, both names owned.
fn name_and_sub(i: &str) -> Res<'_, (CompactString, Option<CompactString>)> {
    let (i, name) = attr_name(i)?;
    // `opt(pair(char('.'), attr_name))`, without nom's char decoding.
    let (i, sub) = match i.strip_prefix('.').map(attr_name) {
        Some(Ok((rest, sub))) => (rest, Some(sub)),
        Some(Err(nom::Err::Error(_))) | None => (i, None),
        Some(Err(e)) => return Err(e),
    };
    Ok((i, (name.into(), sub.map(Into::into))))
}

/// `attrPath = [URN ":"] ATTRNAME ["." subAttr]`.
///
/// A URN is recognised by its `urn:` prefix and runs to the last `:` of the token, so URNs with
/// `-`, `.` and digits (`...:enterprise:2.0:User`) work and `.` after the last `:` is a subAttr.
pub(crate) fn attr_path(i: &str) -> Res<'_, AttrPath> {
    if let Some(after_scheme) = strip_prefix_ignore_case(i, "urn:") {
        let (rest, body) = take_while1::<_, _, PErr<'_>>(|c: char| {
            is_name_char(c) || matches!(c, ':' | '.' | '$')
        })(after_scheme)
        .map_err(|e| e.map(|_| PErr::at(after_scheme, "a schema URN after 'urn:'")))?;
        let Some(colon) = body.rfind(':') else {
            return hard(rest, "':' and an attribute name after the schema URN");
        };
        let urn_len = "urn:".len() + colon;
        let urn = &i[..urn_len];
        let name_start = &i[urn_len + 1..];
        let (after, (name, sub_attr)) =
            expect(name_and_sub(name_start), name_start, "an attribute name after the schema URN")
                .map_err(to_failure)?;
        if after.len() != rest.len() {
            return hard(
                after,
                "an attribute name after the schema URN (one sub-attribute at most)",
            );
        }
        return Ok((rest, AttrPath { urn: Some(urn.into()), name, sub_attr }));
    }
    let (rest, (name, sub_attr)) = expect(name_and_sub(i), i, ATTR_EXPECTED)?;
    Ok((rest, AttrPath { urn: None, name, sub_attr }))
}

fn to_failure(e: nom::Err<PErr<'_>>) -> nom::Err<PErr<'_>> {
    match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    }
}

fn compare_op(i: &str) -> Res<'_, Option<CompareOp>> {
    let n = i.bytes().take_while(u8::is_ascii_alphabetic).count();
    if n == 0 {
        return soft(i, OPS_EXPECTED);
    }
    let (rest, word) = (&i[n..], &i[..n]);
    // Two ASCII letters, lowercased in place: no allocation on the hot path.
    let op = match word.as_bytes() {
        [a, b] => match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
            [b'e', b'q'] => Some(CompareOp::Eq),
            [b'n', b'e'] => Some(CompareOp::Ne),
            [b'c', b'o'] => Some(CompareOp::Co),
            [b's', b'w'] => Some(CompareOp::Sw),
            [b'e', b'w'] => Some(CompareOp::Ew),
            [b'g', b't'] => Some(CompareOp::Gt),
            [b'l', b't'] => Some(CompareOp::Lt),
            [b'g', b'e'] => Some(CompareOp::Ge),
            [b'l', b'e'] => Some(CompareOp::Le),
            [b'p', b'r'] => None,
            _ => return soft(i, OPS_EXPECTED),
        },
        _ => return soft(i, OPS_EXPECTED),
    };
    Ok((rest, op))
}

/// A JSON number (RFC 8259 §6): `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
fn json_number(i: &str) -> Res<'_, CompValue> {
    let digits = |s| take_while1(|c: char| c.is_ascii_digit())(s);
    let (rest, text) = recognize((
        opt(char('-')),
        |s| {
            let (r, d): (&str, &str) = digits(s)?;
            if d.len() > 1 && d.starts_with('0') {
                return hard(s, "a number without leading zeros");
            }
            Ok((r, d))
        },
        opt(pair(char('.'), |s| {
            expect(digits(s), s, "digits after the decimal point").map_err(to_failure)
        })),
        opt((satisfy(|c| c == 'e' || c == 'E'), opt(satisfy(|c| c == '+' || c == '-')), |s| {
            expect(digits(s), s, "digits in the exponent").map_err(to_failure)
        })),
    ))
    .parse(i)?;
    match json_number_value(text) {
        Some(n) => Ok((rest, CompValue::Number(n))),
        None => hard(i, "a number within the range of a 64-bit float"),
    }
}

/// The value of a JSON number's text: integers stay exact when they fit 64 bits; everything
/// else goes through std's correctly rounded `f64` parse (serde_json's default float parser may
/// be off by one ulp, which would break the printer's round trip).
fn json_number_value(text: &str) -> Option<serde_json::Number> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(n) = text.parse::<u64>() {
            return Some(n.into());
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(n.into());
        }
    }
    text.parse::<f64>().ok().and_then(serde_json::Number::from_f64)
}

/// A JSON string with every JSON escape; raw control characters are refused as JSON requires.
fn json_string(i: &str) -> Res<'_, CompValue> {
    let Some(mut rest) = i.strip_prefix('"') else {
        return soft(i, "'\"'");
    };
    // Most strings have no escapes: end at the first special byte (all three are ASCII, so a
    // byte scan finds them in UTF-8), and an unescaped string is copied once (inline when short).
    let special = |b: &u8| *b == b'"' || *b == b'\\' || *b < b' ';
    let first = rest.bytes().position(|b| special(&b)).unwrap_or(rest.len());
    if rest.as_bytes().get(first) == Some(&b'"') {
        return Ok((&rest[first + 1..], CompValue::String(rest[..first].into())));
    }
    let mut out = String::new();
    loop {
        // Copy the run of plain characters in one go.
        let plain = rest.bytes().position(|b| special(&b)).unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else {
            return hard(rest, "a closing '\"' for the string");
        };
        match c {
            '"' => return Ok((&rest[1..], CompValue::String(out.into()))),
            '\\' => {
                let (r, ch) = escape(rest)?;
                out.push(ch);
                rest = r;
            }
            _ => {
                return hard(
                    rest,
                    "a string without raw control characters (escape them, e.g. \\n or \\u0009)",
                );
            }
        }
    }
}

/// One escape; `bs` starts at its backslash, which is where errors point.
fn escape(bs: &str) -> Res<'_, char> {
    const BAD: &str = "a JSON escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)";
    let i = &bs[1..];
    let Some(c) = i.chars().next() else { return hard(bs, BAD) };
    let simple = match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'u' => None,
        _ => return hard(bs, BAD),
    };
    if let Some(ch) = simple {
        return Ok((&i[1..], ch));
    }
    let (rest, hi) = hex4(bs)?;
    let (rest, code) = match hi {
        0xD800..=0xDBFF => {
            // A high surrogate must be followed by an escaped low surrogate.
            const LOW: &str = "a low surrogate \\uDC00-\\uDFFF after a high surrogate";
            if !rest.starts_with("\\u") {
                return hard(rest, LOW);
            }
            let (r2, lo) = hex4(rest)?;
            if !(0xDC00..=0xDFFF).contains(&lo) {
                return hard(rest, LOW);
            }
            (r2, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        }
        0xDC00..=0xDFFF => return hard(bs, "a high surrogate before a low surrogate"),
        c => (rest, c),
    };
    match char::from_u32(code) {
        Some(ch) => Ok((rest, ch)),
        None => hard(bs, BAD),
    }
}

/// `\uXXXX`; `bs` starts at the backslash.
fn hex4(bs: &str) -> Res<'_, u32> {
    let digits = bs.as_bytes().get(2..6);
    let Some(digits) = digits.filter(|d| d.iter().all(u8::is_ascii_hexdigit)) else {
        return hard(bs, "four hex digits after \\u");
    };
    // Six ASCII bytes (`\u` and four hex digits), so slicing stays on char boundaries.
    let v = digits.iter().fold(0u32, |acc, d| acc * 16 + (*d as char).to_digit(16).unwrap_or(0));
    Ok((&bs[6..], v))
}

/// `true` / `false` / `null`, case-insensitively (ABNF literals are case-insensitive).
fn json_literal(i: &str) -> Res<'_, CompValue> {
    let (rest, word) = take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')(i)?;
    if word.eq_ignore_ascii_case("true") {
        Ok((rest, CompValue::Bool(true)))
    } else if word.eq_ignore_ascii_case("false") {
        Ok((rest, CompValue::Bool(false)))
    } else if word.eq_ignore_ascii_case("null") {
        Ok((rest, CompValue::Null))
    } else {
        soft(i, VALUE_EXPECTED)
    }
}

fn comp_value(i: &str) -> Res<'_, CompValue> {
    match i.chars().next() {
        Some('"') => json_string(i),
        Some(c) if c == '-' || c.is_ascii_digit() => json_number(i),
        Some(_) => expect(json_literal(i), i, VALUE_EXPECTED).map_err(to_failure),
        None => hard(i, VALUE_EXPECTED),
    }
}

/// Parser state threaded through the descent.
pub(crate) struct Ctx<'a> {
    full: &'a str,
    depth: usize,
    terms: usize,
    in_brackets: bool,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(full: &'a str) -> Self {
        Ctx { full, depth: 0, terms: 0, in_brackets: false }
    }

    /// Only called on the error path: counting characters is linear in the input.
    fn column_of(&self, rest: &str) -> usize {
        let offset = self.full.len().saturating_sub(rest.len());
        self.full[..offset].chars().count() + 1
    }

    fn char_before(&self, rest: &str) -> Option<char> {
        let offset = self.full.len().saturating_sub(rest.len());
        self.full[..offset].chars().next_back()
    }

    fn enter<'i>(&mut self, at: &'i str) -> Result<(), nom::Err<PErr<'i>>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(nom::Err::Failure(PErr::at(
                at,
                format!("at most {MAX_DEPTH} levels of nested '(' and '['"),
            )));
        }
        Ok(())
    }
}

/// `and`/`or` between expressions: a whole word, set off by whitespace or parentheses.
fn keyword<'a>(ctx: &Ctx<'_>, i: &'a str, kw: &'static str) -> Option<&'a str> {
    let (j, sp) = ws0(i).ok()?;
    if sp.is_empty() && !matches!(ctx.char_before(i), Some(')' | ']')) {
        return None;
    }
    let after = strip_prefix_ignore_case(j, kw)?;
    match after.chars().next() {
        Some(c) if is_ws(c) || c == '(' => Some(after),
        // A dangling `and`/`or`: let the operand parser say an expression is missing.
        None => Some(after),
        _ => None,
    }
}

/// `or` binds loosest: `FILTER = and_expr *("or" and_expr)`.
pub(crate) fn or_expr<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    let (mut i, mut lhs) = and_expr(ctx, i)?;
    while let Some(rest) = keyword(ctx, i, "or") {
        let (r, rhs) = and_expr(ctx, rest)?;
        lhs = Filter::Or(Box::new(lhs), Box::new(rhs));
        i = r;
    }
    Ok((i, lhs))
}

fn and_expr<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    let (mut i, mut lhs) = unary(ctx, i)?;
    while let Some(rest) = keyword(ctx, i, "and") {
        let (r, rhs) = unary(ctx, rest)?;
        lhs = Filter::And(Box::new(lhs), Box::new(rhs));
        i = r;
    }
    Ok((i, lhs))
}

/// `not (F)`, `(F)` or an attribute expression.
fn unary<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    let (i, _) = ws0(i)?;
    if let Some(after_not) = strip_prefix_ignore_case(i, "not") {
        let (j, _) = ws0(after_not)?;
        if j.starts_with('(') {
            let (rest, inner) = group(ctx, j)?;
            return Ok((rest, Filter::Not(Box::new(inner))));
        }
    }
    if i.starts_with('(') {
        return group(ctx, i);
    }
    if i.is_empty() {
        let what = if ctx.full.trim().is_empty() {
            "a filter (the filter is empty)"
        } else {
            ATTR_EXPECTED
        };
        return hard(i, what);
    }
    attr_exp(ctx, i).map_err(to_failure)
}

/// `"(" FILTER ")"`; `i` starts at the `(`.
fn group<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    ctx.enter(i)?;
    let (j, inner) = or_expr(ctx, &i[1..])?;
    let (j, _) = ws0(j)?;
    let Some(rest) = j.strip_prefix(')') else {
        let open_col = ctx.column_of(i);
        return hard(j, format!("')' to close the '(' at column {open_col}, or 'and'/'or'"));
    };
    ctx.depth -= 1;
    Ok((rest, inner))
}

/// `attrPath SP "pr"`, `attrPath SP compareOp SP compValue`, `attrPath "[" valFilter "]"`, or
/// Entra's `attrPath "[" valFilter "]" "." subAttr SP compareOp SP compValue`.
fn attr_exp<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    let (j, path) = attr_path(i)?;
    if j.starts_with('[') {
        if path.sub_attr.is_some() {
            return hard(
                j,
                format!("{OPS_EXPECTED} ('[' may only follow an attribute, not a sub-attribute)"),
            );
        }
        let (rest, inner) = bracket(ctx, j)?;
        // Entra: `emails[type eq "work"].value eq "x"` means `emails[type eq "work" and value eq "x"]`.
        if let Some(after_dot) = rest.strip_prefix('.') {
            let (r, sub) =
                expect(attr_name(after_dot), after_dot, "a sub-attribute name after ']'")?;
            let sub_path = AttrPath::new(sub);
            let (r, tail) = op_and_value(ctx, r, sub_path)?;
            let filter = Filter::And(Box::new(inner), Box::new(tail));
            return Ok((r, Filter::ValuePath { attr: path, filter: Box::new(filter) }));
        }
        return Ok((rest, Filter::ValuePath { attr: path, filter: Box::new(inner) }));
    }
    op_and_value(ctx, j, path)
}

/// `"[" valFilter "]"`; `i` starts at the `[`. Brackets never nest (erratum 7322).
pub(crate) fn bracket<'a>(ctx: &mut Ctx<'_>, i: &'a str) -> Res<'a, Filter> {
    if ctx.in_brackets {
        return hard(i, format!("{OPS_EXPECTED} (value filters '[...]' cannot be nested)"));
    }
    ctx.enter(i)?;
    ctx.in_brackets = true;
    let (j, inner) = or_expr(ctx, &i[1..])?;
    ctx.in_brackets = false;
    let (j, _) = ws0(j)?;
    let Some(rest) = j.strip_prefix(']') else {
        let open_col = ctx.column_of(i);
        return hard(j, format!("']' to close the '[' at column {open_col}, or 'and'/'or'"));
    };
    ctx.depth -= 1;
    Ok((rest, inner))
}

/// After an attribute path: `SP "pr"` or `SP compareOp SP compValue`.
fn op_and_value<'a>(ctx: &mut Ctx<'_>, i: &'a str, path: AttrPath) -> Res<'a, Filter> {
    ctx.terms += 1;
    if ctx.terms > MAX_TERMS {
        return hard(i, format!("at most {MAX_TERMS} attribute expressions in one filter"));
    }
    let (j, sp) = ws0(i)?;
    if sp.is_empty() {
        let hint = if j.is_empty() || j.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            OPS_EXPECTED.to_owned()
        } else {
            format!("a space and then {OPS_EXPECTED}")
        };
        return hard(j, hint);
    }
    let not_group =
        path.urn.is_none() && path.sub_attr.is_none() && path.name.eq_ignore_ascii_case("not");
    let (k, op) = match compare_op(j) {
        Ok(ok) => ok,
        Err(_) if not_group => return hard(j, format!("'(' after 'not', or {OPS_EXPECTED}")),
        Err(e) => return Err(to_failure(e)),
    };
    if let Some(c) = k.chars().next()
        && !(is_ws(c) || c == ')' || c == ']')
        && op.is_none()
    {
        return hard(k, "whitespace, 'and', 'or', ')' or the end after 'pr'");
    }
    let Some(op) = op else {
        return Ok((k, Filter::Present(path)));
    };
    let (v, sp) = ws0(k)?;
    if sp.is_empty() {
        if k.is_empty() {
            return hard(k, VALUE_EXPECTED);
        }
        if !k.starts_with('"') {
            return hard(k, format!("a space and then {VALUE_EXPECTED}"));
        }
    }
    let (rest, value) = comp_value(v)?;
    // A value must end at a token boundary: `"a"b` or `truex` is not a value.
    if let Some(c) = rest.chars().next()
        && !(is_ws(c) || c == ')' || c == ']')
    {
        return hard(rest, "whitespace, 'and', 'or', ')' or ']' after the value");
    }
    Ok((rest, Filter::Compare { path, op, value }))
}

/// Whole-input filter parse.
pub(crate) fn filter(input: &str) -> Result<Filter, ParseError> {
    match single_comparison(input) {
        Some(f) => Ok(f),
        None => descend(input),
    }
}

/// The whole grammar: [`or_expr`] over all of `input`, then nothing but whitespace.
fn descend(input: &str) -> Result<Filter, ParseError> {
    let mut ctx = Ctx::new(input);
    let run = |ctx: &mut Ctx<'_>| -> Res<'_, Filter> {
        let (rest, f) = or_expr(ctx, input)?;
        let (rest, _) = ws0(rest)?;
        if !rest.is_empty() {
            let what = match rest.chars().next() {
                Some(')') => "the end of the filter (this ')' has no matching '(')",
                Some(']') => "the end of the filter (this ']' has no matching '[')",
                Some('"') if matches!(f, Filter::Present(_)) => {
                    "'and', 'or' or the end of the filter ('pr' takes no value)"
                }
                _ => "'and', 'or' or the end of the filter",
            };
            return hard(rest, what);
        }
        Ok((rest, f))
    };
    match run(&mut ctx) {
        Ok((_, f)) => Ok(f),
        Err(e) => Err(to_parse_error(input, e)),
    }
}

/// The filter IdPs send on every sync, `name[.sub] op "plain string"` (`userName eq "x"`,
/// `externalId eq "x"`), recognised in one pass over the bytes, or `None` for anything else:
/// URNs, `pr`, other value types, escapes in the string, boolean structure, brackets. It
/// accepts only what the descent accepts and builds the same tree (a property test holds it
/// to that), for about half the descent's cost: fifteen nested parser calls, each
/// threading a `Result`, are most of a `userName eq` request's filter work.
fn single_comparison(input: &str) -> Option<Filter> {
    let b = input.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i
    };
    // `ATTRNAME`, as `attr_name` scans it; the end of the name.
    let name_end = |i: usize| {
        let first = b.get(i)?;
        (first.is_ascii_alphabetic() || *first == b'$').then(|| {
            i + 1 + b[i + 1..].iter().take_while(|c| is_name_char(char::from(**c))).count()
        })
    };
    let start = skip_ws(0);
    let end = name_end(start)?;
    let name = &input[start..end];
    let (sub_attr, end) = match b.get(end) {
        Some(b'.') => {
            let sub_end = name_end(end + 1)?;
            (Some(&input[end + 1..sub_end]), sub_end)
        }
        _ => (None, end),
    };
    // At least one space, a two-letter operator other than `pr`, at least one space.
    let op_at = skip_ws(end);
    let op_end = op_at + 2;
    if op_at == end || skip_ws(op_end) == op_end {
        return None;
    }
    let op = match [b[op_at].to_ascii_lowercase(), b[op_at + 1].to_ascii_lowercase()] {
        [b'e', b'q'] => CompareOp::Eq,
        [b'n', b'e'] => CompareOp::Ne,
        [b'c', b'o'] => CompareOp::Co,
        [b's', b'w'] => CompareOp::Sw,
        [b'e', b'w'] => CompareOp::Ew,
        [b'g', b't'] => CompareOp::Gt,
        [b'l', b't'] => CompareOp::Lt,
        [b'g', b'e'] => CompareOp::Ge,
        [b'l', b'e'] => CompareOp::Le,
        _ => return None,
    };
    // A string without escapes or control characters, then only whitespace to the end.
    let open = skip_ws(op_end);
    if b.get(open) != Some(&b'"') {
        return None;
    }
    let len = b[open + 1..].iter().position(|c| *c == b'"' || *c == b'\\' || *c < b' ')?;
    let close = open + 1 + len;
    if b[close] != b'"' || skip_ws(close + 1) != b.len() {
        return None;
    }
    let path = AttrPath { urn: None, name: name.into(), sub_attr: sub_attr.map(Into::into) };
    Some(Filter::Compare { path, op, value: CompValue::String(input[open + 1..close].into()) })
}

/// A lone attribute path, nothing after it.
pub(crate) fn attr_path_only(input: &str) -> Result<AttrPath, ParseError> {
    let run = || -> Res<'_, AttrPath> {
        let (rest, p) = attr_path(input).map_err(to_failure)?;
        if !rest.is_empty() {
            return hard(rest, "the end of the attribute path");
        }
        Ok((rest, p))
    };
    run().map(|(_, p)| p).map_err(|e| to_parse_error(input, e))
}

/// RFC 7644 Figure 7: `PATH = attrPath / valuePath [subAttr]`.
pub(crate) fn patch_path(input: &str) -> Result<crate::path::PatchPath, ParseError> {
    use crate::path::PatchPath;
    let mut ctx = Ctx::new(input);
    let run = |ctx: &mut Ctx<'_>| -> Res<'_, PatchPath> {
        if input.trim().is_empty() {
            return hard(input, "a path (the path is empty)");
        }
        let (i, _) = ws0(input)?;
        let (j, attr) = expect(attr_path(i), i, "an attribute name").map_err(to_failure)?;
        let (path, rest) = if j.starts_with('[') {
            if attr.sub_attr.is_some() {
                return hard(
                    j,
                    "the end of the path ('[' may only follow an attribute, not a sub-attribute)",
                );
            }
            let (r, filter) = bracket(ctx, j)?;
            let (r, sub_attr) = match r.strip_prefix('.') {
                Some(after_dot) => {
                    let (r, sub) =
                        expect(attr_name(after_dot), after_dot, "a sub-attribute name after ']'")
                            .map_err(to_failure)?;
                    (r, Some(sub.into()))
                }
                None => (r, None),
            };
            (PatchPath::ValuePath { attr, filter, sub_attr }, r)
        } else {
            (PatchPath::Attr(attr), j)
        };
        let (rest, _) = ws0(rest)?;
        if !rest.is_empty() {
            let what = if matches!(path, PatchPath::ValuePath { .. }) {
                "the end of the path (at most one '.subAttr' may follow ']')"
            } else {
                "'[', or the end of the path"
            };
            return hard(rest, what);
        }
        Ok((rest, path))
    };
    match run(&mut ctx) {
        Ok((_, p)) => Ok(p),
        Err(e) => Err(to_parse_error(input, e)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_common_shapes_take_the_fast_path_and_build_the_descents_tree() {
        for input in [
            r#"userName eq "bjensen@example.com""#,
            r#"externalId eq "00u1abcd""#,
            r#"  name.familyName SW "J" "#,
            "emails.value\teq\n\"a@b.c\"",
            r#"$ref ne """#,
            r#"not eq "x""#,
        ] {
            let fast = single_comparison(input);
            assert!(fast.is_some(), "{input:?} should take the fast path");
            assert_eq!(fast.map(Ok), Some(descend(input)), "{input:?}");
        }
    }

    #[test]
    fn everything_else_is_left_to_the_descent() {
        for input in [
            r#"userName pr"#,
            r#"userName eq"#,
            r#"userName eq ""#,
            r#"userName eq "a\"b""#,
            r#"userName eq "a" and x pr"#,
            r#"userName eq "a"b"#,
            r#"userName eq 5"#,
            r#"userName eq true"#,
            r#"userNameeq "a""#,
            r#"userName eq"a""#,
            r#"userName equals "a""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
            r#"emails[type eq "work"]"#,
            r#"(userName eq "a")"#,
            r#"name. eq "a""#,
            r#"1name eq "a""#,
            "userName eq \"a\u{1}\"",
            "",
        ] {
            assert_eq!(single_comparison(input), None, "{input:?}");
        }
    }

    /// Text near the fast path's shape: names, dots, operators (and near misses), quotes,
    /// escapes, whitespace and stray bytes, in any order.
    fn near_comparisons() -> impl Strategy<Value = String> {
        let token = prop_oneof![
            Just(" ".to_owned()),
            Just("\t".to_owned()),
            "[a-zA-Z$][a-zA-Z0-9_-]{0,6}",
            Just(".".to_owned()),
            "(eq|EQ|Ne|co|sw|ew|gt|lt|ge|le|pr|eqq|e)",
            Just("\"".to_owned()),
            "[a-z@. ]{0,5}",
            Just("\\".to_owned()),
            Just("\\\"".to_owned()),
            "[\\x00-\\x1f()\\[\\]:é5-]",
        ];
        prop_oneof![
            // The fast path's shape with each part drawn near it.
            (
                "[ \t]{0,2}",
                "[a-zA-Z$][a-zA-Z0-9_-]{0,6}(\\.[a-zA-Z$][a-zA-Z0-9_-]{0,4})?",
                "[ \t\n]{0,2}",
                "(eq|Ne|co|sw|EW|gt|lt|ge|le|pr|e|eqx)",
                "[ \t]{0,2}",
                "\"[^\"\\\\]{0,8}\"?",
                "[ \t]{0,2}",
                proptest::option::of("( and x pr|\"|x|\\])"),
            )
                .prop_map(|(a, n, b, op, c, v, d, tail)| {
                    format!("{a}{n}{b}{op}{c}{v}{d}{}", tail.unwrap_or_default())
                }),
            proptest::collection::vec(token, 0..8).prop_map(|t| t.concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Whatever the fast path accepts, the descent accepts, with the same tree.
        #[test]
        fn the_fast_path_agrees_with_the_descent(input in near_comparisons()) {
            if let Some(fast) = single_comparison(&input) {
                prop_assert_eq!(Ok(fast), descend(&input), "{:?}", input);
            }
        }

        /// And `filter` answers exactly as the descent does, fast path or not.
        #[test]
        fn filter_answers_as_the_descent_does(input in near_comparisons()) {
            prop_assert_eq!(filter(&input).ok(), descend(&input).ok(), "{:?}", input);
        }
    }
}
