//! The Accounts service: units, accounts, limits, balances, history, roles and keys.

use std::sync::Arc;

use ledger_core::account::Account;
use ledger_core::command::Command;
use ledger_core::names::Handle;
use ledger_core::refusal::Refusal;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::{Context, missing_after_commit, submit};
use crate::auth::authenticate_read;
use crate::convert::{self, AccountView, RoleChange, Scales};
use crate::error::ServerError;
use crate::proto;
use crate::store::StoreError;

/// Full gRPC paths of the reads, as signed in read metadata.
mod method {
    pub const GET_UNIT: &str = "/ledger.v1.Accounts/GetUnit";
    pub const LIST_UNITS: &str = "/ledger.v1.Accounts/ListUnits";
    pub const GET_ACCOUNT: &str = "/ledger.v1.Accounts/GetAccount";
    pub const LIST_ACCOUNTS: &str = "/ledger.v1.Accounts/ListAccounts";
    pub const GET_BALANCE: &str = "/ledger.v1.Accounts/GetBalance";
    pub const LIST_HISTORY: &str = "/ledger.v1.Accounts/ListHistory";
    pub const WHO_AM_I: &str = "/ledger.v1.Accounts/WhoAmI";
}

/// The Accounts service.
pub struct AccountsService {
    ctx: Arc<Context>,
}

impl AccountsService {
    /// A service over `ctx`.
    pub fn new(ctx: Arc<Context>) -> Self {
        Self { ctx }
    }

    async fn get_ledger(&self) -> Result<proto::Ledger, ServerError> {
        let meta = self.ctx.store.meta().await?;
        Ok(convert::ledger(self.ctx.ledger_id, &self.ctx.node_key, meta.as_ref()))
    }

    async fn create_unit(&self, req: &proto::CreateUnitRequest) -> Result<proto::Unit, ServerError> {
        let signed = convert::create_unit(self.ctx.ledger_id, req)?;
        let Command::CreateUnit { code, .. } = &signed.command else {
            unreachable!("convert::create_unit builds a CreateUnit")
        };
        let code = code.clone();
        // Units are public: whoever repeats the request may see the unit.
        submit(&self.ctx, signed).await?;
        let unit = self.ctx.store.unit(&code).await?.ok_or_else(|| missing_after_commit(format!("unit {code}")))?;
        Ok(convert::unit(&unit))
    }

    async fn get_unit(&self, metadata: &MetadataMap, req: &proto::GetUnitRequest) -> Result<proto::Unit, ServerError> {
        authenticate_read(&self.ctx, metadata, method::GET_UNIT).await?;
        let code = convert::unit_name("name", &req.name)?;
        let unit = convert::requested_unit(self.ctx.store.as_ref(), &code).await?;
        Ok(convert::unit(&unit))
    }

    async fn list_units(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListUnitsRequest,
    ) -> Result<proto::ListUnitsResponse, ServerError> {
        authenticate_read(&self.ctx, metadata, method::LIST_UNITS).await?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::units_page_start(&req.page_token)?;
        let units = self.ctx.store.units(after.as_ref(), convert::fetch_limit(size)).await?;
        Ok(convert::units_page(units, size))
    }

