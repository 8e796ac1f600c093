//! The jute IDL: its syntax tree, a parser built with `nom`, and the checks
//! that make a schema usable (every referenced record exists and is declared
//! before its use, no duplicate records or fields).
//!
//! The grammar, as the Java `rcc` compiler accepts it (minus `include` and
//! `map`, which ZooKeeper's schema does not use):
//!
//! ```text
//! file   := module+
//! module := "module" qualified-name "{" record+ "}"
//! record := "class" ident "{" (type ident ";")+ "}"
//! type   := "byte" | "boolean" | "int" | "long" | "float" | "double"
//!         | "ustring" | "buffer" | "vector" "<" type ">" | qualified-name
//! ```
//!
//! `//` and `/* */` comments may appear between any two tokens. Comments just
//! before a record or field, and a `//` comment after a field on the same
//! line, become that item's documentation. A record referenced by a short
//! name is looked up in the current module; a qualified name is used as is.
//!
//! This module is compiled twice: by `build.rs`, to generate the Rust code,
//! and into the library, so that tests and tools can walk the schema.

pub mod codegen;

use std::collections::{HashMap, HashSet};
use std::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while};
use nom::character::complete::{char as one_char, multispace1, satisfy, space0};
use nom::combinator::{map, opt, recognize};
use nom::multi::many0;
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

/// A field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Byte,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    UString,
    Buffer,
    Vector(Box<Type>),
    /// A record, by its fully qualified name (`module.Record`).
    Record(String),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Byte => f.write_str("byte"),
            Type::Boolean => f.write_str("boolean"),
            Type::Int => f.write_str("int"),
            Type::Long => f.write_str("long"),
            Type::Float => f.write_str("float"),
            Type::Double => f.write_str("double"),
            Type::UString => f.write_str("ustring"),
            Type::Buffer => f.write_str("buffer"),
            Type::Vector(inner) => write!(f, "vector<{inner}>"),
            Type::Record(name) => f.write_str(name),
        }
    }
}

/// A position in the schema source, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    /// Comment lines attached to the field, without comment markers.
    pub doc: Vec<String>,
    pub pos: Pos,
}

/// One record (a jute `class`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The short name, e.g. `Stat`.
    pub name: String,
    /// The module it belongs to, e.g. `org.apache.zookeeper.data`.
    pub module: String,
    pub fields: Vec<Field>,
    pub doc: Vec<String>,
    pub pos: Pos,
}

impl Record {
    /// The fully qualified name, e.g. `org.apache.zookeeper.data.Stat`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

/// One module and its records, in declaration order.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub name: String,
    pub records: Vec<Record>,
    pub doc: Vec<String>,
    pub pos: Pos,
}

/// A parsed and checked schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub modules: Vec<Module>,
}

impl Schema {
    /// Every record, in declaration order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.modules.iter().flat_map(|m| m.records.iter())
    }

    /// Looks a record up by its fully qualified name.
    pub fn record(&self, qualified_name: &str) -> Option<&Record> {
        let (module, name) = qualified_name.rsplit_once('.')?;
        self.modules
            .iter()
            .find(|m| m.name == module)?
            .records
            .iter()
            .find(|r| r.name == name)
    }
}

/// A schema that does not parse or does not check, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )
    }
}

impl std::error::Error for SchemaError {}

/// Parses and checks a schema. `file` only names the source in errors.
pub fn parse_schema(file: &str, source: &str) -> Result<Schema, SchemaError> {
    let error_at = |rest: &str, message: String| SchemaError {
        file: file.to_string(),
        pos: position(source, rest),
        message,
    };
    let modules = match parse_file(source) {
        Ok((_, modules)) => modules,
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
            let found = describe_found(e.at);
            return Err(error_at(
                e.at,
                format!("expected {}, found {found}", e.expected),
            ));
        }
        Err(nom::Err::Incomplete(_)) => {
            return Err(error_at("", "unexpected end of input".to_string()))
        }
    };
    let modules = modules
        .into_iter()
        .map(|m| m.resolve(source))
        .collect::<Vec<_>>();
    check(file, modules)
}

