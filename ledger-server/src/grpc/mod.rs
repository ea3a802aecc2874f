//! The gRPC server: the Accounts, Transfers, Clearing and Audit services, gRPC health and
//! reflection.
//! The gRPC server: the Accounts, Transfers, Audit and Chamber services, gRPC health and reflection.
//!
//! # Layout
//!
//! - [`accounts`]: units, accounts, limits, balances, history, roles and keys.
//! - [`transfers`]: payments, payment requests and reversals, and reading them back.
//! - [`clearing`]: invoices (issue, accept, reject, import, read, list).
//! - [`audit`]: the trial balance, the journal, its export and checkpoints.
//! - [`chamber`]: the commons registry and declarations of work.
//! - [`feed`]: the live feed of committed entries (served by Transfers/WatchEntries).
//!
//! Handlers are thin: they convert the request ([`crate::convert`]), authenticate a read
//! ([`crate::auth`]) or verify a mutation's signatures, call the store or the writer, and convert
//! the answer back. Every request runs in a `grpc` tracing span carrying its method and, for a
//! mutation, its request id, so the writer's logs about a command land in its caller's span.

pub mod accounts;
mod agreements;
pub mod audit;
pub mod chamber;
pub mod clearing;
pub mod feed;
pub mod import;
pub mod transfers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ledger_core::command::SignedCommand;
use ledger_core::keys::PublicKey;
use ledger_core::names::LedgerId;
use tonic::codegen::http;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::checkpointer::Checkpointer;
use crate::error::ServerError;
use crate::proto::accounts_server::AccountsServer;
use crate::proto::audit_server::AuditServer;
use crate::proto::chamber_server::ChamberServer;
use crate::proto::clearing_server::ClearingServer;
use crate::proto::transfers_server::TransfersServer;
use crate::store::Store;
use crate::verifier::Verifier;
use crate::writer::{Committed, WriterHandle};

/// How long one call may run before it fails with `CANCELLED`; a batch commit takes far less.
const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Calls one connection may have in flight; more wait for room.
const CONCURRENCY_PER_CONNECTION_MAX: usize = 256;
/// HTTP/2 streams one connection may open at once.
const STREAMS_PER_CONNECTION_MAX: u32 = 256;
/// Size of a call's headers, signed read metadata included.
const HEADER_LIST_BYTES_MAX: u32 = 16 * 1024;
/// Idle time before the server pings a client to check the connection is alive.
const KEEPALIVE_INTERVAL_MS: u64 = 60_000;
/// How long a keepalive ping may wait for its answer before the connection is dropped.
const KEEPALIVE_TIMEOUT_MS: u64 = 20_000;

/// What every handler needs.
pub struct Context {
    /// Reads.
    pub store: Arc<dyn Store>,
    /// Submits mutations to the one writer.
    pub writer: WriterHandle,
    /// Checks the signatures of single mutations, many at a time.
    pub verifier: Verifier,
    /// This ledger's id, part of every signed byte string.
    pub ledger_id: LedgerId,
    /// The server's own public key.
    pub node_key: PublicKey,
    /// Bounds on requests and pages.
    pub limits: ApiLimits,
    /// Signs checkpoints of the chain's head with the node key.
    pub checkpointer: Arc<Checkpointer>,
}

