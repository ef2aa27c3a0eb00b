/*!
Checking an answer against the JSON Schema it was asked to follow
(`chat --schema FILE`). The provider is asked for strict adherence, but
the host trusts no answer: the text must parse as JSON and validate, or
the command fails with exit 4 ([`crate::error::HostError::AnswerInvalid`]).

A small validator for the subset that strict structured outputs use
(OpenAI's and OpenRouter's `json_schema` mode), written here rather than
taken from a general JSON Schema crate: the subset is small, the general
crates bring a regex engine, URL handling and remote-reference resolution
the host does not want, and every violation must name its place in the
answer in the user's terms. Checked:

- `type` (a name or a list of names; `integer` is a number without a
  fraction, `null` makes a field nullable), `enum`, `const`;
- objects: `properties`, `required`, `additionalProperties` (`false`,
  `true` or a schema), `minProperties`, `maxProperties`;
- arrays: `items` (a schema), `prefixItems`, `minItems`, `maxItems`;
- strings: `minLength`, `maxLength` (in characters);
- numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
  `multipleOf`;
- `anyOf`, `allOf`, `oneOf`, `not`, and `$ref` to a JSON pointer inside
  the document (`#`, `#/$defs/NAME`, `#/definitions/NAME`), recursion
  included.

Annotations (`title`, `description`, `default`, `examples`, ...) are
ignored. Keywords that constrain values but are not checked here
(`pattern`, `format`, `patternProperties`, `uniqueItems`, ...) are listed
by [`AnswerSchema::unchecked`], so the command can say so. A schema that is
not an object, names an unknown type, or holds a `$ref` that does not
resolve is refused before anything is sent.
*/

use serde_json::{Map, Value};

/// How deep validation may go (nesting and `$ref`s followed), so a
/// self-referencing schema cannot loop.
const MAX_DEPTH: usize = 256;

/// The JSON type names a `type` keyword may use.
const TYPES: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];

/// Keywords that hold no constraint (or whose constraint is checked
/// through another keyword).
const ANNOTATIONS: [&str; 13] = [
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$anchor",
];

/// Keywords this validator checks.
const CHECKED: [&str; 24] = [
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "anyOf",
    "allOf",
    "oneOf",
    "not",
    "$ref",
];

/// A parsed answer schema, ready to validate answers.
#[derive(Debug, Clone)]
pub struct AnswerSchema {
    root: Value,
    unchecked: Vec<String>,
}

