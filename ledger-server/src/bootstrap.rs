//! First start: the node key, the first admin key and the genesis entry.
//!
//! On an empty ledger `ledgerd` creates a ledger id, writes the genesis entry (signed by the node
//! key, naming the admin key) and, unless `ledgerd init --admin-public-key KEY` gave one, a new
//! admin key file `<data-dir>/admin.key` (0600). On a ledger that exists it changes nothing.
//!
//! # Replicas
//!
//! Several `ledgerd` may serve one (PostgreSQL) database, each with its own data directory. They
//! are one ledger with one node key: the operator copies `node.key` from the data directory of the
//! server that created the ledger into each replica's (or places one key in every data directory
//! before the first start). A server whose database already holds a ledger never creates a node
//! key, a ledger or an admin key: it joins that ledger, and refuses to start if its `node.key` is
//! missing or is not the ledger's. When replicas start together on an empty database, their
//! genesis batches serialise on the chain head: one commits, the others' genesis is refused as
//! `ALREADY_INITIALISED`, and they join the ledger the first one created (removing the admin key
//! file they had generated, which names no one).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{LedgerId, RequestId};

use ledger_core::refusal::Refusal;

use crate::error::ServerError;
use crate::store::{LedgerMeta, Store};
use crate::writer::{VerifiedCommand, WriterHandle};

/// File name of the node key in the data directory.
pub const NODE_KEY_FILE: &str = "node.key";
/// File name of the generated first admin key in the data directory.
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Creates the data directory (0700) if missing.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("create data directory {}", dir.display()))
}

/// Reads the node key, creating it on first start.
pub fn node_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join(NODE_KEY_FILE);
    if path.exists() {
        return read_secret_key(&path);
    }
    let key = new_secret_key()?;
    write_secret_key(&path, &key)?;
    tracing::info!(path = %path.display(), "created the node key");
    Ok(key)
}

/// The node key for the ledger `store` holds, from `<data-dir>/node.key`. While the database holds
/// no ledger, the key is created if missing (this server may write the genesis entry). Once it
/// holds one, the file must exist and hold that ledger's node key: a replica joining a ledger is
/// given the key, it never makes one.
pub async fn node_key_for(store: &dyn Store, data_dir: &Path) -> anyhow::Result<SecretKey> {
    let Some(meta) = store.meta().await.context("read the ledger's identity")? else {
        return node_key(data_dir);
    };
    let path = data_dir.join(NODE_KEY_FILE);
    if !path.exists() {
        bail!(
            "the database holds ledger {} (node key {}), but {} does not exist: every server of a ledger \
             shares its node key; copy {NODE_KEY_FILE} from the data directory of a server of this ledger",
            meta.ledger_id,
            meta.node_key,
            path.display()
        );
    }
    let key = read_secret_key(&path)?;
    check_node_key(&meta, &key, data_dir)?;
    Ok(key)
}

/// Refuses a node key that is not the ledger's.
fn check_node_key(meta: &LedgerMeta, node: &SecretKey, data_dir: &Path) -> anyhow::Result<()> {
    if meta.node_key != node.public_key() {
        bail!(
            "the database holds ledger {} with node key {}, but {} holds {}: every server of a ledger \
             shares its node key; copy {NODE_KEY_FILE} from the data directory of a server of this ledger",
            meta.ledger_id,
            meta.node_key,
            data_dir.join(NODE_KEY_FILE).display(),
            node.public_key()
        );
    }
    Ok(())
}

/// A new secret key from the operating system's random source.
pub fn new_secret_key() -> anyhow::Result<SecretKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| anyhow::anyhow!("read random bytes: {error}"))?;
    Ok(SecretKey::from_seed(seed))
}

/// Writes a key file readable by its owner only; never overwrites.
pub fn write_secret_key(path: &Path, key: &SecretKey) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("create key file {}", path.display()))?;
    file.write_all(key.to_file_text().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("write key file {}", path.display()))
}