    async fn open_account(&self, req: &proto::OpenAccountRequest) -> Result<proto::Account, ServerError> {
        let signed = convert::open_account(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let handle = subject(&signed.command).clone();
        submit(&self.ctx, signed).await?;
        self.account_after_commit(&handle).await
    }

    async fn get_account(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetAccountRequest,
    ) -> Result<proto::Account, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_ACCOUNT).await?;
        let handle = convert::account_name("name", &req.name)?;
        let store = self.ctx.store.as_ref();
        let account = store.account(&handle).await?.ok_or_else(|| Refusal::UnknownAccount(handle.clone()))?;
        let scale = convert::stored_scale(store, &account.unit).await?;
        if reader.may_read_account(&handle).is_err() {
            return Ok(convert::account(&account, scale, AccountView::Directory));
        }
        let identity = store.identity(&handle).await?.unwrap_or_default();
        Ok(convert::account(&account, scale, AccountView::Full(&identity)))
    }

    async fn list_accounts(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListAccountsRequest,
    ) -> Result<proto::ListAccountsResponse, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::LIST_ACCOUNTS).await?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let after = convert::accounts_page_start(&req.page_token)?;
        let store = self.ctx.store.as_ref();
        let accounts = store.accounts(after.as_ref(), convert::fetch_limit(size)).await?;
        let scales = Scales::load(store).await?;
        // Balances and limits of the caller's own account, or of every account for a treasurer
        // or auditor; roles and keys only through GetAccount.
        let view = |account: &Account| match reader.may_read_account(&account.handle) {
            Ok(()) => AccountView::Balance,
            Err(_) => AccountView::Directory,
        };
        convert::accounts_page(accounts, size, &scales, view)
    }

    async fn set_limits(&self, req: &proto::SetLimitsRequest) -> Result<proto::Account, ServerError> {
        let signed = convert::set_limits(self.ctx.store.as_ref(), self.ctx.ledger_id, req).await?;
        let handle = subject(&signed.command).clone();
        submit(&self.ctx, signed).await?;
        self.account_after_commit(&handle).await
    }

    async fn set_status(&self, req: &proto::SetStatusRequest) -> Result<proto::Account, ServerError> {
        let signed = convert::set_status(self.ctx.ledger_id, req)?;
        let handle = subject(&signed.command).clone();
        submit(&self.ctx, signed).await?;
        self.account_after_commit(&handle).await
    }

    async fn get_balance(
        &self,
        metadata: &MetadataMap,
        req: &proto::GetBalanceRequest,
    ) -> Result<proto::Balance, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::GET_BALANCE).await?;
        let handle = convert::account_name("name", &req.name)?;
        reader.may_read_account(&handle)?;
        let store = self.ctx.store.as_ref();
        // The head is read first, so the account read after it reflects at least every entry up
        // to it: as_of_seq never claims more than is reflected.
        let as_of_seq = store.meta().await?.map_or(0, |meta| meta.head_seq);
        let account = store.account(&handle).await?.ok_or_else(|| Refusal::UnknownAccount(handle.clone()))?;
        let scale = convert::stored_scale(store, &account.unit).await?;
        Ok(convert::balance(&account, scale, as_of_seq))
    }

    async fn list_history(
        &self,
        metadata: &MetadataMap,
        req: &proto::ListHistoryRequest,
    ) -> Result<proto::ListHistoryResponse, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::LIST_HISTORY).await?;
        let handle = convert::account_name("parent", &req.parent)?;
        reader.may_read_account(&handle)?;
        let size = convert::page_size(req.page_size, &self.ctx.limits)?;
        let before_seq = convert::history_page_start(&req.page_token, &handle)?;
        let filter = convert::history_filter(req)?;
        let store = self.ctx.store.as_ref();
        let scale = match store.account(&handle).await? {
            Some(account) => Some(convert::stored_scale(store, &account.unit).await?),
            // A handle without an account (the genesis admin) still has a history of roles and keys.
            None if store.identity(&handle).await?.is_some() => None,
            None => return Err(Refusal::UnknownAccount(handle).into()),
        };
        let rows = store.history(&handle, before_seq, &filter, convert::fetch_limit(size)).await?;
        convert::history_page(rows, size, &handle, scale)
    }

    async fn change_role(
        &self,
        req: &proto::ChangeRoleRequest,
        change: RoleChange,
    ) -> Result<proto::Identity, ServerError> {
        let signed = convert::change_role(self.ctx.ledger_id, req, change)?;
        let handle = subject(&signed.command).clone();
        submit(&self.ctx, signed).await?;
        self.identity_after_commit(&handle).await
    }

    async fn register_key(&self, req: &proto::ChangeKeyRequest) -> Result<proto::Identity, ServerError> {
        let signed = convert::register_key(self.ctx.ledger_id, req)?;
        let handle = subject(&signed.command).clone();
        submit(&self.ctx, signed).await?;
        self.identity_after_commit(&handle).await
    }

    async fn who_am_i(&self, metadata: &MetadataMap) -> Result<proto::Identity, ServerError> {
        let reader = authenticate_read(&self.ctx, metadata, method::WHO_AM_I).await?;
        let identity = self.ctx.store.identity(&reader.handle).await?.ok_or_else(|| {
            ServerError::from(StoreError::Corrupt(format!(
                "key {} belongs to {}, which has no identity",
                reader.key, reader.handle
            )))
        })?;
        Ok(convert::identity(&reader.handle, &identity))
    }

    /// An account read back after a commit, in full: the signer was allowed to change it, or
    /// [`submit`] checked that a signer may read it.
    async fn account_after_commit(&self, handle: &Handle) -> Result<proto::Account, ServerError> {
        let store = self.ctx.store.as_ref();
        let account = store.account(handle).await?.ok_or_else(|| missing_after_commit(format!("account {handle}")))?;
        let identity =
            store.identity(handle).await?.ok_or_else(|| missing_after_commit(format!("identity {handle}")))?;
        let scale = convert::stored_scale(store, &account.unit).await?;
        Ok(convert::account(&account, scale, AccountView::Full(&identity)))
    }

    async fn identity_after_commit(&self, handle: &Handle) -> Result<proto::Identity, ServerError> {
        let identity =
            self.ctx.store.identity(handle).await?.ok_or_else(|| missing_after_commit(format!("identity {handle}")))?;
        Ok(convert::identity(handle, &identity))
    }
}