/// What the parser found where it expected something else, for errors.
fn describe_found(rest: &str) -> String {
    let token: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(24)
        .collect();
    if token.is_empty() {
        if rest.is_empty() {
            "end of file".to_string()
        } else {
            "whitespace".to_string()
        }
    } else {
        format!("`{token}`")
    }
}

/// The 1-based line and column where `rest` starts within `source`.
fn position(source: &str, rest: &str) -> Pos {
    let offset = source.len().saturating_sub(rest.len());
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    Pos { line, col }
}

// ---------------------------------------------------------------------------
// The checks after parsing.

fn check(file: &str, modules: Vec<Module>) -> Result<Schema, SchemaError> {
    let fail = |pos: Pos, message: String| SchemaError {
        file: file.to_string(),
        pos,
        message,
    };
    if modules.is_empty() {
        return Err(fail(
            Pos { line: 1, col: 1 },
            "expected at least one module".to_string(),
        ));
    }
    // Records must be declared before they are used, as in Java's compiler;
    // that also rules out recursive records.
    let mut declared: HashSet<String> = HashSet::new();
    let mut module_names: HashMap<&str, Pos> = HashMap::new();
    for module in &modules {
        if let Some(first) = module_names.insert(&module.name, module.pos) {
            return Err(fail(
                module.pos,
                format!(
                    "module `{}` is declared twice (first at line {})",
                    module.name, first.line
                ),
            ));
        }
        for record in &module.records {
            let mut field_names: HashSet<&str> = HashSet::new();
            for field in &record.fields {
                if !field_names.insert(&field.name) {
                    return Err(fail(
                        field.pos,
                        format!(
                            "field `{}` is declared twice in `{}`",
                            field.name, record.name
                        ),
                    ));
                }
                check_type(&field.ty, &declared).map_err(|name| {
                    fail(
                        field.pos,
                        format!(
                            "unknown record type `{name}` (records must be declared before use)"
                        ),
                    )
                })?;
            }
            if !declared.insert(record.qualified_name()) {
                return Err(fail(
                    record.pos,
                    format!("record `{}` is declared twice", record.qualified_name()),
                ));
            }
        }
    }
    Ok(Schema { modules })
}

fn check_type(ty: &Type, declared: &HashSet<String>) -> Result<(), String> {
    match ty {
        Type::Vector(inner) => check_type(inner, declared),
        Type::Record(name) if !declared.contains(name) => Err(name.clone()),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The parser. Each grammar function starts at a token (trivia already
// skipped) and leaves the input right after its last token.

/// A parse failure: where, and what was expected there.
#[derive(Debug, Clone, PartialEq)]
struct Expected<'a> {
    at: &'a str,
    expected: &'static str,
}

impl<'a> nom::error::ParseError<&'a str> for Expected<'a> {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        Expected {
            at: input,
            expected: "valid syntax",
        }
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Report the alternative that got furthest.
        if other.at.len() < self.at.len() {
            other
        } else {
            self
        }
    }
}

type Res<'a, T> = IResult<&'a str, T, Expected<'a>>;

/// Runs `parser` after skipping trivia; on failure reports `what` at the
/// first token, and commits (no backtracking past a required token).
fn expect<'a, O, P>(what: &'static str, mut parser: P) -> impl FnMut(&'a str) -> Res<'a, O>
where
    P: Parser<&'a str, Output = O, Error = Expected<'a>>,
{
    move |input: &'a str| {
        let (start, _) = trivia(input)?;
        match parser.parse(start) {
            Ok(ok) => Ok(ok),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => {
                // Keep a more precise error from deeper inside the parser.
                if e.at.len() < start.len() && e.expected != "valid syntax" {
                    Err(nom::Err::Failure(e))
                } else {
                    Err(nom::Err::Failure(Expected {
                        at: start,
                        expected: what,
                    }))
                }
            }
            Err(incomplete) => Err(incomplete),
        }
    }
}

enum Trivia<'a> {
    Space(&'a str),
    Comment(Vec<String>),
}

