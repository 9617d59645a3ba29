//! Amazon Lex V2 bot calls (StartConversation, apis.md §4): who to call (`bot`), the
//! exceptions (`error`), the SDK client (`client`) and the driver that runs a line's bot
//! calls (`driver`). The call's states live in `call/bot.rs`.

pub mod bot;
pub mod client;
pub mod driver;
pub mod error;

pub use bot::{BotIdError, LEX_SCHEME, LexBot, check_session_id, new_session_id};
pub use client::{LexCallOptions, LexClient, LexConfig, Mode};
pub use driver::LexDriver;
pub use error::LexError;
