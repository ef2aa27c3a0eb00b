/*!
`chat --schema FILE`: a JSON-schema answer. The file is read and checked
before anything is sent (exit 2 when it cannot be used); the request asks
for a strict `json_schema` answer named after the file's stem; the answer
is checked against the schema here ([`switchyard_core::answer_schema`]),
whatever the provider promised: an answer that is not JSON or does not
follow the schema exits 4.
*/

use serde_json::Value;
use std::path::Path;
use switchyard_core::answer_schema::AnswerSchema;
use switchyard_core::error::HostError;
use switchyard_core::session::Session;
use switchyard_plugin_api::doc::JsonSchema;

/// A loaded `--schema`: the validator and what the request carries.
#[derive(Debug)]
pub struct AnswerFormat {
    /// The schema, ready to check answers.
    pub schema: AnswerSchema,
    /// The request's `response_format`.
    pub request: JsonSchema,
    /// The file as the user named it.
    pub shown: String,
}

/// A schema name as the API takes it: letters, digits, `_` and `-`
/// (others become `_`), at most 64, `answer` when nothing is left.
pub fn schema_name(stem: &str) -> String {
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if name.trim_matches('_').is_empty() {
        "answer".into()
    } else {
        name
    }
}

/// Reads and checks the schema file; says which keywords are only asked
/// of the provider, not checked here.
pub fn load(session: &Session, path: &Path) -> Result<AnswerFormat, HostError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        HostError::InvalidInput(format!("--schema {shown}: cannot read the file: {e}"))
    })?;
    let schema = AnswerSchema::parse(&text)
        .map_err(|why| HostError::InvalidInput(format!("--schema {shown}: {why}")))?;
    if !schema.unchecked().is_empty() {
        session.notice(&format!(
            "note: --schema {shown}: {} {} asked of the provider but not checked here",
            schema.unchecked().join(", "),
            if schema.unchecked().len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let request = JsonSchema {
        name: schema_name(&stem),
        schema_json: schema.document().to_string(),
        strict: true,
    };
    Ok(AnswerFormat {
        schema,
        request,
        shown,
    })
}

impl AnswerFormat {
    /// The answer parsed and checked; `Err` (exit 4) names the violation.
    pub fn check(&self, model: &str, text: &str) -> Result<Value, HostError> {
        let invalid = |reason: String| HostError::AnswerInvalid {
            model: model.to_string(),
            schema: self.shown.clone(),
            reason,
        };
        let value: Value = serde_json::from_str(text.trim())
            .map_err(|e| invalid(format!("it is not JSON ({e})")))?;
        self.schema.validate(&value).map_err(invalid)?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_of_allowed_characters() {
        assert_eq!(schema_name("person"), "person");
        assert_eq!(schema_name("my schema.v2"), "my_schema_v2");
        assert_eq!(schema_name(""), "answer");
        assert_eq!(schema_name(&"x".repeat(80)).len(), 64);
    }

    #[test]
    fn answers_are_parsed_then_validated() {
        let dir = std::env::temp_dir().join(format!("sy-schema-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("city.json");
        std::fs::write(&p, r#"{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}"#).unwrap();
        let f = load(&Session::silent(), &p).unwrap();
        assert_eq!(f.request.name, "city");
        assert!(f.request.strict);
        assert_eq!(
            f.check("m", " {\"name\": \"Oslo\"}\n").unwrap()["name"],
            "Oslo"
        );
        let e = f.check("m", "{\"name\": 3}").unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(
            e.to_string()
                .contains("/name: should be string, found an integer"),
            "{e}"
        );
        let e = f.check("m", "Oslo").unwrap_err().to_string();
        assert!(e.contains("it is not JSON"), "{e}");
        std::fs::write(&p, "[]").unwrap();
        assert_eq!(load(&Session::silent(), &p).unwrap_err().exit_code(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