/// Whitespace and comments; returns the comments' text, one entry per line.
fn trivia(input: &str) -> Res<'_, Vec<String>> {
    let (rest, pieces) = many0(alt((
        map(multispace1, Trivia::Space),
        map(line_comment, Trivia::Comment),
        map(block_comment, Trivia::Comment),
    )))
    .parse(input)?;
    // Only comments directly above the next item document it: a blank line
    // detaches what came before (such as a file header).
    let mut lines = Vec::new();
    for piece in pieces {
        match piece {
            Trivia::Space(space) if space.matches('\n').count() > 1 => lines.clear(),
            Trivia::Space(_) => {}
            Trivia::Comment(comment) => lines.extend(comment),
        }
    }
    Ok((rest, lines))
}

fn line_comment(input: &str) -> Res<'_, Vec<String>> {
    let (rest, text) = preceded(tag("//"), take_while(|c| c != '\n')).parse(input)?;
    Ok((rest, vec![text.trim().to_string()]))
}

fn block_comment(input: &str) -> Res<'_, Vec<String>> {
    let (after_open, _) = tag("/*").parse(input)?;
    let (rest, body) = match take_until::<_, _, Expected<'_>>("*/").parse(after_open) {
        Ok(ok) => ok,
        Err(_) => {
            return Err(nom::Err::Failure(Expected {
                at: input,
                expected: "`*/` closing this comment",
            }))
        }
    };
    let (rest, _) = tag("*/").parse(rest)?;
    let lines = body
        .lines()
        .map(|l| {
            let l = l.trim();
            let l = l.strip_prefix('*').unwrap_or(l);
            l.trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .collect();
    Ok((rest, lines))
}

fn identifier(input: &str) -> Res<'_, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(input)
}

/// A keyword: the exact word, not a prefix of a longer identifier.
fn keyword<'a>(word: &'static str) -> impl Parser<&'a str, Output = &'a str, Error = Expected<'a>> {
    move |input: &'a str| {
        let (rest, ident) = identifier(input)?;
        if ident == word {
            Ok((rest, ident))
        } else {
            Err(nom::Err::Error(Expected {
                at: input,
                expected: "a keyword",
            }))
        }
    }
}

fn qualified_name(input: &str) -> Res<'_, &str> {
    recognize(pair(identifier, many0(pair(one_char('.'), identifier)))).parse(input)
}

/// A type, with record names as written (resolved later).
fn field_type(input: &str) -> Res<'_, Type> {
    let (rest, word) = qualified_name(input)?;
    let ty = match word {
        "byte" => Type::Byte,
        "boolean" => Type::Boolean,
        "int" => Type::Int,
        "long" => Type::Long,
        "float" => Type::Float,
        "double" => Type::Double,
        "ustring" => Type::UString,
        "buffer" => Type::Buffer,
        "vector" => {
            let (rest, _) = expect("`<` after `vector`", one_char('<'))(rest)?;
            let (rest, inner) = expect("the element type of the vector", field_type)(rest)?;
            let (rest, _) = expect("`>` closing the vector type", one_char('>'))(rest)?;
            return Ok((rest, Type::Vector(Box::new(inner))));
        }
        "map" => {
            return Err(nom::Err::Failure(Expected {
                at: input,
                expected: "a type other than `map` (maps are not supported)",
            }))
        }
        "module" | "class" | "include" => {
            return Err(nom::Err::Error(Expected {
                at: input,
                expected: "a type",
            }))
        }
        name => Type::Record(name.to_string()),
    };
    Ok((rest, ty))
}

/// A field after its leading comments: `type name ;` and a trailing comment
/// on the same line.
struct RawField<'a> {
    at: &'a str,
    name: &'a str,
    ty: Type,
    doc: Vec<String>,
}

fn field(input: &str) -> Res<'_, RawField<'_>> {
    let (rest, doc) = trivia(input)?;
    let at = rest;
    let (rest, ty) = field_type(rest)?;
    let (rest, name) = expect("a field name", identifier)(rest)?;
    let (rest, _) = expect("`;` after the field", one_char(';'))(rest)?;
    let (rest, trailing) = opt(preceded(space0, line_comment)).parse(rest)?;
    let mut doc = doc;
    doc.extend(trailing.into_iter().flatten());
    Ok((rest, RawField { at, name, ty, doc }))
}