/// Bounds on what one call may ask for.
#[derive(Clone, Copy, Debug)]
pub struct ApiLimits {
    /// The largest page a List call returns.
    pub page_size_max: u32,
    /// The page size when a List call asks for 0.
    pub page_size_default: u32,
    /// The largest request message accepted, in bytes (larger: `RESOURCE_EXHAUSTED`). The
    /// Clearing service accepts at least [`clearing::REQUEST_BYTES_MAX`], what a run of the
    /// largest size the core accepts needs.
    pub message_bytes_max: usize,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self { page_size_max: 1000, page_size_default: 100, message_bytes_max: 1024 * 1024 }
    }
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting connections and
/// returns once the calls in flight have been answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ctx: Arc<Context>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let message_bytes_max = ctx.limits.message_bytes_max;
    let accounts =
        AccountsServer::new(accounts::AccountsService::new(ctx.clone())).max_decoding_message_size(message_bytes_max);
    // Live feeds never end on their own: they end when the server starts shutting down, so a
    // graceful shutdown does not wait for their subscribers.
    let (stopping, stopping_watch) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        stopping.send_replace(true);
    };
    let transfers = TransfersServer::new(transfers::TransfersService::new(ctx.clone(), stopping_watch))
        .max_decoding_message_size(message_bytes_max);
    // A clearing run is one entry however many invoices it sets off, so its request may be far
    // larger than any other call's.
    let clearing = ClearingServer::new(clearing::ClearingService::new(ctx.clone()))
        .max_decoding_message_size(message_bytes_max.max(clearing::REQUEST_BYTES_MAX));
    let chamber =
        ChamberServer::new(chamber::ChamberService::new(ctx.clone())).max_decoding_message_size(message_bytes_max);
    let audit = AuditServer::new(audit::AuditService::new(ctx)).max_decoding_message_size(message_bytes_max);

    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<AccountsServer<accounts::AccountsService>>().await;
    health.set_serving::<TransfersServer<transfers::TransfersService>>().await;
    health.set_serving::<ClearingServer<clearing::ClearingService>>().await;
    health.set_serving::<AuditServer<audit::AuditService>>().await;
    health.set_serving::<ChamberServer<chamber::ChamberService>>().await;
    health.set_service_status("", tonic_health::ServingStatus::Serving).await;

    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .expect("the descriptor set compiled into the binary decodes");

    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_millis(KEEPALIVE_INTERVAL_MS)));
    Server::builder()
        .trace_fn(request_span)
        .timeout(Duration::from_millis(REQUEST_TIMEOUT_MS))
        .concurrency_limit_per_connection(CONCURRENCY_PER_CONNECTION_MAX)
        .max_concurrent_streams(STREAMS_PER_CONNECTION_MAX)
        .http2_max_header_list_size(HEADER_LIST_BYTES_MAX)
        .http2_keepalive_interval(Some(Duration::from_millis(KEEPALIVE_INTERVAL_MS)))
        .http2_keepalive_timeout(Some(Duration::from_millis(KEEPALIVE_TIMEOUT_MS)))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(accounts)
        .add_service(transfers)
        .add_service(clearing)
        .add_service(audit)
        .add_service(chamber)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// The span of one call: its method now, its request id once a mutation has parsed it.
fn request_span(request: &http::Request<()>) -> tracing::Span {
    tracing::info_span!("grpc", method = %request.uri().path(), request_id = tracing::field::Empty)
}

/// Verifies a mutation's signatures, submits it to the writer and waits for its commit.
pub(crate) async fn submit(ctx: &Context, signed: SignedCommand) -> Result<Committed, ServerError> {
    tracing::Span::current().record("request_id", tracing::field::display(signed.request_id));
    let verified = ctx.verifier.verify(signed).await?;
    ctx.writer.submit(verified).await
}

/// A value that a commit should have left in the store, but did not: a storage bug.
pub(crate) fn missing_after_commit(what: impl std::fmt::Display) -> ServerError {
    ServerError::from(crate::store::StoreError::Corrupt(format!("{what} is missing after its commit")))
}

#[cfg(test)]
mod tests {
    //! The real server on port 0 over a fresh SQLite database, driven by a plain gRPC client.

    use std::path::PathBuf;

    use ledger_core::command::Command;
    use ledger_core::keys::SecretKey;
    use ledger_core::names::RequestId;
    use ledger_core::read_auth::{KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, read_signing_bytes};
    use tonic::transport::Channel;
    use tonic::{Code, Request, Status};

    use super::*;
    use crate::bootstrap::{AdminKey, ensure_genesis};
    use crate::error::REASON_HEADER;
    use crate::proto;

    /// A directory removed when the test ends.
    struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    struct Client {
        channel: Channel,
        ledger_id: LedgerId,
    }

    impl Client {
        /// One unary call; with `reader`, signed read metadata for `path`.
        async fn call<Req, Res>(
            &self,
            path: &'static str,
            message: Req,
            reader: Option<&SecretKey>,
        ) -> Result<Res, Status>
        where
            Req: prost::Message + Send + Sync + 'static,
            Res: prost::Message + Default + Send + Sync + 'static,
        {
            self.call_signed_for(path, message, reader.map(|key| (key, path))).await
        }

