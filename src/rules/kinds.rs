//! The syntax a match block can be `on`, and which keys make sense for each.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Static,
    Field,
    Let,
    Param,
    TypeAlias,
    Call,
    Method,
    Macro,
    Attribute,
    Impl,
    Fn,
    /// A `loop` or `while` that runs until the program stops and waits on a timer every round.
    Loop,
    /// A long-lived holder of the state model (a static, a field of application state, an
    /// actor's or a task's state) that is changed at run time; not a syntax node.
    State,
}

pub const NODE_KINDS: usize = 13;

/// Keys every block may use, whatever it is `on`.
pub const COMMON_KEYS: &[&str] = &[
    "on",
    "inside",
    "not-inside",
    "calls",
    "calls-in-loop",
    "fn-calls",
    "unless-calls",
    "strings",
    "unless-strings",
    "hops",
    "requires-dependency",
    "unless-dependency",
    "requires-usage",
    "unless-usage",
    "severity",
    "message",
    "help",
];

impl NodeKind {
    pub const ALL: [NodeKind; NODE_KINDS] = [
        NodeKind::Static,
        NodeKind::Field,
        NodeKind::Let,
        NodeKind::Param,
        NodeKind::TypeAlias,
        NodeKind::Call,
        NodeKind::Method,
        NodeKind::Macro,
        NodeKind::Attribute,
        NodeKind::Impl,
        NodeKind::Fn,
        NodeKind::Loop,
        NodeKind::State,
    ];

    pub fn parse(s: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Static => "static",
            NodeKind::Field => "field",
            NodeKind::Let => "let",
            NodeKind::Param => "param",
            NodeKind::TypeAlias => "type-alias",
            NodeKind::Call => "call",
            NodeKind::Method => "method",
            NodeKind::Macro => "macro",
            NodeKind::Attribute => "attribute",
            NodeKind::Impl => "impl",
            NodeKind::Fn => "fn",
            NodeKind::Loop => "loop",
            NodeKind::State => "state",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Keys that only make sense for some kinds, and the kinds they apply to.
    pub fn specific_keys(self) -> &'static [&'static str] {
        match self {
            NodeKind::Static => &[
                "type",
                "not-type",
                "name",
                "not-name",
                "mutable",
                "unless-used-with",
                "used-with",
                "used-with-not-inside",
                "keyed-by",
                "look-into-structs",
            ],
            NodeKind::Let => &["type", "not-type", "name", "not-name", "mutable"],
            NodeKind::Field => &[
                "type",
                "not-type",
                "name",
                "not-name",
                "in-app-state",
                "unless-used-with",
                "used-with",
                "used-with-not-inside",
                "keyed-by",
                "look-into-structs",
                "owner",
                "owner-implements",
                "prefer-owner-calls",
                "unless-owner-calls",
            ],
            NodeKind::TypeAlias => &[
                "type",
                "not-type",
                "name",
                "not-name",
                "in-app-state",
                "unless-used-with",
                "used-with",
                "used-with-not-inside",
            ],
            NodeKind::Param => &["type", "not-type", "name", "not-name"],
            NodeKind::Call => &[
                "path",
                "not-path",
                "name",
                "not-name",
                "args",
                "not-args",
                "chain-has",
                "chain-lacks",
                "constructor",
                "constant-arg",
                "fallible-after",
            ],
            NodeKind::Method => &[
                "name",
                "not-name",
                "receiver",
                "args",
                "not-args",
                "chain-has",
                "chain-lacks",
                "constructor",
                "fallible-after",
            ],
            NodeKind::Macro | NodeKind::Attribute => {
                &["path", "not-path", "name", "not-name", "args", "not-args"]
            }
            NodeKind::Impl => &["path", "not-path", "type", "not-type"],
            NodeKind::Fn => &["name", "not-name", "type", "not-type"],
            NodeKind::Loop => &[],
            NodeKind::State => &[
                "type",
                "not-type",
                "name",
                "not-name",
                "holds",
                "holder",
                "keyed-by",
                "unless-used-with",
                "owner",
                "owner-implements",
            ],
        }
    }

    pub fn names() -> String {
        NodeKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
