//! Signaling, one module per API. Each provider turns the call state machine's requests
//! into its API's messages and the API's events back into machine inputs.

pub mod camara;