        /// One unary call to `path`, with read metadata signed for the method it names.
        async fn call_signed_for<Req, Res>(
            &self,
            path: &'static str,
            message: Req,
            reader: Option<(&SecretKey, &str)>,
        ) -> Result<Res, Status>
        where
            Req: prost::Message + Send + Sync + 'static,
            Res: prost::Message + Default + Send + Sync + 'static,
        {
            let mut grpc = tonic::client::Grpc::new(self.channel.clone());
            grpc.ready().await.map_err(|error| Status::unavailable(error.to_string()))?;
            let mut request = Request::new(message);
            if let Some((key, signed_for)) = reader {
                let now =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
                let signature = key.sign(&read_signing_bytes(self.ledger_id, signed_for, now));
                let metadata = request.metadata_mut();
                metadata.insert(KEY_HEADER, key.public_key().to_hex().parse().unwrap());
                metadata.insert(TIMESTAMP_HEADER, now.to_string().parse().unwrap());
                metadata.insert(SIGNATURE_HEADER, signature.to_hex().parse().unwrap());
            }
            let path = http::uri::PathAndQuery::from_static(path);
            let codec = tonic_prost::ProstCodec::<Req, Res>::default();
            grpc.unary(request, path, codec).await.map(tonic::Response::into_inner)
        }

        fn sign(&self, request_id: &str, command: Command, key: &SecretKey) -> Vec<proto::Signature> {
            let request_id = RequestId::parse(request_id).unwrap();
            let signed = SignedCommand::sign(self.ledger_id, request_id, command, key);
            signed
                .signatures
                .iter()
                .map(|(key, signature)| proto::Signature {
                    public_key: key.as_bytes().to_vec(),
                    signature: signature.as_bytes().to_vec(),
                })
                .collect()
        }
    }

    fn reason(status: &Status) -> (Code, &str) {
        let reason = status.metadata().get(REASON_HEADER).map_or("", |value| value.to_str().unwrap());
        (status.code(), reason)
    }

