//! Proving who asks: signed metadata on reads, signatures over canonical bytes on commands.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ledger_core::command::{Command, SignedCommand};
use ledger_core::keys::SecretKey;
use ledger_core::names::{LedgerId, RequestId};
use ledger_core::read_auth::{KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, read_signing_bytes};
use tonic::codegen::GrpcMethod;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;

use crate::proto;

/// Signs every read sent through it, for the method it is sent to.
///
/// The generated client puts the service and method names into the request's extensions, so the
/// signed path is exactly the one tonic sends (`/ledger.v1.Accounts/GetBalance`) and no table of
/// paths has to be kept in step with the proto.
#[derive(Clone)]
pub struct ReadAuth {
    /// The ledger the signatures are bound to.
    ledger_id: LedgerId,
    /// The reader's key.
    key: Arc<SecretKey>,
}

impl ReadAuth {
    /// Signs reads of `ledger_id` with `key`.
    pub fn new(ledger_id: LedgerId, key: Arc<SecretKey>) -> Self {
        Self { ledger_id, key }
    }
}

impl Interceptor for ReadAuth {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let method = request
            .extensions()
            .get::<GrpcMethod<'static>>()
            .ok_or_else(|| tonic::Status::internal("the request names no gRPC method to sign"))?;
        let path = format!("/{}/{}", method.service(), method.method());
        let timestamp_ms = now_ms();
        let signature = self.key.sign(&read_signing_bytes(self.ledger_id, &path, timestamp_ms));
        let metadata = request.metadata_mut();
        metadata.insert(KEY_HEADER, ascii(self.key.public_key().to_hex()));
        metadata.insert(TIMESTAMP_HEADER, ascii(timestamp_ms.to_string()));
        metadata.insert(SIGNATURE_HEADER, ascii(signature.to_hex()));
        Ok(request)
    }
}

/// What a command request carries besides its fields: its id and its signatures.
#[derive(Clone, Debug)]
pub struct Signed {
    /// The request id as text (for a payment, the transfer id).
    pub request_id: String,
    /// The signatures over the command's canonical bytes.
    pub signatures: Vec<proto::Signature>,
}

/// Signs `command` for `ledger_id` under `request_id`: the server rebuilds the same command from
/// the request's fields and checks these signatures against its canonical bytes.
pub fn sign_command(ledger_id: LedgerId, request_id: RequestId, command: Command, key: &SecretKey) -> Signed {
    let signed = SignedCommand::sign(ledger_id, request_id, command, key);
    Signed {
        request_id: request_id.to_string(),
        signatures: signed
            .signatures
            .iter()
            .map(|(public_key, signature)| proto::Signature {
                public_key: public_key.as_bytes().to_vec(),
                signature: signature.as_bytes().to_vec(),
            })
            .collect(),
    }
}

/// Milliseconds since the Unix epoch; a clock set before 1970 signs as 0 and the server refuses
/// it as out of its accepted skew, which is the right outcome.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

fn ascii(text: String) -> MetadataValue<tonic::metadata::Ascii> {
    MetadataValue::try_from(text).expect("hex and decimal digits are ASCII")
}

#[cfg(test)]
mod tests {
    use std::future::{Ready, ready};
    use std::sync::Mutex;
    use std::task::{Context, Poll};

    use ledger_core::account::Role;
    use ledger_core::keys::{PublicKey, Signature};
    use ledger_core::names::Handle;
    use tonic::codegen::http;
    use tonic::codegen::{InterceptedService, Service, StdError};

    use super::*;
    use crate::proto::accounts_client::AccountsClient;

    /// A transport that records the request instead of sending it.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Option<http::Request<tonic::body::Body>>>>);

    impl Service<http::Request<tonic::body::Body>> for Capture {
        type Response = http::Response<tonic::body::Body>;
        type Error = StdError;
        type Future = Ready<Result<Self::Response, StdError>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), StdError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
            *self.0.lock().unwrap() = Some(request);
            ready(Err("captured".into()))
        }
    }

    #[tokio::test]
    async fn reads_are_signed_for_the_path_tonic_sends() {
        let ledger_id = LedgerId::parse("6f1c1f7e-8a4b-4a53-9a40-3f0e1c2b9d10").unwrap();
        let key = Arc::new(SecretKey::from_seed([3; 32]));
        let capture = Capture::default();
        let mut client =
            AccountsClient::new(InterceptedService::new(capture.clone(), ReadAuth::new(ledger_id, key.clone())));
        let _ = client.get_balance(proto::GetBalanceRequest { name: "alice".into() }).await;

        let request = capture.0.lock().unwrap().take().expect("a request was sent");
        let path = request.uri().path();
        assert_eq!(path, "/ledger.v1.Accounts/GetBalance");
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(PublicKey::parse(&header(KEY_HEADER)).unwrap(), key.public_key());
        let timestamp_ms: i64 = header(TIMESTAMP_HEADER).parse().unwrap();
        assert!((timestamp_ms - now_ms()).abs() < 60_000);
        let signature = Signature::parse(&header(SIGNATURE_HEADER)).unwrap();
        key.public_key()
            .verify(&read_signing_bytes(ledger_id, path, timestamp_ms), &signature)
            .expect("the signature covers the sent path and timestamp");
    }

    #[test]
    fn command_signatures_verify_against_the_rebuilt_command() {
        let ledger_id = LedgerId::parse("6f1c1f7e-8a4b-4a53-9a40-3f0e1c2b9d10").unwrap();
        let request_id = RequestId::parse("0b7e1f7e-8a4b-4a53-9a40-3f0e1c2b9d10").unwrap();
        let key = SecretKey::from_seed([4; 32]);
        let command = Command::GrantRole { handle: Handle::parse("alice").unwrap(), role: Role::Auditor };
        let signed = sign_command(ledger_id, request_id, command.clone(), &key);
        assert_eq!(signed.request_id, "0b7e1f7e-8a4b-4a53-9a40-3f0e1c2b9d10");
        let [wire] = signed.signatures.as_slice() else {
            panic!("one signature expected");
        };
        let rebuilt = SignedCommand {
            ledger_id,
            request_id,
            command,
            signatures: vec![(
                PublicKey::from_bytes(&wire.public_key).unwrap(),
                Signature::from_bytes(&wire.signature).unwrap(),
            )],
        };
        assert_eq!(rebuilt.verify_signatures(), Ok(()));
    }
}
