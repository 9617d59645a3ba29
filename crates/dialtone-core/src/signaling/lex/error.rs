//! Lex's exceptions, whether they come as an HTTP error or as an exception frame in the
//! stream, and what the user can do about each. The one table is [`advice`].

/// The exceptions StartConversation names (apis.md §4.1).
pub const EXCEPTIONS: [&str; 8] = [
    "AccessDeniedException",
    "ThrottlingException",
    "ValidationException",
    "ResourceNotFoundException",
    "ConflictException",
    "BadGatewayException",
    "DependencyFailedException",
    "InternalServerException",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    /// One of Lex's exceptions.
    #[error("{what}: {name}{}. {}", detail(.message), advice(.name))]
    Exception {
        /// Which step: "the bot refused the call" or "the bot ended the conversation".
        what: &'static str,
        name: String,
        message: Option<String>,
    },
    #[error("cannot reach Lex at {endpoint}: {why}. Check the network, the region and the endpoint URL")]
    Unreachable { endpoint: String, why: String },
    #[error("the conversation stream broke: {0}")]
    Stream(String),
    #[error("{0}")]
    Config(String),
}

fn detail(message: &Option<String>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!(" ({m})"),
        _ => String::new(),
    }
}

/// What to do about each exception.
pub fn advice(name: &str) -> &'static str {
    match name {
        "AccessDeniedException" => {
            "The AWS credentials may not call this bot: check the access key (dialtone accounts add-lex) and that its policy allows lex:StartConversation"
        }
        "ThrottlingException" => "Lex is limiting requests: wait a few seconds, then call again",
        "ValidationException" => {
            "Lex refused the request as invalid: check the alias and locale ids in the address, and the conversation mode"
        }
        "ResourceNotFoundException" => {
            "No such bot, alias or locale in this region: check the lex: address and the account's region"
        }
        "ConflictException" => {
            "This session is already in a conversation: hang up there, or call again (each call uses a new session id)"
        }
        "BadGatewayException" => {
            "A service behind the bot answered badly: call again, and check the bot's fulfilment Lambda if it persists"
        }
        "DependencyFailedException" => {
            "A service the bot depends on failed (such as its Lambda): check the bot's logs, then call again"
        }
        "InternalServerException" => "Lex had an internal error: call again",
        _ => "Lex reported an error this version does not know: call again, and report it if it persists",
    }
}

impl LexError {
    /// A stable code for JSON output: the exception's name, or a category.
    pub fn code(&self) -> String {
        match self {
            LexError::Exception { name, .. } => name.clone(),
            LexError::Unreachable { .. } => "LEX_UNREACHABLE".into(),
            LexError::Stream(_) => "LEX_STREAM".into(),
            LexError::Config(_) => "LEX_CONFIG".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exception_has_its_own_advice() {
        let mut seen = std::collections::HashSet::new();
        for name in EXCEPTIONS {
            let e = LexError::Exception {
                what: "the bot refused the call",
                name: name.into(),
                message: Some("details".into()),
            };
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("the bot refused the call: {name} (details). ")),
                "{text}"
            );
            assert!(seen.insert(advice(name)), "{name} shares its advice");
            assert_eq!(e.code(), name);
        }
        assert!(advice("NewException").contains("does not know"));
    }
}
