/*!
Validation of JSON values against OpenRouter's OpenAPI 3.1 spec.

The spec (`openrouter-openapi.yaml`) lives in `shared/reference/` beside the
checkout and is never copied into the project. [`load_spec`] finds it (env
`SWITCHYARD_SHARED_DIR`, else `$CARGO_MANIFEST_DIR/../../../shared/reference/`),
parses it once per process and returns `None` when it is absent, so tests can
skip with a message.

The validator is a compact JSON Schema (2020-12 style) checker for exactly the
keywords the spec uses: `type` (string or array, incl. `"null"`), `$ref`
(`#/...` pointers), `allOf`, `anyOf`, `oneOf` (+ `discriminator`), `enum`,
`const`, `required`, `properties`, `additionalProperties` (bool or schema),
`items`, `minItems`, `maxItems`, `minLength`, `maxLength`, `minimum`,
`maximum`, `exclusiveMinimum` / `exclusiveMaximum` (number, or the OpenAPI 3.0
boolean form). `format` and `pattern` are annotations here and are not checked.
Error messages start with a JSON pointer to the offending value (`/` for the root).

Requests are checked against their operation's request body schema
([`Spec::validate_request`]): a JSON body as is, a `multipart/form-data`
body as the object of its fields (a file part as its file name, a field
whose schema is a number as that number, repeated fields as an array).
*/

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::{FormPart, RecordedRequest};

/// File name of the spec inside `shared/reference/`.
pub const SPEC_FILE: &str = "openrouter-openapi.yaml";

/// Guard against runaway recursion.
const MAX_DEPTH: usize = 200;

/// A parsed OpenAPI document.
#[derive(Clone, Debug)]
pub struct Spec {
    root: Arc<Value>,
}

/// Where the spec is expected: `$SWITCHYARD_SHARED_DIR/reference/openrouter-openapi.yaml`
/// (or `$SWITCHYARD_SHARED_DIR/openrouter-openapi.yaml`) when the variable is set,
/// else `$CARGO_MANIFEST_DIR/../../../shared/reference/openrouter-openapi.yaml`.
pub fn spec_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("SWITCHYARD_SHARED_DIR") {
        let dir = PathBuf::from(dir);
        let direct = dir.join(SPEC_FILE);
        if direct.is_file() {
            return direct;
        }
        return dir.join("reference").join(SPEC_FILE);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference")
        .join(SPEC_FILE)
}

/// Loads (once per process) the spec from [`spec_path`]; `None` when the file
/// does not exist. Panics when the file exists but cannot be read or parsed,
/// so a broken spec never silently skips conformance tests.
pub fn load_spec() -> Option<Spec> {
    static CACHE: OnceLock<Option<Spec>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            let path = spec_path();
            if !path.is_file() {
                return None;
            }
            match Spec::load(&path) {
                Ok(s) => Some(s),
                Err(e) => panic!("cannot load OpenAPI spec {}: {e}", path.display()),
            }
        })
        .clone()
}