struct RawRecord<'a> {
    at: &'a str,
    name: &'a str,
    doc: Vec<String>,
    fields: Vec<RawField<'a>>,
}

fn record(input: &str) -> Res<'_, RawRecord<'_>> {
    let (rest, doc) = trivia(input)?;
    let at = rest;
    let (rest, _) = keyword("class").parse(rest)?;
    let (rest, name) = expect("a record name after `class`", identifier)(rest)?;
    let (rest, _) = expect("`{` opening the record", one_char('{'))(rest)?;
    let (rest, fields) = many0(field).parse(rest)?;
    if fields.is_empty() {
        return Err(nom::Err::Failure(Expected {
            at: trivia(rest)?.0,
            expected: "a field (records need at least one)",
        }));
    }
    let (rest, _) = expect("a field or `}` closing the record", one_char('}'))(rest)?;
    Ok((
        rest,
        RawRecord {
            at,
            name,
            doc,
            fields,
        },
    ))
}

struct RawModule<'a> {
    at: &'a str,
    name: &'a str,
    doc: Vec<String>,
    records: Vec<RawRecord<'a>>,
}

fn module(input: &str) -> Res<'_, RawModule<'_>> {
    let (rest, doc) = trivia(input)?;
    let at = rest;
    let (rest, _) = keyword("module").parse(rest)?;
    let (rest, name) = expect("a module name after `module`", qualified_name)(rest)?;
    let (rest, _) = expect("`{` opening the module", one_char('{'))(rest)?;
    let (rest, records) = many0(record).parse(rest)?;
    if records.is_empty() {
        return Err(nom::Err::Failure(Expected {
            at: trivia(rest)?.0,
            expected: "a record (`class Name { ... }`)",
        }));
    }
    let (rest, _) = expect("`class` or `}` closing the module", one_char('}'))(rest)?;
    Ok((
        rest,
        RawModule {
            at,
            name,
            doc,
            records,
        },
    ))
}

fn parse_file(input: &str) -> Res<'_, Vec<RawModule<'_>>> {
    let (rest, modules) = many0(module).parse(input)?;
    let (rest, _) = trivia(rest)?;
    if !rest.is_empty() {
        return Err(nom::Err::Failure(Expected {
            at: rest,
            expected: "`module`",
        }));
    }
    Ok((rest, modules))
}

impl RawModule<'_> {
    fn resolve(self, source: &str) -> Module {
        let module_name = self.name.to_string();
        let records = self
            .records
            .into_iter()
            .map(|r| Record {
                name: r.name.to_string(),
                module: module_name.clone(),
                doc: r.doc,
                pos: position(source, r.at),
                fields: r
                    .fields
                    .into_iter()
                    .map(|f| Field {
                        name: f.name.to_string(),
                        ty: qualify(f.ty, &module_name),
                        doc: f.doc,
                        pos: position(source, f.at),
                    })
                    .collect(),
            })
            .collect();
        Module {
            name: module_name,
            records,
            doc: self.doc,
            pos: position(source, self.at),
        }
    }
}