    fn uuid() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    #[tokio::test]
    async fn serves_a_payment_from_unit_to_audit() {
        let dir = TempDir(std::env::temp_dir().join(format!("ledgerd-grpc-{}", uuid())));
        std::fs::create_dir_all(&dir.0).unwrap();
        let store = crate::store::open(&format!("sqlite://{}/ledger.db", dir.0.display())).await.unwrap();
        let (writer, writer_task, store) = crate::writer::spawn(store, crate::writer::WriterConfig::default());
        let node = SecretKey::from_seed([1; 32]);
        let admin = SecretKey::from_seed([2; 32]);
        let (alice, bob) = (SecretKey::from_seed([3; 32]), SecretKey::from_seed([4; 32]));
        let boot =
            ensure_genesis(store.as_ref(), &writer, &dir.0, &node, AdminKey::Given(admin.public_key())).await.unwrap();
        let ledger_id = boot.meta.ledger_id;
        let checkpointer = Arc::new(Checkpointer::new(store.clone(), ledger_id, node.clone()));
        let ctx = Arc::new(Context {
            store,
            writer,
            verifier: Verifier::spawn(),
            ledger_id,
            node_key: node.public_key(),
            limits: ApiLimits::default(),
            checkpointer,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, ctx, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let client = Client { channel: channel.clone(), ledger_id };

        let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
        for service in ["", "ledger.v1.Accounts", "ledger.v1.Transfers", "ledger.v1.Audit", "ledger.v1.Chamber"] {
            let answer = health
                .check(tonic_health::pb::HealthCheckRequest { service: service.to_owned() })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(answer.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
        }

        use tonic_reflection::pb::v1::{
            ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        };
        let list = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new(channel.clone())
            .server_reflection_info(tokio_stream::iter([list]))
            .await
            .unwrap()
            .into_inner();
        let Some(MessageResponse::ListServicesResponse(listed)) =
            answers.message().await.unwrap().unwrap().message_response
        else {
            panic!("reflection lists services")
        };
        let names: Vec<&str> = listed.service.iter().map(|service| service.name.as_str()).collect();
        for service in ["ledger.v1.Accounts", "ledger.v1.Transfers", "ledger.v1.Audit"] {
            assert!(names.contains(&service), "{names:?}");
        }
        drop(answers);

        let ledger: proto::Ledger =
            client.call("/ledger.v1.Accounts/GetLedger", proto::GetLedgerRequest {}, None).await.unwrap();
        assert_eq!((ledger.ledger_id, ledger.head_seq), (ledger_id.to_string(), 1));

        let id = uuid();
        let command = Command::CreateUnit {
            code: "COMMUN".parse().unwrap(),
            scale: ledger_core::amount::Scale::new(2).unwrap(),
            name: ledger_core::names::DisplayName::parse("Commun").unwrap(),
        };
        let request = proto::CreateUnitRequest {
            request_id: id.clone(),
            code: "COMMUN".into(),
            scale: 2,
            display_name: "Commun".into(),
            signatures: client.sign(&id, command, &admin),
        };
        let unit: proto::Unit = client.call("/ledger.v1.Accounts/CreateUnit", request, None).await.unwrap();
        assert_eq!(unit.fund_account, "fund-commun");

        for (handle, key) in [("alice", &alice), ("bob", &bob)] {
            let id = uuid();
            let command = Command::OpenAccount {
                handle: handle.parse().unwrap(),
                unit: "COMMUN".parse().unwrap(),
                kind: ledger_core::account::AccountKind::Member,
                name: Default::default(),
                public_key: key.public_key(),
                credit_limit: ledger_core::amount::Amount::from_minor(10_000).unwrap(),
                ceiling: None,
                soft_limit: ledger_core::amount::Amount::from_minor(5_000),
            };
            let request = proto::OpenAccountRequest {
                request_id: id.clone(),
                handle: handle.into(),
                unit: "COMMUN".into(),
                public_key: key.public_key().to_hex(),
                credit_limit: "100".into(),
                soft_limit: "50.00".into(),
                signatures: client.sign(&id, command, &admin),
                ..Default::default()
            };
            let account: proto::Account = client.call("/ledger.v1.Accounts/OpenAccount", request, None).await.unwrap();
            assert_eq!((account.balance.as_str(), account.credit_limit.as_str()), ("0.00", "100.00"));
            assert_eq!(account.public_keys, vec![key.public_key().to_hex()]);
        }

        let id = uuid();
        let command = Command::Pay {
            payer: "alice".parse().unwrap(),
            payee: "bob".parse().unwrap(),
            unit: "COMMUN".parse().unwrap(),
            amount: ledger_core::amount::Amount::from_minor(6_000).unwrap(),
            memo: ledger_core::names::Memo::parse("vegetables").unwrap(),
        };
        let pay = proto::CreatePaymentRequest {
            request_id: id.clone(),
            payer: "alice".into(),
            payee: "bob".into(),
            unit: "COMMUN".into(),
            amount: "60".into(),
            memo: "vegetables".into(),
            signatures: client.sign(&id, command.clone(), &alice),
        };
        let paid: proto::Transfer = client.call("/ledger.v1.Transfers/CreatePayment", pay.clone(), None).await.unwrap();
        assert_eq!((paid.status.as_str(), paid.amount.as_str()), ("committed", "60.00"));
        assert_eq!(paid.warnings.len(), 1, "alice crossed her soft limit: {paid:?}");
        let again: proto::Transfer =
            client.call("/ledger.v1.Transfers/CreatePayment", pay.clone(), None).await.unwrap();
        assert_eq!((again.seq, again.id.as_str()), (paid.seq, id.as_str()));
        // The same bytes signed by bob's key are another request under the same id: refused,
        // and bob learns nothing about alice's transfer.
        let by_bob = proto::CreatePaymentRequest { signatures: client.sign(&id, command, &bob), ..pay.clone() };
        let refused =
            client.call::<_, proto::Transfer>("/ledger.v1.Transfers/CreatePayment", by_bob, None).await.unwrap_err();
        assert_eq!(reason(&refused), (Code::AlreadyExists, "REQUEST_ID_REUSED"));
        let bad = proto::CreatePaymentRequest { amount: "12.345".into(), request_id: uuid(), ..pay.clone() };
        let refused =
            client.call::<_, proto::Transfer>("/ledger.v1.Transfers/CreatePayment", bad, None).await.unwrap_err();
        assert_eq!(reason(&refused), (Code::InvalidArgument, "INVALID_AMOUNT"));
        let unsigned = proto::CreatePaymentRequest { signatures: Vec::new(), request_id: uuid(), ..pay };
        let refused =
            client.call::<_, proto::Transfer>("/ledger.v1.Transfers/CreatePayment", unsigned, None).await.unwrap_err();
        assert_eq!(reason(&refused), (Code::Unauthenticated, "SIGNATURE_MISSING"));

        let get_balance = |name: &str| proto::GetBalanceRequest { name: name.into() };
        let balance: proto::Balance =
            client.call("/ledger.v1.Accounts/GetBalance", get_balance("accounts/alice"), Some(&alice)).await.unwrap();
        assert_eq!((balance.balance.as_str(), balance.available.as_str()), ("-60.00", "40.00"));
        let refused = client
            .call::<_, proto::Balance>("/ledger.v1.Accounts/GetBalance", get_balance("bob"), Some(&alice))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::PermissionDenied, "NOT_AUTHORISED"));
        let refused = client
            .call::<_, proto::Balance>("/ledger.v1.Accounts/GetBalance", get_balance("bob"), None)
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::Unauthenticated, "MISSING_CREDENTIALS"));
        // A statement signed for another method opens nothing else.
        let for_history = Some((&alice, "/ledger.v1.Accounts/ListHistory"));
        let refused = client
            .call_signed_for::<_, proto::Balance>("/ledger.v1.Accounts/GetBalance", get_balance("alice"), for_history)
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::Unauthenticated, "BAD_SIGNATURE"));
        let stranger = SecretKey::from_seed([9; 32]);
        let refused = client
            .call::<_, proto::Balance>("/ledger.v1.Accounts/GetBalance", get_balance("alice"), Some(&stranger))
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::Unauthenticated, "UNKNOWN_KEY"));

        let transfer: proto::Transfer = client
            .call("/ledger.v1.Transfers/GetTransfer", proto::GetTransferRequest { name: paid.name.clone() }, Some(&bob))
            .await
            .unwrap();
        assert_eq!((transfer.payer.as_str(), transfer.memo.as_str()), ("alice", "vegetables"));

        let first: proto::ListHistoryResponse = client
            .call(
                "/ledger.v1.Accounts/ListHistory",
                proto::ListHistoryRequest { parent: "alice".into(), page_size: 1, ..Default::default() },
                Some(&alice),
            )
            .await
            .unwrap();
        assert_eq!(first.items[0].amount, "-60.00");
        assert_eq!((first.items[0].counterparty.as_str(), first.items[0].balance_after.as_str()), ("bob", "-60.00"));
        let rest: proto::ListHistoryResponse = client
            .call(
                "/ledger.v1.Accounts/ListHistory",
                proto::ListHistoryRequest {
                    parent: "alice".into(),
                    page_size: 10,
                    page_token: first.next_page_token,
                    ..Default::default()
                },
                Some(&alice),
            )
            .await
            .unwrap();
        assert_eq!(rest.items.last().map(|item| item.kind.as_str()), Some("account"));
        assert_eq!(rest.next_page_token, "");

        let directory: proto::ListAccountsResponse = client
            .call("/ledger.v1.Accounts/ListAccounts", proto::ListAccountsRequest::default(), Some(&alice))
            .await
            .unwrap();
        let shown: Vec<(&str, &str)> =
            directory.accounts.iter().map(|account| (account.handle.as_str(), account.balance.as_str())).collect();
        assert_eq!(shown, [("alice", "-60.00"), ("bob", ""), ("fund-commun", "")]);

        let trial: proto::TrialBalance = client
            .call("/ledger.v1.Audit/GetTrialBalance", proto::GetTrialBalanceRequest::default(), Some(&admin))
            .await
            .unwrap();
        assert_eq!((trial.units[0].total.as_str(), trial.units[0].negative.as_str()), ("0.00", "-60.00"));
        let refused = client
            .call::<_, proto::TrialBalance>(
                "/ledger.v1.Audit/GetTrialBalance",
                proto::GetTrialBalanceRequest::default(),
                Some(&alice),
            )
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::PermissionDenied, "NOT_AUTHORISED"));
        let entries: proto::ListEntriesResponse = client
            .call(
                "/ledger.v1.Audit/ListEntries",
                proto::ListEntriesRequest { from_seq: 0, page_size: 2, page_token: String::new() },
                Some(&admin),
            )
            .await
            .unwrap();
        assert_eq!(entries.entries.iter().map(|entry| entry.seq).collect::<Vec<_>>(), [1, 2]);
        let entries: proto::ListEntriesResponse = client
            .call(
                "/ledger.v1.Audit/ListEntries",
                proto::ListEntriesRequest { from_seq: 0, page_size: 100, page_token: entries.next_page_token },
                Some(&admin),
            )
            .await
            .unwrap();
        assert_eq!(entries.entries.last().map(|entry| (entry.seq, entry.kind.as_str())), Some((paid.seq, "payment")));

        refuses_a_key_that_is_no_point(&client, &alice).await;
        serves_the_chamber(&client, &admin, &alice, &bob).await;

        drop((client, channel, health));
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        // Every handle on the writer went with the server: the writer stops.
        writer_task.await.unwrap();
    }

    /// Under 32 bytes that are no point of the curve, no signature holds: a payment naming them
    /// as its signer's key is refused as one that does not verify, alone and in a batch call,
    /// where the good payment beside it commits.
    async fn refuses_a_key_that_is_no_point(client: &Client, alice: &SecretKey) {
        let no_point = (0..=u8::MAX).map(|n| vec![n; 32]).find(|bytes| PublicKey::from_bytes(bytes).is_err()).unwrap();
        let payment = |signer_key: Option<&Vec<u8>>| {
            let request_id = uuid();
            let command = Command::Pay {
                payer: "alice".parse().unwrap(),
                payee: "bob".parse().unwrap(),
                unit: "COMMUN".parse().unwrap(),
                amount: ledger_core::amount::Amount::from_minor(100).unwrap(),
                memo: ledger_core::names::Memo::parse("tea").unwrap(),
            };
            let mut signatures = client.sign(&request_id, command, alice);
            if let Some(key) = signer_key {
                signatures[0].public_key = key.clone();
            }
            proto::CreatePaymentRequest {
                request_id,
                payer: "alice".into(),
                payee: "bob".into(),
                unit: "COMMUN".into(),
                amount: "1".into(),
                memo: "tea".into(),
                signatures,
            }
        };
        let refused = client
            .call::<_, proto::Transfer>("/ledger.v1.Transfers/CreatePayment", payment(Some(&no_point)), None)
            .await
            .unwrap_err();
        assert_eq!(reason(&refused), (Code::Unauthenticated, "BAD_SIGNATURE"));
        let batch =
            proto::CreateTransfersRequest { payments: vec![payment(Some(&no_point)), payment(None)], atomic: false };
        let done: proto::CreateTransfersResponse =
            client.call("/ledger.v1.Transfers/CreateTransfers", batch, None).await.unwrap();
        let refused = done.results[0].error.as_ref().expect("the payment under no point is refused");
        assert_eq!(refused.reason, "BAD_SIGNATURE");
        assert_eq!(done.results[1].transfer.as_ref().expect("the good one commits").status, "committed");
    }

    /// The Chamber service over the ledger above (alice and bob are members): a treasurer registers
    /// a commons with bob as steward, alice declares; alice cannot validate her own work, bob can,
    /// once; a malformed period is refused before anything is signed into the journal; alice
    /// lists only her own declarations.
    async fn serves_the_chamber(client: &Client, admin: &SecretKey, alice: &SecretKey, bob: &SecretKey) {
        use ledger_core::chamber::{Category, CommonsName, Note, Period, Quantity};

        let garden = proto::Commons {
            name: "jardin-partage".into(),
            kind: "garden".into(),
            description: "Le jardin".into(),
            rules_of_use: String::new(),
            stewards: vec!["bob".into()],
        };
        let id = uuid();
        let command = Command::AddCommons {
            commons: ledger_core::chamber::Commons {
                name: "jardin-partage".parse().unwrap(),
                kind: "garden".parse().unwrap(),
                description: ledger_core::chamber::Description::parse("Le jardin").unwrap(),
                rules_of_use: Default::default(),
                stewards: ledger_core::chamber::Stewards::new(["bob".parse().unwrap()]).unwrap(),
            },
        };
        let request = proto::AddCommonsRequest {
            request_id: id.clone(),
            commons: Some(garden.clone()),
            signatures: client.sign(&id, command, admin),
        };
        let added: proto::Commons = client.call("/ledger.v1.Chamber/AddCommons", request, None).await.unwrap();
        assert_eq!(added, garden);

        let declare = |id: &str, period: &str| proto::DeclareRequest {
            request_id: id.to_owned(),
            contributor: "alice".into(),
            commons: "jardin-partage".into(),
            category: "gardening".into(),
            quantity: "2.5".into(),
            period: period.into(),
            note: String::new(),
            signatures: Vec::new(),
        };
        let bad = client.call::<_, proto::Declaration>("/ledger.v1.Chamber/Declare", declare(&uuid(), "2026-13"), None);
        let refused = bad.await.unwrap_err();
        assert_eq!(reason(&refused), (Code::InvalidArgument, "INVALID_PERIOD"));

        let id = uuid();
        let command = Command::Declare {
            contributor: "alice".parse().unwrap(),
            commons: CommonsName::parse("jardin-partage").unwrap(),
            category: Category::parse("gardening").unwrap(),
            quantity: Quantity::parse("2.5").unwrap(),
            period: Period::parse("2026-11").unwrap(),
            note: Note::default(),
        };
        let request = proto::DeclareRequest { signatures: client.sign(&id, command, alice), ..declare(&id, "2026-11") };
        let declared: proto::Declaration = client.call("/ledger.v1.Chamber/Declare", request, None).await.unwrap();
        assert_eq!(
            (declared.id.as_str(), declared.quantity.as_str(), declared.status.as_str()),
            (id.as_str(), "2.500", "pending")
        );

        let decide = |signer: &SecretKey| {
            let request_id = uuid();
            let command = Command::ValidateDeclaration {
                declaration: ledger_core::names::DeclarationId::parse(&id).unwrap(),
                commons: CommonsName::parse("jardin-partage").unwrap(),
            };
            proto::DecideDeclarationRequest {
                request_id: request_id.clone(),
                declaration: id.clone(),
                commons: "jardin-partage".into(),
                signatures: client.sign(&request_id, command, signer),
            }
        };
        let path = "/ledger.v1.Chamber/ValidateDeclaration";
        let refused = client.call::<_, proto::Declaration>(path, decide(alice), None).await.unwrap_err();
        assert_eq!(reason(&refused), (Code::PermissionDenied, "NOT_AUTHORISED"));
        assert!(refused.message().contains("steward of the declaration's commons"), "{}", refused.message());
        let validated: proto::Declaration = client.call(path, decide(bob), None).await.unwrap();
        assert_eq!(validated.status, "validated");
        let again = client.call::<_, proto::Declaration>(path, decide(bob), None).await.unwrap_err();
        assert_eq!(reason(&again), (Code::FailedPrecondition, "DECLARATION_NOT_PENDING"));

        let list = proto::ListDeclarationsRequest { page_size: 10, ..Default::default() };
        let listed: proto::ListDeclarationsResponse =
            client.call("/ledger.v1.Chamber/ListDeclarations", list.clone(), Some(alice)).await.unwrap();
        assert_eq!(listed.declarations, [validated]);
        let bobs = proto::ListDeclarationsRequest { contributor: "bob".into(), ..list };
        let denied =
            client.call::<_, proto::ListDeclarationsResponse>("/ledger.v1.Chamber/ListDeclarations", bobs, Some(alice));
        assert_eq!(denied.await.unwrap_err().code(), Code::PermissionDenied);
        let registry: proto::ListCommonsResponse = client
            .call(
                "/ledger.v1.Chamber/ListCommons",
                proto::ListCommonsRequest { page_size: 10, page_token: String::new() },
                Some(alice),
            )
            .await
            .unwrap();
        assert_eq!(registry.commons, [garden]);
    }
}