fn read_secret_key(path: &Path) -> anyhow::Result<SecretKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read key file {}", path.display()))?;
    SecretKey::parse(&text).with_context(|| format!("key file {} is not a key", path.display()))
}

/// Where the first admin key comes from.
pub enum AdminKey {
    /// A key the operator holds (`ledgerd init --admin-public-key`).
    Given(PublicKey),
    /// Generate one and write it to `<data-dir>/admin.key`.
    Generate,
}

/// What bootstrap did.
pub struct Bootstrapped {
    /// The ledger, initialised.
    pub meta: LedgerMeta,
    /// Set when this start created the ledger and wrote a new admin key file there.
    pub admin_key_file: Option<PathBuf>,
}

/// Makes sure the ledger is initialised: writes the genesis entry through the writer if the
/// journal is empty, and checks that an existing ledger belongs to this node key.
pub async fn ensure_genesis(
    store: &dyn Store,
    writer: &WriterHandle,
    data_dir: &Path,
    node: &SecretKey,
    admin: AdminKey,
) -> anyhow::Result<Bootstrapped> {
    if let Some(meta) = store.meta().await.context("read the ledger's identity")? {
        return join(meta, node, data_dir, &admin);
    }
    let (admin_key, admin_key_file) = match &admin {
        AdminKey::Given(key) => (*key, None),
        AdminKey::Generate => {
            let path = data_dir.join(ADMIN_KEY_FILE);
            let key = new_secret_key()?;
            write_secret_key(&path, &key)?;
            (key.public_key(), Some(path))
        }
    };
    let ledger_id = LedgerId::from_uuid(uuid::Uuid::new_v4());
    let request_id = RequestId::from_uuid(uuid::Uuid::new_v4());
    let genesis = Command::Genesis { admin_key, node_key: node.public_key() };
    let signed = SignedCommand::sign(ledger_id, request_id, genesis, node);
    let command = VerifiedCommand::verify(signed).context("sign the genesis entry")?;
    match writer.submit(command).await {
        Ok(_) => {}
        Err(ServerError::Refused(Refusal::AlreadyInitialised)) => {
            // Another server created the ledger since we looked: join it. The admin key generated
            // for our genesis names no one, so it must not lie around looking like the admin's.
            forget_admin_key(admin_key_file.as_deref());
            let meta = store
                .meta()
                .await
                .context("read the ledger's identity")?
                .context("the genesis entry was refused as already written, but the ledger has no identity")?;
            tracing::info!(ledger_id = %meta.ledger_id, "another server created the ledger first; joining it");
            return join(meta, node, data_dir, &admin);
        }
        Err(error) => {
            // Only forget the generated admin key if the genesis is known not to be committed.
            if let Ok(None) = store.meta().await {
                forget_admin_key(admin_key_file.as_deref());
            }
            return Err(error).context("write the genesis entry");
        }
    }
    let meta = store
        .meta()
        .await
        .context("read the ledger's identity")?
        .context("the genesis entry was committed but the ledger has no identity")?;
    tracing::info!(ledger_id = %meta.ledger_id, admin_public_key = %admin_key, "created a new ledger");
    Ok(Bootstrapped { meta, admin_key_file })
}

/// Serves a ledger that exists: checks it is this node key's, and that `init` is not asked of it.
fn join(meta: LedgerMeta, node: &SecretKey, data_dir: &Path, admin: &AdminKey) -> anyhow::Result<Bootstrapped> {
    check_node_key(&meta, node, data_dir)?;
    if let AdminKey::Given(_) = admin {
        bail!("ledger {} is initialised already; init changes nothing", meta.ledger_id);
    }
    Ok(Bootstrapped { meta, admin_key_file: None })
}

/// Removes an admin key file generated for a genesis entry that was not written.
fn forget_admin_key(path: Option<&Path>) {
    if let Some(path) = path
        && let Err(error) = std::fs::remove_file(path)
    {
        tracing::warn!(path = %path.display(), %error, "cannot remove the unused admin key file");
    }
}
