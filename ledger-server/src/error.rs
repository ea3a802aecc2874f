//! The server's error, and its one mapping to a gRPC status.
//!
//! Every status carries a stable UPPER_SNAKE reason in the `x-ledger-reason` metadata entry, so
//! clients tell cases apart without parsing messages. Internal details are logged, never sent.

use ledger_core::refusal::{ErrorClass, Refusal};
use tonic::{Code, Status};

use crate::store::StoreError;

/// The metadata key that carries the reason of a failed call.
pub const REASON_HEADER: &str = "x-ledger-reason";

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The domain refused the command; nothing changed.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The request is malformed (bad amount, handle, UUID, missing field...).
    #[error("{message}")]
    InvalidArgument { reason: &'static str, message: String },
    /// A read names something that does not exist.
    #[error("{message}")]
    NotFound { reason: &'static str, message: String },
    /// The caller may not read this.
    #[error("{message}")]
    PermissionDenied { reason: &'static str, message: String },
    /// The ledger is not in the state the call needs (no rule in force...).
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    /// The caller did not prove who it is.
    #[error("{message}")]
    Unauthenticated { reason: &'static str, message: String },
    /// The request id was used before for a different command.
    #[error("request id {0} was already used for a different command")]
    RequestIdReused(String),
    /// The server cannot serve now (database down, shutting down); retrying may work.
    #[error("{0}")]
    Unavailable(String),
}

impl ServerError {
    /// A malformed request.
    pub fn invalid(reason: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidArgument { reason, message: message.into() }
    }

    /// Something named does not exist.
    pub fn not_found(reason: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound { reason, message: message.into() }
    }

    /// The caller may not read this.
    pub fn denied(message: impl Into<String>) -> Self {
        Self::PermissionDenied { reason: "NOT_AUTHORISED", message: message.into() }
    }

    /// The caller is not authenticated.
    pub fn unauthenticated(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthenticated { reason, message: message.into() }
    }

    fn code_and_reason(&self) -> (Code, &'static str) {
        match self {
            ServerError::Refused(refusal) => (class_code(refusal.class()), refusal.reason()),
            ServerError::InvalidArgument { reason, .. } => (Code::InvalidArgument, reason),
            ServerError::NotFound { reason, .. } => (Code::NotFound, reason),
            ServerError::PermissionDenied { reason, .. } => (Code::PermissionDenied, reason),
            ServerError::Unauthenticated { reason, .. } => (Code::Unauthenticated, reason),
            ServerError::FailedPrecondition { reason, .. } => (Code::FailedPrecondition, reason),
            ServerError::RequestIdReused(_) => (Code::AlreadyExists, "REQUEST_ID_REUSED"),
            ServerError::Unavailable(_) => (Code::Unavailable, "UNAVAILABLE"),
        }
    }
}

fn class_code(class: ErrorClass) -> Code {
    match class {
        ErrorClass::InvalidArgument => Code::InvalidArgument,
        ErrorClass::NotFound => Code::NotFound,
        ErrorClass::AlreadyExists => Code::AlreadyExists,
        ErrorClass::PermissionDenied => Code::PermissionDenied,
        ErrorClass::Unauthenticated => Code::Unauthenticated,
        ErrorClass::FailedPrecondition => Code::FailedPrecondition,
    }
}

impl From<StoreError> for ServerError {
    fn from(error: StoreError) -> Self {
        // Logged here, once, where it turns into a client-facing error.
        tracing::error!(%error, "storage failure");
        ServerError::Unavailable("the ledger's database is unavailable; nothing was written, retry later".into())
    }
}

impl From<ServerError> for Status {
    fn from(error: ServerError) -> Self {
        let (code, reason) = error.code_and_reason();
        let mut status = Status::new(code, error.to_string());
        status.metadata_mut().insert(REASON_HEADER, reason.parse().expect("reasons are ASCII"));
        status
    }
}