impl AnswerSchema {
    /// Parses a schema document; `Err` says why it cannot be used (not
    /// JSON, not an object, an unknown type, a `$ref` that does not resolve).
    pub fn parse(text: &str) -> Result<AnswerSchema, String> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
        if !root.is_object() {
            return Err(
                "a JSON schema must be a JSON object, such as {\"type\": \"object\", ...}".into(),
            );
        }
        let mut schema = AnswerSchema {
            root,
            unchecked: Vec::new(),
        };
        let mut unchecked = Vec::new();
        schema.survey(&schema.root, "#", 0, &mut unchecked)?;
        unchecked.sort();
        unchecked.dedup();
        schema.unchecked = unchecked;
        Ok(schema)
    }

    /// The schema document.
    pub fn document(&self) -> &Value {
        &self.root
    }

    /// Constraining keywords the schema uses that are not checked here.
    pub fn unchecked(&self) -> &[String] {
        &self.unchecked
    }

    /// Checks `answer`; `Err` names the first violation and where it is
    /// (a JSON pointer into the answer).
    pub fn validate(&self, answer: &Value) -> Result<(), String> {
        self.check(&self.root, answer, "", 0)
    }

    /// Walks the schema: resolves every `$ref`, checks type names and
    /// collects the keywords not checked.
    fn survey(
        &self,
        s: &Value,
        at: &str,
        depth: usize,
        unchecked: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(o) = s.as_object() else {
            return match s {
                Value::Bool(_) => Ok(()),
                _ => Err(format!("{at}: a schema must be an object or true/false")),
            };
        };
        if depth > MAX_DEPTH {
            return Err(format!("{at}: the schema nests too deeply"));
        }
        if let Some(r) = o.get("$ref") {
            let r = r.as_str().ok_or(format!("{at}/$ref: must be a string"))?;
            self.resolve(r)?;
        }
        check_type_names(o, at)?;
        for k in o.keys() {
            if !CHECKED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                unchecked.push(k.clone());
            }
        }
        for (path, sub) in subschemas(o) {
            self.survey(sub, &format!("{at}/{path}"), depth + 1, unchecked)?;
        }
        Ok(())
    }

    /// The schema a `$ref` points to (only pointers inside the document).
    fn resolve(&self, r: &str) -> Result<&Value, String> {
        let Some(pointer) = r.strip_prefix('#') else {
            return Err(format!(
                "$ref {r:?}: only references inside the schema (#, #/$defs/NAME) are supported"
            ));
        };
        self.root
            .pointer(pointer)
            .ok_or_else(|| format!("$ref {r:?} points to nothing in the schema"))
    }

    fn check(&self, s: &Value, v: &Value, path: &str, depth: usize) -> Result<(), String> {
        let o = match s {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return Err(violation(path, "no value is allowed here")),
            Value::Object(o) => o,
            _ => return Ok(()),
        };
        if depth > MAX_DEPTH {
            return Err(violation(path, "the schema nests too deeply to check"));
        }
        if let Some(r) = o.get("$ref").and_then(Value::as_str) {
            self.check(self.resolve(r)?, v, path, depth + 1)?;
        }
        check_type(o, v, path)?;
        check_values(o, v, path)?;
        match v {
            Value::Object(m) => self.check_object(o, m, path, depth)?,
            Value::Array(a) => self.check_array(o, a, path, depth)?,
            Value::String(t) => check_string(o, t, path)?,
            Value::Number(_) => check_number(o, v, path)?,
            _ => {}
        }
        self.check_combinations(o, v, path, depth)
    }

    fn check_object(
        &self,
        o: &Map<String, Value>,
        m: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<(), String> {
        let props = o.get("properties").and_then(Value::as_object);
        for req in o
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = req.as_str().filter(|n| !m.contains_key(*n)) {
                return Err(violation(
                    path,
                    &format!("the required field {name:?} is missing"),
                ));
            }
        }
        for (k, val) in m {
            let at = format!("{path}/{}", escape(k));
            match props.and_then(|p| p.get(k)) {
                Some(sub) => self.check(sub, val, &at, depth + 1)?,
                None => match o.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err(violation(
                            path,
                            &format!(
                            "the field {k:?} is not in the schema (additionalProperties is false)"
                        ),
                        ))
                    }
                    Some(sub) => self.check(sub, val, &at, depth + 1)?,
                    None => {}
                },
            }
        }
        let n = m.len() as u64;
        bound(o, "minProperties", path, n, "fields")?;
        bound(o, "maxProperties", path, n, "fields")
    }

    fn check_array(
        &self,
        o: &Map<String, Value>,
        a: &[Value],
        path: &str,
        depth: usize,
    ) -> Result<(), String> {
        let prefix = o.get("prefixItems").and_then(Value::as_array);
        let skip = prefix.map_or(0, Vec::len);
        for (i, (item, sub)) in a.iter().zip(prefix.into_iter().flatten()).enumerate() {
            self.check(sub, item, &format!("{path}/{i}"), depth + 1)?;
        }
        if let Some(items) = o.get("items").filter(|i| !i.is_array()) {
            for (i, item) in a.iter().enumerate().skip(skip) {
                self.check(items, item, &format!("{path}/{i}"), depth + 1)?;
            }
        }
        let n = a.len() as u64;
        bound(o, "minItems", path, n, "items")?;
        bound(o, "maxItems", path, n, "items")
    }

    fn check_combinations(
        &self,
        o: &Map<String, Value>,
        v: &Value,
        path: &str,
        depth: usize,
    ) -> Result<(), String> {
        let list = |k: &str| o.get(k).and_then(Value::as_array);
        for sub in list("allOf").into_iter().flatten() {
            self.check(sub, v, path, depth + 1)?;
        }
        if let Some(choices) = list("anyOf") {
            let mut first = None;
            for sub in choices {
                match self.check(sub, v, path, depth + 1) {
                    Ok(()) => {
                        first = None;
                        break;
                    }
                    Err(e) => {
                        first.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first.filter(|_| !choices.is_empty()) {
                return Err(format!("{e} (and no other anyOf choice matches)"));
            }
        }
        if let Some(choices) = list("oneOf") {
            let matching = choices
                .iter()
                .filter(|sub| self.check(sub, v, path, depth + 1).is_ok())
                .count();
            if matching != 1 {
                return Err(violation(
                    path,
                    &format!("matches {matching} of the oneOf choices, not exactly one"),
                ));
            }
        }
        if let Some(not) = o.get("not") {
            if self.check(not, v, path, depth + 1).is_ok() {
                return Err(violation(path, "matches the schema under `not`"));
            }
        }
        Ok(())
    }
}

/// The subschemas of a schema object, each with its path below it.
fn subschemas(o: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for key in ["properties", "$defs", "definitions"] {
        for (k, v) in o.get(key).and_then(Value::as_object).into_iter().flatten() {
            out.push((format!("{key}/{}", escape(k)), v));
        }
    }
    for key in ["anyOf", "allOf", "oneOf", "prefixItems"] {
        for (i, v) in o
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((format!("{key}/{i}"), v));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        // `items` as a list is the old tuple form; its entries are not checked.
        if let Some(v) = o.get(key).filter(|v| !v.is_array()) {
            out.push((key.to_string(), v));
        }
    }
    out
}

fn check_type_names(o: &Map<String, Value>, at: &str) -> Result<(), String> {
    let names: Vec<&Value> = match o.get("type") {
        None => return Ok(()),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(t) => vec![t],
    };
    for n in names {
        if !n.as_str().is_some_and(|n| TYPES.contains(&n)) {
            return Err(format!(
                "{at}/type: {n} is not a JSON type; use {}",
                TYPES.join(", ")
            ));
        }
    }
    Ok(())
}

/// A JSON pointer token (`~` and `/` escaped).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn violation(path: &str, what: &str) -> String {
    if path.is_empty() {
        format!("the answer {what}")
    } else {
        format!("{path}: {what}")
    }
}

/// The JSON type of a value, for messages.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if is_integer(n) => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_integer(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn has_type(v: &Value, name: &str) -> bool {
    match (name, v) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("number", Value::Number(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => is_integer(n),
        _ => false,
    }
}

fn check_type(o: &Map<String, Value>, v: &Value, path: &str) -> Result<(), String> {
    let names: Vec<&str> = match o.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    if names.iter().any(|n| has_type(v, n)) {
        return Ok(());
    }
    Err(violation(
        path,
        &format!("should be {}, found {}", names.join(" or "), type_of(v)),
    ))
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

fn check_values(o: &Map<String, Value>, v: &Value, path: &str) -> Result<(), String> {
    if let Some(allowed) = o.get("enum").and_then(Value::as_array) {
        if !allowed.iter().any(|a| same(a, v)) {
            let shown: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(violation(
                path,
                &format!("is {v}, not one of {}", shown.join(", ")),
            ));
        }
    }
    match o.get("const") {
        Some(c) if !same(c, v) => Err(violation(path, &format!("is {v}, not {c}"))),
        _ => Ok(()),
    }
}

/// Checks a count against a `min*` or `max*` keyword (`minItems`, ...).
fn bound(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    actual: u64,
    unit: &str,
) -> Result<(), String> {
    let Some(n) = o.get(key).and_then(Value::as_u64) else {
        return Ok(());
    };
    let (ok, word) = if key.starts_with("min") {
        (actual >= n, "at least")
    } else {
        (actual <= n, "at most")
    };
    if ok {
        return Ok(());
    }
    Err(violation(
        path,
        &format!("has {actual} {unit}, should have {word} {n}"),
    ))
}

fn check_string(o: &Map<String, Value>, t: &str, path: &str) -> Result<(), String> {
    let n = t.chars().count() as u64;
    bound(o, "minLength", path, n, "characters")?;
    bound(o, "maxLength", path, n, "characters")
}

fn check_number(o: &Map<String, Value>, v: &Value, path: &str) -> Result<(), String> {
    let Some(x) = v.as_f64() else { return Ok(()) };
    let limit = |k: &str| o.get(k).and_then(Value::as_f64);
    let fails = [
        ("minimum", limit("minimum").filter(|m| x < *m), "at least"),
        ("maximum", limit("maximum").filter(|m| x > *m), "at most"),
        (
            "exclusiveMinimum",
            limit("exclusiveMinimum").filter(|m| x <= *m),
            "more than",
        ),
        (
            "exclusiveMaximum",
            limit("exclusiveMaximum").filter(|m| x >= *m),
            "less than",
        ),
    ];
    if let Some((_, Some(m), what)) = fails.iter().find(|(_, m, _)| m.is_some()) {
        return Err(violation(path, &format!("is {x}, should be {what} {m}")));
    }
    match limit("multipleOf").filter(|m| *m > 0.0) {
        Some(m) if ((x / m) - (x / m).round()).abs() > 1e-9 => {
            Err(violation(path, &format!("is {x}, not a multiple of {m}")))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> AnswerSchema {
        AnswerSchema::parse(&v.to_string()).unwrap()
    }

    fn person() -> AnswerSchema {
        schema(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "age": {"type": ["integer", "null"], "minimum": 0},
                "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 2},
                "kind": {"enum": ["cat", "dog"]},
                "home": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/place"}]}
            },
            "required": ["name", "age"],
            "additionalProperties": false,
            "$defs": {
                "tag": {"type": "string", "maxLength": 5},
                "place": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}
            }
        }))
    }

    #[test]
    fn a_conforming_answer_passes() {
        let s = person();
        let ok = json!({"name": "Ada", "age": 36, "tags": ["x"], "kind": "cat", "home": {"city": "London"}});
        assert_eq!(s.validate(&ok), Ok(()));
        assert_eq!(
            s.validate(&json!({"name": "Ada", "age": null, "home": null})),
            Ok(())
        );
        assert_eq!(s.validate(&json!({"name": "Ada", "age": 36.0})), Ok(()));
        assert!(s.unchecked().is_empty(), "{:?}", s.unchecked());
    }

    #[test]
    fn each_violation_names_its_place() {
        let s = person();
        let cases = [
            (
                json!({"age": 1}),
                "the answer the required field \"name\" is missing",
            ),
            (
                json!({"name": "A", "age": "1"}),
                "/age: should be integer or null, found a string",
            ),
            (
                json!({"name": "A", "age": 1.5}),
                "/age: should be integer or null, found a number",
            ),
            (
                json!({"name": "A", "age": -1}),
                "/age: is -1, should be at least 0",
            ),
            (
                json!({"name": "A", "age": 1, "x": 1}),
                "the answer the field \"x\" is not in the schema",
            ),
            (
                json!({"name": "A", "age": 1, "tags": ["toolong"]}),
                "/tags/0: has 7 characters, should have at most 5",
            ),
            (
                json!({"name": "A", "age": 1, "tags": ["a", "b", "c"]}),
                "/tags: has 3 items, should have at most 2",
            ),
            (
                json!({"name": "A", "age": 1, "kind": "cow"}),
                "/kind: is \"cow\", not one of \"cat\", \"dog\"",
            ),
            (
                json!({"name": "A", "age": 1, "home": {"town": "x"}}),
                "/home: should be null, found an object (and no other anyOf choice matches)",
            ),
            (
                json!({"name": "", "age": 1}),
                "/name: has 0 characters, should have at least 1",
            ),
            (json!([1]), "the answer should be object, found an array"),
        ];
        for (answer, want) in cases {
            let got = s.validate(&answer).unwrap_err();
            assert!(got.starts_with(want), "{answer}: {got}\nwanted: {want}");
        }
    }

    #[test]
    fn recursion_const_one_of_and_not_work() {
        let tree = schema(json!({
            "type": "object",
            "properties": {"v": {"const": 1}, "kids": {"type": "array", "items": {"$ref": "#"}}},
            "required": ["v"]
        }));
        assert_eq!(
            tree.validate(&json!({"v": 1, "kids": [{"v": 1.0, "kids": []}]})),
            Ok(())
        );
        let e = tree
            .validate(&json!({"v": 1, "kids": [{"v": 2}]}))
            .unwrap_err();
        assert!(e.starts_with("/kids/0/v: is 2, not 1"), "{e}");
        let one = schema(
            json!({"oneOf": [{"type": "integer"}, {"type": "number"}], "not": {"const": 3}}),
        );
        assert!(one.validate(&json!(1.5)).is_ok());
        assert!(one
            .validate(&json!(2))
            .unwrap_err()
            .contains("matches 2 of the oneOf"));
        let loop_ = schema(json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}));
        assert!(loop_
            .validate(&json!(1))
            .unwrap_err()
            .contains("too deeply"));
    }

    #[test]
    fn unusable_schemas_are_refused_and_unchecked_keywords_listed() {
        for (bad, why) in [
            ("[1]", "must be a JSON object"),
            ("{nope", "not JSON"),
            (r#"{"type": "text"}"#, "#/type: \"text\" is not a JSON type"),
            (
                r##"{"properties": {"a": {"$ref": "#/$defs/b"}}}"##,
                "points to nothing",
            ),
            (
                r#"{"$ref": "https://x/s.json"}"#,
                "only references inside the schema",
            ),
            (r#"{"items": 3}"#, "#/items: a schema must be"),
        ] {
            let e = AnswerSchema::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let s = schema(
            json!({"type": "string", "pattern": "^a", "format": "email", "description": "d"}),
        );
        assert_eq!(s.unchecked(), ["format", "pattern"]);
        assert!(s.validate(&json!("zzz")).is_ok());
    }
}
