//! The CLI's error: what went wrong, which exit code it means, and its JSON error document.

use serde::Serialize;

/// The metadata key in which the server sends the UPPER_SNAKE reason of a failed call.
pub const REASON_HEADER: &str = "x-ledger-reason";

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input is wrong (a bad amount, a conflicting flag): exit 2.
    #[error("{0}")]
    Usage(String),
    /// The configuration is wrong (no key, unreadable key file, bad server URL): exit 2.
    #[error("{0}")]
    Config(String),
    /// The server could not be reached: exit 1.
    #[error("cannot reach the ledger server at {url}: {detail}")]
    Unreachable {
        /// The `--server` URL.
        url: String,
        /// The transport error and its causes.
        detail: String,
    },
    /// The server refused or failed the call: exit 1.
    #[error("{}", status_message(.0))]
    Rpc(Box<tonic::Status>),
    /// The ledger failed an audit check (a bad entry, a balance that disagrees with the
    /// journal): exit 1.
    #[error("{message}")]
    Audit {
        /// UPPER_SNAKE reason, such as `JOURNAL_INVALID`.
        reason: &'static str,
        /// What is wrong, naming the entry.
        message: String,
    },
    /// Anything else that failed while doing the work (a malformed answer, a local IO error):
    /// exit 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code: 2 for usage and configuration errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Unreachable { .. } | CliError::Rpc(_) | CliError::Audit { .. } | CliError::Failed(_) => 1,
        }
    }

    /// The gRPC code name in UPPER_SNAKE, or the closest one for local errors.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Usage(_) | CliError::Config(_) => "INVALID_ARGUMENT",
            CliError::Unreachable { .. } => "UNAVAILABLE",
            CliError::Rpc(status) => code_name(status.code()),
            CliError::Audit { .. } => "DATA_LOSS",
            CliError::Failed(_) => "INTERNAL",
        }
    }

    /// The UPPER_SNAKE reason: the server's `x-ledger-reason` for a refusal (empty when it sent
    /// none), a fixed reason for local errors.
    pub fn reason(&self) -> String {
        match self {
            CliError::Usage(_) => "INVALID_INPUT".into(),
            CliError::Config(_) => "CONFIGURATION".into(),
            CliError::Unreachable { .. } => "SERVER_UNREACHABLE".into(),
            CliError::Rpc(status) => status
                .metadata()
                .get(REASON_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            CliError::Audit { reason, .. } => (*reason).into(),
            CliError::Failed(_) => "CLIENT_FAILURE".into(),
        }
    }

    /// The JSON error document printed on stdout in json mode, fields in the documented order.
    pub fn document(&self) -> String {
        #[derive(Serialize)]
        struct Inner {
            code: &'static str,
            reason: String,
            message: String,
        }
        #[derive(Serialize)]
        struct Document {
            error: Inner,
        }
        serde_json::to_string(&Document {
            error: Inner { code: self.code(), reason: self.reason(), message: self.to_string() },
        })
        .expect("a struct of strings serialises")
    }

    /// The one line printed on stderr in table mode: `error: <message> (<REASON>)`, the reason
    /// only when the server sent one.
    pub fn line(&self) -> String {
        match self {
            CliError::Rpc(_) => match self.reason() {
                reason if reason.is_empty() => format!("error: {self}"),
                reason => format!("error: {self} ({reason})"),
            },
            _ => format!("error: {self}"),
        }
    }
}

impl From<tonic::Status> for CliError {
    fn from(status: tonic::Status) -> Self {
        CliError::Rpc(Box::new(status))
    }
}

/// The status message, or the code's description when the server sent none.
fn status_message(status: &tonic::Status) -> String {
    if status.message().is_empty() { status.code().description().to_owned() } else { status.message().to_owned() }
}

/// The canonical UPPER_SNAKE name of a gRPC code, as in `google.rpc.Code`.
pub fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_code_reason_and_message() {
        let mut status = tonic::Status::failed_precondition("alice would go past her limit");
        status.metadata_mut().insert(REASON_HEADER, "CREDIT_LIMIT_EXCEEDED".parse().unwrap());
        let error = CliError::from(status);
        assert_eq!(error.exit_code(), 1);
        assert_eq!(
            error.document(),
            r#"{"error":{"code":"FAILED_PRECONDITION","reason":"CREDIT_LIMIT_EXCEEDED","message":"alice would go past her limit"}}"#
        );
        assert_eq!(error.line(), "error: alice would go past her limit (CREDIT_LIMIT_EXCEEDED)");
    }

    #[test]
    fn a_status_without_reason_has_an_empty_one() {
        let error = CliError::from(tonic::Status::not_found("no account bob"));
        assert!(error.document().contains(r#""reason":"""#));
        assert_eq!(error.line(), "error: no account bob");
    }

    #[test]
    fn local_errors_exit_2() {
        assert_eq!(CliError::Usage("bad".into()).exit_code(), 2);
        assert_eq!(CliError::Config("bad".into()).exit_code(), 2);
    }
}
