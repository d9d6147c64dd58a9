//! The state model's promise: whether a state finding exists rests on what the code does (a
//! long-lived holder changed at run time), never on what things are called. Renaming the
//! identifiers a rule might read (a key type, a field, a struct, an unrelated type) may change
//! which rule reports the state, or its severity, but never whether it is reported, nor where.

mod common;

use common::{json, statelint};

/// A one-crate service: `src/main.rs` is `code` after the replacements.
fn findings_of(code: &str) -> Vec<(u64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("src")).unwrap();
    std::fs::write(
        p.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.8\"\ntokio = \"1\"\nactix-web = \"4\"\nonce_cell = \"1\"\n",
    )
    .unwrap();
    std::fs::write(p.join("src/main.rs"), code).unwrap();
    let run = statelint(&["check", ".", "--format", "json", "--fail-on", "never"], p);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = json(&run);
    let mut out: Vec<(u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The lines of the findings, whatever their rules.
fn lines(findings: &[(u64, String)]) -> Vec<u64> {
    findings.iter().map(|(l, _)| *l).collect()
}

fn renamed(template: &str, names: &[(&str, &str)]) -> String {
    names
        .iter()
        .fold(template.to_string(), |s, (from, to)| s.replace(from, to))
}

/// A map of shells kept in axum's application state and filled by a handler: keyed by `Sid`
/// (reads like a session id) or by `ShellId`, held in `shells` or `sessions`, the struct named
/// `Session` or `Terminal`.
const SHELLS: &str = r#"use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::Router;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KEY(u64);

pub struct STRUCT {
    pub title: String,
}

#[derive(Clone)]
pub struct AppState {
    pub FIELD: Arc<Mutex<HashMap<KEY, STRUCT>>>,
}

async fn open(State(state): State<AppState>) -> &'static str {
    state.FIELD.lock().unwrap().insert(KEY(1), STRUCT { title: String::new() });
    "ok"
}

#[tokio::main]
async fn main() {
    let state = AppState { FIELD: Default::default() };
    let _app: Router = Router::new().route("/open", post(open)).with_state(state);
}
"#;

#[test]
fn renaming_a_key_type_a_field_or_a_struct_keeps_the_session_finding() {
    let variants = [
        [("KEY", "Sid"), ("FIELD", "sessions"), ("STRUCT", "Session")],
        [
            ("KEY", "ShellId"),
            ("FIELD", "shells"),
            ("STRUCT", "Terminal"),
        ],
        [("KEY", "Token"), ("FIELD", "by_token"), ("STRUCT", "Login")],
        [("KEY", "Key"), ("FIELD", "items"), ("STRUCT", "Item")],
    ];
    let results: Vec<Vec<(u64, String)>> = variants
        .iter()
        .map(|names| findings_of(&renamed(SHELLS, names)))
        .collect();
    for (names, found) in variants.iter().zip(&results) {
        assert_eq!(lines(found), [17], "{names:?}: {found:?}");
    }
    // Names only pick the rule: session-like names make it a session store.
    assert_eq!(results[0][0].1, "in-memory-session");
    assert_eq!(results[3][0].1, "in-process-cache");
}

/// The same map written only while the service starts: configuration, whatever it is called.
const STARTUP_ONLY: &str = r#"use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::Router;

#[derive(Clone)]
pub struct AppState {
    pub FIELD: Arc<Mutex<HashMap<String, String>>>,
}

async fn show(State(state): State<AppState>) -> String {
    state.FIELD.lock().unwrap().get("banner").cloned().unwrap_or_default()
}

#[tokio::main]
async fn main() {
    let state = AppState { FIELD: Default::default() };
    state.FIELD.lock().unwrap().insert("banner".into(), "hello".into());
    let _app: Router = Router::new().route("/", get(show)).with_state(state);
}
"#;

#[test]
fn a_map_written_only_at_start_up_is_silent_whatever_it_is_called() {
    for name in ["sessions", "tokens", "cache", "settings"] {
        let found = findings_of(&renamed(STARTUP_ONLY, &[("FIELD", name)]));
        assert!(found.is_empty(), "{name}: {found:?}");
    }
}

/// A counter behind `web::Data<Mutex<usize>>` that a handler increments (actix's state
/// example): state, whatever the counter is called; renaming an unrelated struct changes
/// nothing.
const COUNTER: &str = r#"use std::sync::Mutex;

use actix_web::{web, App, HttpServer};

pub struct UNRELATED;

async fn index(data: web::Data<Mutex<usize>>) -> String {
    let mut NAME = data.lock().unwrap();
    *NAME += 1;
    format!("{NAME}")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let counter = web::Data::new(Mutex::new(0usize));
    HttpServer::new(move || App::new().app_data(counter.clone()).route("/", web::get().to(index)))
        .bind(("0.0.0.0", 8080))?
        .run()
        .await
}
"#;

#[test]
fn a_counter_a_handler_increments_is_state_whatever_it_is_called() {
    for (name, unrelated) in [
        ("counter", "Session"),
        ("visits", "Config"),
        ("n", "Nothing"),
    ] {
        let found = findings_of(&renamed(
            COUNTER,
            &[("NAME", name), ("UNRELATED", unrelated)],
        ));
        assert_eq!(
            found,
            [(15, "in-process-cache".to_string())],
            "{name}/{unrelated}"
        );
    }
}

/// Connections kept by a websocket server's actor and sent to: fan-out, whatever the map and
/// the actor are called.
const FANOUT: &str = r#"use std::collections::HashMap;

use actix::prelude::*;
use actix_web_actors::ws;

#[derive(Message)]
#[rtype(result = "()")]
pub struct Text(pub String);

pub struct ACTOR {
    FIELD: HashMap<u64, Recipient<Text>>,
}

impl Actor for ACTOR {
    type Context = Context<Self>;
}

impl ACTOR {
    fn join(&mut self, id: u64, to: Recipient<Text>) {
        self.FIELD.insert(id, to);
    }
}

pub fn start(ctx: &mut ws::WebsocketContext<Conn>) {
    let _ = ctx;
}

pub struct Conn;

impl Actor for Conn {
    type Context = ws::WebsocketContext<Self>;
}
"#;

#[test]
fn a_registry_of_connections_is_fan_out_whatever_it_is_called() {
    for (actor, field) in [("ChatServer", "sessions"), ("Hub", "peers"), ("Thing", "x")] {
        let code = renamed(FANOUT, &[("ACTOR", actor), ("FIELD", field)]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("src")).unwrap();
        std::fs::write(
            p.join("Cargo.toml"),
            "[package]\nname = \"chat\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nactix = \"0.13\"\nactix-web-actors = \"4\"\n",
        )
        .unwrap();
        std::fs::write(p.join("src/lib.rs"), code).unwrap();
        let run = statelint(&["check", ".", "--format", "json", "--fail-on", "never"], p);
        let v = json(&run);
        let found: Vec<(u64, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["line"].as_u64().unwrap(), f["rule"].as_str().unwrap()))
            .collect();
        assert_eq!(found, [(11, "local-websocket-fanout")], "{actor}.{field}");
    }
}
