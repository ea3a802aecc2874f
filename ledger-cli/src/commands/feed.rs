//! `ledgerctl feed`: follows committed entries as they happen, for one account or all, one line
//! per entry (in json mode, one JSON document per line). Resumes without gap or duplicate with
//! `--from-seq` = the last seq printed + 1.

use clap::Args;
use ledger_core::command::decode_signing_bytes;
use ledger_core::names::Handle;
use serde::Serialize;

use super::Context;
use crate::error::CliError;
use crate::output::Render;
use crate::proto;
use crate::table;

/// `feed`.
#[derive(Debug, Args)]
pub struct FeedArgs {
    /// The account to follow (its holder, a treasurer or an auditor); none: every entry
    /// (treasurers and auditors).
    handle: Option<Handle>,
    /// First sequence number wanted (default: from the first entry).
    #[arg(long, value_name = "N", default_value_t = 1)]
    from_seq: u64,
    /// Stop after this many entries (default: follow until interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
}

/// One posting as printed.
#[derive(Debug, Serialize)]
struct PostingView {
    account: String,
    unit: String,
    amount: String,
}

/// One entry as printed.
#[derive(Debug, Serialize)]
struct EntryView {
    /// Journal sequence number.
    seq: u64,
    /// Milliseconds since the Unix epoch.
    timestamp_ms: i64,
    /// The kind of entry (payment, request, acceptance...).
    kind: String,
    /// The request id of the entry (a transfer's id).
    id: String,
    /// Balance changes.
    postings: Vec<PostingView>,
}

impl Render for EntryView {
    fn table(&self) -> String {
        let postings: Vec<String> =
            self.postings.iter().map(|p| format!("{} {} {}", p.account, p.amount, p.unit)).collect();
        format!(
            "{}  {}  {:<10}  {}  {}",
            self.seq,
            table::timestamp(self.timestamp_ms),
            self.kind,
            self.id,
            postings.join(", ")
        )
        .trim_end()
        .to_owned()
    }
}

/// Runs `feed`.
pub async fn run(args: FeedArgs, ctx: &Context) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let request = proto::WatchEntriesRequest {
        account: args.handle.as_ref().map(|h| h.as_str().to_owned()).unwrap_or_default(),
        from_seq: args.from_seq,
    };
    let mut stream = client.transfers().watch_entries(request).await?.into_inner();
    let mut printed = 0_u64;
    while args.limit.is_none_or(|limit| printed < limit) {
        let Some(entry) = stream.message().await? else {
            return Err(CliError::Failed("the server ended the feed".into()));
        };
        let id = decode_signing_bytes(&entry.command)
            .map(|(_, id, _)| id.to_string())
            .map_err(|error| CliError::Failed(format!("the server sent an entry that does not decode: {error}")))?;
        let view = EntryView {
            seq: entry.seq,
            timestamp_ms: entry.timestamp_ms,
            kind: entry.kind,
            id,
            postings: entry
                .postings
                .into_iter()
                .map(|p| PostingView { account: p.account, unit: p.unit, amount: p.amount })
                .collect(),
        };
        ctx.emit(&view)?;
        printed += 1;
    }
    Ok(())
}
