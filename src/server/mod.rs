//! The server: sets up the data directories and serves clients.

use std::fmt;

use crate::config::ServerConfig;

/// Why a server could not start or stopped with an error.
#[derive(Debug)]
pub struct ServerError(pub String);

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// Runs a server with `config` until it is stopped.
pub fn run(config: ServerConfig) -> Result<(), ServerError> {
    tracing::info!(
        config = %config.source,
        data_dir = %config.data_dir.display(),
        standalone = config.is_standalone(),
        "configuration loaded"
    );
    Err(ServerError(
        "serving clients is not implemented yet: this build only loads and checks the configuration"
            .to_string(),
    ))
}