/// Turns a short record name into a qualified one, as Java's compiler does:
/// a name without a dot belongs to the current module.
fn qualify(ty: Type, module: &str) -> Type {
    match ty {
        Type::Record(name) if !name.contains('.') => Type::Record(format!("{module}.{name}")),
        Type::Vector(inner) => Type::Vector(Box::new(qualify(*inner, module))),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        parse_schema("t.jute", src).unwrap_err().to_string()
    }

    #[test]
    fn parses_records_fields_and_docs() {
        let src = "// a file header\n\n// the data module\nmodule a.b {\n  /* An id. */\n  class Id { ustring scheme; // the scheme\n ustring id; }\n  class Acl { int perms; Id id; vector<a.b.Id> many; vector<vector<buffer>> nested; }\n}\n";
        let schema = parse_schema("t.jute", src).unwrap();
        assert_eq!(schema.modules.len(), 1);
        let m = &schema.modules[0];
        assert_eq!(m.name, "a.b");
        assert_eq!(m.doc, vec!["the data module"]);
        let id = &m.records[0];
        assert_eq!(id.doc, vec!["An id."]);
        assert_eq!(id.pos, Pos { line: 6, col: 3 });
        assert_eq!(id.fields[0].doc, vec!["the scheme"]);
        assert_eq!(id.fields[1].doc, Vec::<String>::new());
        let acl = &m.records[1];
        assert_eq!(acl.fields[1].ty, Type::Record("a.b.Id".into()));
        assert_eq!(
            acl.fields[2].ty,
            Type::Vector(Box::new(Type::Record("a.b.Id".into())))
        );
        assert_eq!(acl.fields[3].ty.to_string(), "vector<vector<buffer>>");
        assert_eq!(schema.record("a.b.Acl").unwrap().fields.len(), 4);
        assert!(schema.record("a.b.Nope").is_none());
    }

    #[test]
    fn every_primitive_type_parses() {
        let src = "module m { class R { byte a; boolean b; int c; long d; float e; double f; ustring g; buffer h; } }";
        let schema = parse_schema("t.jute", src).unwrap();
        let types: Vec<String> = schema.modules[0].records[0]
            .fields
            .iter()
            .map(|f| f.ty.to_string())
            .collect();
        assert_eq!(
            types,
            ["byte", "boolean", "int", "long", "float", "double", "ustring", "buffer"]
        );
    }

    #[test]
    fn errors_name_the_place_and_the_expectation() {
        assert_eq!(
            err("module m {\n  class R {\n    int a\n  }\n}"),
            "t.jute:4:3: expected `;` after the field, found `}`"
        );
        assert_eq!(
            err("module m { class R { int; } }"),
            "t.jute:1:25: expected a field name, found `;`"
        );
        assert_eq!(
            err("module m { class { int a; } }"),
            "t.jute:1:18: expected a record name after `class`, found `{`"
        );
        assert_eq!(
            err("module m { class R { vector<int a; } }"),
            "t.jute:1:33: expected `>` closing the vector type, found `a;`"
        );
        assert_eq!(
            err("modul m {}"),
            "t.jute:1:1: expected `module`, found `modul`"
        );
        assert_eq!(
            err("module m { class R { int a; }"),
            "t.jute:1:30: expected `class` or `}` closing the module, found end of file"
        );
        assert_eq!(
            err("module m { }"),
            "t.jute:1:12: expected a record (`class Name { ... }`), found `}`"
        );
        assert_eq!(
            err("module m { class R { } }"),
            "t.jute:1:22: expected a field (records need at least one), found `}`"
        );
        assert_eq!(
            err("module m { class R { map<int,int> a; } }"),
            "t.jute:1:22: expected a type other than `map` (maps are not supported), found `map<int,int>`"
        );
        assert_eq!(
            err("/* never closed\nmodule m { class R { int a; } }"),
            "t.jute:1:1: expected `*/` closing this comment, found `/*`"
        );
        assert_eq!(err(""), "t.jute:1:1: expected at least one module");
    }

    #[test]
    fn semantic_errors() {
        assert_eq!(
            err("module m { class R { Later x; } class Later { int a; } }"),
            "t.jute:1:22: unknown record type `m.Later` (records must be declared before use)"
        );
        assert_eq!(
            err("module m { class R { int a; long a; } }"),
            "t.jute:1:29: field `a` is declared twice in `R`"
        );
        assert_eq!(
            err("module m { class R { int a; } class R { int b; } }"),
            "t.jute:1:31: record `m.R` is declared twice"
        );
        assert_eq!(
            err("module m { class R { x.Y a; } }"),
            "t.jute:1:22: unknown record type `x.Y` (records must be declared before use)"
        );
    }

    #[test]
    fn the_zookeeper_schema_parses() {
        let schema = parse_schema("zookeeper.jute", crate::SCHEMA_SOURCE).unwrap();
        let names: Vec<String> = schema.modules.iter().map(|m| m.name.clone()).collect();
        assert_eq!(
            names,
            [
                "org.apache.zookeeper.data",
                "org.apache.zookeeper.proto",
                "org.apache.zookeeper.server.quorum",
                "org.apache.zookeeper.server.persistence",
                "org.apache.zookeeper.txn"
            ]
        );
        assert_eq!(schema.records().count(), 72);
    }
}
