//! First start: the node key, the first admin key and the genesis entry.
//!
//! On an empty ledger `ledgerd` creates a ledger id, writes the genesis entry (signed by the node
//! key, naming the admin key) and, unless `ledgerd init --admin-public-key KEY` gave one, a new
//! admin key file `<data-dir>/admin.key` (0600). On a ledger that exists it changes nothing.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ledger_core::command::{Command, SignedCommand};
use ledger_core::keys::{PublicKey, SecretKey};
use ledger_core::names::{LedgerId, RequestId};

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
        if meta.node_key != node.public_key() {
            bail!(
                "the database belongs to node key {}, but {} holds {}",
                meta.node_key,
                data_dir.join(NODE_KEY_FILE).display(),
                node.public_key()
            );
        }
        if let AdminKey::Given(_) = admin {
            bail!("ledger {} is initialised already; init changes nothing", meta.ledger_id);
        }
        return Ok(Bootstrapped { meta, admin_key_file: None });
    }
    let (admin_key, admin_key_file) = match admin {
        AdminKey::Given(key) => (key, None),
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
    writer.submit(command).await.context("write the genesis entry")?;
    let meta = store
        .meta()
        .await
        .context("read the ledger's identity")?
        .context("the genesis entry was committed but the ledger has no identity")?;
    tracing::info!(ledger_id = %meta.ledger_id, admin_public_key = %admin_key, "created a new ledger");
    Ok(Bootstrapped { meta, admin_key_file })
}