/// The handle a command about one handle changes.
fn subject(command: &Command) -> &Handle {
    match command {
        Command::OpenAccount { handle, .. }
        | Command::SetLimits { handle, .. }
        | Command::SetStatus { handle, .. }
        | Command::GrantRole { handle, .. }
        | Command::RevokeRole { handle, .. }
        | Command::RegisterKey { handle, .. }
        | Command::RevokeKey { handle, .. } => handle,
        Command::Genesis { .. }
        | Command::CreateUnit { .. }
        | Command::Pay { .. }
        | Command::RequestPayment { .. }
        | Command::AcceptRequest { .. }
        | Command::RejectRequest { .. }
        | Command::Reverse { .. }
        | Command::ImportTransfers { .. }
        | Command::IssueInvoice { .. }
        | Command::AcceptInvoice { .. }
        | Command::RejectInvoice { .. }
        | Command::ImportInvoices { .. }
        | Command::ClearingRun { .. } => {
            unreachable!("only commands about one handle are built by this service's conversions")
        }
        Command::AddCommons { .. }
        | Command::Declare { .. }
        | Command::ValidateDeclaration { .. }
        | Command::RefuseDeclaration { .. }
        | Command::SetAgreement { .. }
        | Command::Contribute { .. }
        | Command::Collect { .. }
        | Command::SetQuorum { .. }
        | Command::ProposeRule { .. }
        | Command::ApproveRule { .. }
        | Command::ProposeDistribution { .. }
        | Command::ApproveDistribution { .. } => {
            unreachable!("only commands about one handle are built by this service's conversions")
        }
    }
}

#[tonic::async_trait]
impl proto::accounts_server::Accounts for AccountsService {
    async fn get_ledger(&self, _: Request<proto::GetLedgerRequest>) -> Result<Response<proto::Ledger>, Status> {
        Ok(Response::new(self.get_ledger().await?))
    }

    async fn create_unit(&self, request: Request<proto::CreateUnitRequest>) -> Result<Response<proto::Unit>, Status> {
        Ok(Response::new(self.create_unit(request.get_ref()).await?))
    }

    async fn get_unit(&self, request: Request<proto::GetUnitRequest>) -> Result<Response<proto::Unit>, Status> {
        Ok(Response::new(self.get_unit(request.metadata(), request.get_ref()).await?))
    }

    async fn list_units(
        &self,
        request: Request<proto::ListUnitsRequest>,
    ) -> Result<Response<proto::ListUnitsResponse>, Status> {
        Ok(Response::new(self.list_units(request.metadata(), request.get_ref()).await?))
    }

    async fn open_account(
        &self,
        request: Request<proto::OpenAccountRequest>,
    ) -> Result<Response<proto::Account>, Status> {
        Ok(Response::new(self.open_account(request.get_ref()).await?))
    }

    async fn get_account(
        &self,
        request: Request<proto::GetAccountRequest>,
    ) -> Result<Response<proto::Account>, Status> {
        Ok(Response::new(self.get_account(request.metadata(), request.get_ref()).await?))
    }

    async fn list_accounts(
        &self,
        request: Request<proto::ListAccountsRequest>,
    ) -> Result<Response<proto::ListAccountsResponse>, Status> {
        Ok(Response::new(self.list_accounts(request.metadata(), request.get_ref()).await?))
    }

    async fn set_limits(&self, request: Request<proto::SetLimitsRequest>) -> Result<Response<proto::Account>, Status> {
        Ok(Response::new(self.set_limits(request.get_ref()).await?))
    }

    async fn get_balance(
        &self,
        request: Request<proto::GetBalanceRequest>,
    ) -> Result<Response<proto::Balance>, Status> {
        Ok(Response::new(self.get_balance(request.metadata(), request.get_ref()).await?))
    }

    async fn list_history(
        &self,
        request: Request<proto::ListHistoryRequest>,
    ) -> Result<Response<proto::ListHistoryResponse>, Status> {
        Ok(Response::new(self.list_history(request.metadata(), request.get_ref()).await?))
    }

    async fn grant_role(
        &self,
        request: Request<proto::ChangeRoleRequest>,
    ) -> Result<Response<proto::Identity>, Status> {
        Ok(Response::new(self.change_role(request.get_ref(), RoleChange::Grant).await?))
    }

    async fn revoke_role(
        &self,
        request: Request<proto::ChangeRoleRequest>,
    ) -> Result<Response<proto::Identity>, Status> {
        Ok(Response::new(self.change_role(request.get_ref(), RoleChange::Revoke).await?))
    }

    async fn register_key(
        &self,
        request: Request<proto::ChangeKeyRequest>,
    ) -> Result<Response<proto::Identity>, Status> {
        Ok(Response::new(self.register_key(request.get_ref()).await?))
    }

    async fn set_status(&self, request: Request<proto::SetStatusRequest>) -> Result<Response<proto::Account>, Status> {
        Ok(Response::new(self.set_status(request.get_ref()).await?))
    }

    async fn who_am_i(&self, request: Request<proto::WhoAmIRequest>) -> Result<Response<proto::Identity>, Status> {
        Ok(Response::new(self.who_am_i(request.metadata()).await?))
    }
}