impl Spec {
    /// Reads and parses a YAML (or JSON) OpenAPI document.
    pub fn load(path: &Path) -> Result<Spec, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Spec::from_yaml_str(&text)
    }

    /// Parses a YAML (or JSON) OpenAPI document.
    pub fn from_yaml_str(text: &str) -> Result<Spec, String> {
        let root: Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        Ok(Spec::from_value(root))
    }

    /// Wraps an already parsed document.
    pub fn from_value(root: Value) -> Spec {
        Spec {
            root: Arc::new(root),
        }
    }

    /// The whole document.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// `components.schemas.<name>`, if present.
    pub fn schema(&self, name: &str) -> Option<&Value> {
        self.root.get("components")?.get("schemas")?.get(name)
    }

    /// The `application/json` schema of an operation's response, e.g.
    /// `("/key", "get", "200")`.
    pub fn response_schema(&self, path: &str, method: &str, status: &str) -> Option<&Value> {
        self.root
            .get("paths")?
            .get(path)?
            .get(method.to_ascii_lowercase())?
            .get("responses")?
            .get(status)?
            .get("content")?
            .get("application/json")?
            .get("schema")
    }

    /// The request body schema of an operation for a content type, e.g.
    /// `("/embeddings", "post", "application/json")`.
    pub fn request_schema(&self, path: &str, method: &str, content_type: &str) -> Option<&Value> {
        self.root
            .get("paths")?
            .get(path)?
            .get(method.to_ascii_lowercase())?
            .get("requestBody")?
            .get("content")?
            .get(content_type)?
            .get("schema")
    }

    /// Validates a recorded request's body against its operation's request
    /// schema; `None` when the spec describes no body for it (a GET, a
    /// download, a path the spec does not have, a content type it does not
    /// list). A body that cannot be read as its content type is one error.
    pub fn validate_request(&self, req: &RecordedRequest) -> Option<Result<(), Vec<String>>> {
        let path = req.path_only().strip_prefix("/api/v1")?;
        let content_type = req
            .header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let schema = self.request_schema(path, &req.method, &content_type)?;
        let value = if content_type == "multipart/form-data" {
            match req.form() {
                Some(parts) => form_value(self, schema, &parts),
                None => {
                    return Some(Err(vec![
                        "/: the body is not a well-formed multipart form".into()
                    ]))
                }
            }
        } else {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => v,
                Err(_) => return Some(Err(vec!["/: the body is not JSON".into()])),
            }
        };
        Some(self.validate_with(schema, &value))
    }

    /// Validates `value` against `components.schemas.<schema_name>`.
    pub fn validate(&self, schema_name: &str, value: &Value) -> Result<(), Vec<String>> {
        let schema = self
            .schema(schema_name)
            .ok_or_else(|| vec![format!("unknown schema '{schema_name}'")])?;
        self.validate_with(schema, value)
    }

    /// Validates `value` against an operation's JSON response schema (see [`Spec::response_schema`]).
    pub fn validate_response(
        &self,
        path: &str,
        method: &str,
        status: &str,
        value: &Value,
    ) -> Result<(), Vec<String>> {
        let schema = self.response_schema(path, method, status).ok_or_else(|| {
            vec![format!(
                "no JSON response schema for {method} {path} {status}"
            )]
        })?;
        self.validate_with(schema, value)
    }

    /// Validates `value` against an arbitrary schema whose `$ref`s point into this spec.
    pub fn validate_with(&self, schema: &Value, value: &Value) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let mut path = Vec::new();
        self.check(schema, value, &mut path, &mut errors, 0);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        let pointer = reference.strip_prefix('#')?;
        self.root.pointer(pointer)
    }

    fn check(
        &self,
        schema: &Value,
        value: &Value,
        path: &mut Vec<String>,
        errs: &mut Vec<String>,
        depth: usize,
    ) {
        let s = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                errs.push(format!("{}: no value is allowed here", pointer(path)));
                return;
            }
            Value::Object(s) => s,
            _ => return,
        };
        if depth > MAX_DEPTH {
            errs.push(format!("{}: schema nesting too deep", pointer(path)));
            return;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match self.resolve(r) {
                Some(target) => self.check(target, value, path, errs, depth + 1),
                None => errs.push(format!("{}: unresolvable $ref {r}", pointer(path))),
            }
        }
        if let Some(t) = s.get("type") {
            let ok = match t {
                Value::String(t) => type_matches(t, value),
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|t| type_matches(t, value)),
                _ => true,
            };
            if !ok {
                errs.push(format!(
                    "{}: expected type {}, got {}",
                    pointer(path),
                    compact(t),
                    type_name(value)
                ));
                return;
            }
        }
        if let Some(Value::Array(options)) = s.get("enum") {
            if !options.iter().any(|o| json_eq(o, value)) {
                errs.push(format!(
                    "{}: {} is not one of {}",
                    pointer(path),
                    compact(value),
                    compact(&Value::Array(options.clone()))
                ));
            }
        }
        if let Some(c) = s.get("const") {
            if !json_eq(c, value) {
                errs.push(format!(
                    "{}: expected const {}, got {}",
                    pointer(path),
                    compact(c),
                    compact(value)
                ));
            }
        }
        match value {
            Value::Object(obj) => {
                if let Some(Value::Array(req)) = s.get("required") {
                    for name in req.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(name) {
                            errs.push(format!(
                                "{}: missing required property '{name}'",
                                pointer(path)
                            ));
                        }
                    }
                }
                let props = s.get("properties").and_then(Value::as_object);
                for (k, v) in obj {
                    path.push(k.clone());
                    match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.check(ps, v, path, errs, depth + 1),
                        None => match s.get("additionalProperties") {
                            Some(Value::Bool(false)) => {
                                errs.push(format!(
                                    "{}: additional property not allowed",
                                    pointer(path)
                                ));
                            }
                            Some(ap @ Value::Object(_)) => self.check(ap, v, path, errs, depth + 1),
                            _ => {}
                        },
                    }
                    path.pop();
                }
            }
            Value::Array(items) => {
                if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                    if (items.len() as u64) < min {
                        errs.push(format!(
                            "{}: expected at least {min} items, got {}",
                            pointer(path),
                            items.len()
                        ));
                    }
                }
                if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
                    if items.len() as u64 > max {
                        errs.push(format!(
                            "{}: expected at most {max} items, got {}",
                            pointer(path),
                            items.len()
                        ));
                    }
                }
                if let Some(item_schema) = s.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        path.push(i.to_string());
                        self.check(item_schema, v, path, errs, depth + 1);
                        path.pop();
                    }
                }
            }
            Value::String(text) => {
                let n = text.chars().count() as u64;
                if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
                    if n < min {
                        errs.push(format!("{}: string shorter than {min}", pointer(path)));
                    }
                }
                if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
                    if n > max {
                        errs.push(format!("{}: string longer than {max}", pointer(path)));
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                let excl_min_flag =
                    s.get("exclusiveMinimum").and_then(Value::as_bool) == Some(true);
                let excl_max_flag =
                    s.get("exclusiveMaximum").and_then(Value::as_bool) == Some(true);
                if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
                    if x < min || (excl_min_flag && x <= min) {
                        errs.push(format!("{}: {x} is below the minimum {min}", pointer(path)));
                    }
                }
                if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
                    if x > max || (excl_max_flag && x >= max) {
                        errs.push(format!("{}: {x} is above the maximum {max}", pointer(path)));
                    }
                }
                if let Some(min) = s.get("exclusiveMinimum").and_then(Value::as_f64) {
                    if x <= min {
                        errs.push(format!("{}: {x} must be greater than {min}", pointer(path)));
                    }
                }
                if let Some(max) = s.get("exclusiveMaximum").and_then(Value::as_f64) {
                    if x >= max {
                        errs.push(format!("{}: {x} must be less than {max}", pointer(path)));
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = s.get("allOf") {
            for sub in all {
                self.check(sub, value, path, errs, depth + 1);
            }
        }
        if let Some(Value::Array(any)) = s.get("anyOf") {
            self.check_alternatives("anyOf", any, value, path, errs, depth, false);
        }
        if let Some(Value::Array(one)) = s.get("oneOf") {
            match self.discriminated(s, one, value) {
                Some(Ok(target)) => self.check(target, value, path, errs, depth + 1),
                Some(Err(msg)) => errs.push(format!("{}: {msg}", pointer(path))),
                None => self.check_alternatives("oneOf", one, value, path, errs, depth, true),
            }
        }
    }

    /// Picks the `oneOf` branch named by a `discriminator`, if the schema has one
    /// and the value is an object. `Some(Err)` describes a bad discriminator value.
    fn discriminated<'a>(
        &'a self,
        s: &'a serde_json::Map<String, Value>,
        one: &'a [Value],
        value: &Value,
    ) -> Option<Result<&'a Value, String>> {
        let disc = s.get("discriminator")?;
        let prop = disc.get("propertyName")?.as_str()?;
        let obj = value.as_object()?;
        let Some(tag) = obj.get(prop).and_then(Value::as_str) else {
            return Some(Err(format!("missing discriminator property '{prop}'")));
        };
        if let Some(r) = disc
            .get("mapping")
            .and_then(|m| m.get(tag))
            .and_then(Value::as_str)
        {
            return Some(
                self.resolve(r)
                    .ok_or_else(|| format!("unresolvable $ref {r}")),
            );
        }
        // Implicit mapping: a branch `$ref` whose schema name equals the tag.
        for branch in one {
            if let Some(r) = branch.get("$ref").and_then(Value::as_str) {
                if r.rsplit('/').next() == Some(tag) {
                    return Some(
                        self.resolve(r)
                            .ok_or_else(|| format!("unresolvable $ref {r}")),
                    );
                }
            }
        }
        let known: Vec<&str> = disc
            .get("mapping")
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        Some(Err(format!(
            "'{prop}' value {tag:?} matches no alternative (known: {})",
            known.join(", ")
        )))
    }

    #[allow(clippy::too_many_arguments)]
    fn check_alternatives(
        &self,
        keyword: &str,
        alternatives: &[Value],
        value: &Value,
        path: &mut Vec<String>,
        errs: &mut Vec<String>,
        depth: usize,
        exactly_one: bool,
    ) {
        let mut best: Option<Vec<String>> = None;
        let mut matched = 0;
        for alt in alternatives {
            let mut sub = Vec::new();
            self.check(alt, value, path, &mut sub, depth + 1);
            if sub.is_empty() {
                matched += 1;
                if !exactly_one {
                    return;
                }
            } else if best.as_ref().is_none_or(|b| sub.len() < b.len()) {
                best = Some(sub);
            }
        }
        if matched == 0 {
            errs.push(format!(
                "{}: value matches none of the {} {keyword} alternatives; closest mismatch follows",
                pointer(path),
                alternatives.len()
            ));
            errs.extend(best.unwrap_or_default());
        } else if exactly_one && matched > 1 {
            errs.push(format!(
                "{}: value matches {matched} oneOf alternatives, expected exactly one",
                pointer(path)
            ));
        }
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Equality with numbers compared by value (`1 == 1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A multipart form as the JSON object its schema describes.
fn form_value(spec: &Spec, schema: &Value, parts: &[FormPart]) -> Value {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.resolve(r).unwrap_or(schema),
        None => schema,
    };
    let props = schema.get("properties");
    let mut obj = serde_json::Map::new();
    for p in parts {
        let prop = props.and_then(|ps| ps.get(&p.name));
        let kind = prop.and_then(|s| s.get("type")).and_then(Value::as_str);
        let text = p.text();
        let v = match (&p.filename, kind) {
            (Some(f), _) => Value::String(f.clone()),
            (None, Some("number")) => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(text.clone()), Value::Number),
            (None, Some("integer")) => text
                .parse::<i64>()
                .map_or(Value::String(text.clone()), Value::from),
            (None, Some("boolean")) => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(text.clone()),
            },
            _ => Value::String(text),
        };
        match (obj.get_mut(&p.name), kind) {
            (Some(Value::Array(a)), _) => a.push(v),
            (None, Some("array")) => {
                obj.insert(p.name.clone(), Value::Array(vec![v]));
            }
            (Some(prev), _) => {
                let first = prev.take();
                *prev = Value::Array(vec![first, v]);
            }
            (None, _) => {
                obj.insert(p.name.clone(), v);
            }
        }
    }
    Value::Object(obj)
}

/// A short rendering of a value for messages.
fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let cut = s.char_indices().nth(117).map(|(i, _)| i).unwrap_or(s.len());
        format!("{}...", &s[..cut])
    } else {
        s
    }
}

/// A JSON pointer for a path of segments (`/` for the root).
fn pointer(path: &[String]) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Spec {
        Spec::from_yaml_str(
            r##"
components:
  schemas:
    Pet:
      type: object
      required: [name, kind]
      properties:
        name: {type: string, minLength: 1}
        age: {type: [integer, 'null'], minimum: 0}
        kind: {$ref: '#/components/schemas/Kind'}
        tags: {type: array, items: {type: string}, maxItems: 2}
        extra: {anyOf: [{type: string}, {type: number}]}
        food:
          oneOf:
            - $ref: '#/components/schemas/Dry'
            - $ref: '#/components/schemas/Wet'
          discriminator:
            propertyName: type
            mapping: {dry: '#/components/schemas/Dry', wet: '#/components/schemas/Wet'}
      additionalProperties: false
    Kind: {type: string, enum: [cat, dog, null]}
    Dry: {type: object, required: [type, grams], properties: {type: {const: dry}, grams: {type: integer}}}
    Wet: {type: object, required: [type, cans], properties: {type: {const: wet}, cans: {type: integer, exclusiveMinimum: 0}}}
"##,
        )
        .expect("test spec parses")
    }

    #[test]
    fn accepts_valid() {
        let v = json!({"name": "Tom", "age": null, "kind": "cat", "tags": ["a"], "extra": 3.5,
                       "food": {"type": "wet", "cans": 2}});
        assert_eq!(spec().validate("Pet", &v), Ok(()));
        assert_eq!(
            spec().validate("Pet", &json!({"name": "x", "kind": "dog", "age": 3.0})),
            Ok(())
        );
    }

    #[test]
    fn reports_paths() {
        let v = json!({"name": "", "age": -1, "kind": "cow", "tags": ["a", 1, "c"], "extra": true,
                       "food": {"type": "wet", "cans": 0}, "color": "red"});
        let errs = spec().validate("Pet", &v).unwrap_err();
        let all = errs.join("\n");
        for needle in [
            "/name: string shorter than 1",
            "/age: -1 is below the minimum 0",
            "/kind: \"cow\" is not one of",
            "/tags: expected at most 2 items",
            "/tags/1: expected type \"string\", got integer",
            "/extra: value matches none of the 2 anyOf",
            "/food/cans: 0 must be greater than 0",
            "/color: additional property not allowed",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        let errs = spec()
            .validate("Pet", &json!({"kind": "cat", "food": {"type": "raw"}}))
            .unwrap_err();
        let all = errs.join("\n");
        assert!(all.contains("/: missing required property 'name'"), "{all}");
        assert!(
            all.contains("/food: 'type' value \"raw\" matches no alternative"),
            "{all}"
        );
        assert!(spec().validate("Nope", &json!(1)).is_err());
    }
}
