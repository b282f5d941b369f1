//! The library's error type: what went wrong, and with which flag, file or destination.

/// An error that stops a run (or one output of it). Messages are single lines that name the flag,
/// the file (and the place in it, where the parser gives one) or the destination.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or setting is wrong (exit status 2 before anything is read).
    #[error("{0}")]
    Usage(String),
    /// An input — log, partial, OpenAPI document, configuration, baseline — cannot be used.
    #[error("{path}: {message}")]
    Input {
        /// The file as named.
        path: String,
        /// What is wrong with it, with the line and column when known.
        message: String,
    },
    /// A report or partial could not be written.
    #[error("cannot write {what} to {dest}: {source}")]
    Output {
        /// What was being written ("the report", "the partial aggregate").
        what: String,
        /// Where to ("standard output" or a path).
        dest: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl From<String> for Error {
    /// A message from a validation step that already names its flag or file.
    fn from(message: String) -> Self {
        Error::Usage(message)
    }
}
