//! Amazon Lex V2 bot calls (StartConversation, apis.md §4): who to call (`bot`), the
//! exceptions (`error`), the SDK client (`client`), one conversation's IO (`io`) and the
//! driver that runs a Lex line's bot calls (`driver`). The call's states live in
//! `dialtone_call::bot`.

pub mod bot {
    //! Bot addresses and ids (`dialtone-call`), and fresh session ids.
    pub use dialtone_call::lex::*;

    /// A fresh session id for each conversation.
    pub fn new_session_id() -> String {
        format!("dialtone-{}", uuid::Uuid::new_v4())
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn fresh_session_ids_follow_the_rule() {
            super::check_session_id(&super::new_session_id()).expect("fresh ids follow the rule");
        }
    }
}
pub mod client;
pub mod driver;
pub mod error;
pub mod io;

pub use bot::{BotIdError, LEX_SCHEME, LexBot, check_session_id, new_session_id};
pub use client::{LexCallOptions, LexClient, LexConfig, Mode};
pub use driver::LexDriver;
pub use error::LexError;
pub use io::BotIo;
