//! Message templates: `session state `{name}` lives in this process`.

/// Placeholders a message may use.
pub const PLACEHOLDERS: &[&str] = &["name", "type", "path", "context", "crate"];

#[derive(Debug, Clone)]
pub enum Piece {
    Text(String),
    Var(&'static str),
}

#[derive(Debug, Clone)]
pub struct Template(pub Vec<Piece>);

/// Values for the placeholders of one finding.
#[derive(Default)]
pub struct Vars<'a> {
    pub name: Option<&'a str>,
    pub ty: Option<&'a str>,
    pub path: Option<&'a str>,
    pub context: Option<&'a str>,
    pub crate_name: Option<&'a str>,
}

impl Template {
    pub fn parse(s: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(stripped) = after.strip_prefix('{') {
                text.push('{');
                rest = stripped;
                continue;
            }
            let Some(close) = after.find('}') else {
                return Err("unclosed `{` in message (write `{{` for a literal brace)".to_string());
            };
            let name = &after[..close];
            let Some(&var) = PLACEHOLDERS.iter().find(|p| **p == name) else {
                return Err(format!(
                    "unknown placeholder `{{{name}}}`; available: {}",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Var(var));
            rest = &after[close + 1..];
        }
        text.push_str(&rest.replace("}}", "}"));
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template(pieces))
    }

    pub fn render(&self, vars: &Vars) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => {
                    let value = match *v {
                        "name" => vars.name,
                        "type" => vars.ty,
                        "path" => vars.path,
                        "context" => vars.context,
                        "crate" => vars.crate_name,
                        _ => None,
                    };
                    out.push_str(value.unwrap_or("?"));
                }
            }
        }
        out
    }

    /// The text with placeholders shown as `…` (for one-line rule titles).
    pub fn plain(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Var(_) => "…",
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders() {
        let t = Template::parse("state `{name}` of type {type}").unwrap();
        let v = Vars {
            name: Some("SESSIONS"),
            ty: Some("Mutex<HashMap>"),
            ..Default::default()
        };
        assert_eq!(t.render(&v), "state `SESSIONS` of type Mutex<HashMap>");
    }

    #[test]
    fn rejects_unknown_placeholder() {
        let err = Template::parse("bad {nmae}").unwrap_err();
        assert!(err.contains("unknown placeholder `{nmae}`"), "{err}");
    }

    #[test]
    fn double_braces_are_literal() {
        let t = Template::parse("a {{b}} c").unwrap();
        assert_eq!(t.render(&Vars::default()), "a {b} c");
    }
}
