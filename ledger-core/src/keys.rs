//! ed25519 keys and signatures, with their text forms (lowercase hex).
//!
//! Secret keys never leave their owner: the CLI and the server create them from 32 random bytes
//! they obtain themselves (this crate does no IO, randomness included).

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// Why a key or signature was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("public key is not 64 hex characters encoding a valid ed25519 point")]
    PublicKey,
    #[error("secret key is not 64 hex characters")]
    SecretKey,
    #[error("signature is not 128 hex characters")]
    SignatureFormat,
    #[error("signature does not verify for this key and message")]
    BadSignature,
}

/// An ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// From the 32 bytes of a compressed point; refuses bytes that are not a valid point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::PublicKey)?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::PublicKey)?;
        Ok(Self(bytes))
    }

    /// From 32 bytes this ledger checked with [`PublicKey::from_bytes`] before it stored them,
    /// without checking them again: decompressing a point costs about a third of a signature
    /// check, and the writer reads back the keys of every account a batch touches. Bytes altered
    /// in storage are still harmless: a key that is not a point verifies nothing.
    pub fn from_stored(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A signer's key as a request names it, checked for its length only. The signature check
    /// decompresses the key anyway (once, and remembers it) and refuses a key that is not a
    /// point as a signature that does not verify; checking it here too would cost a third of a
    /// signature check again. Only for keys checked as signers before anything else uses them.
    pub fn of_signer(bytes: &[u8]) -> Result<Self, KeyError> {
        bytes.try_into().map(Self).map_err(|_| KeyError::PublicKey)
    }

    /// From 64 hex characters.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::PublicKey)?;
        Self::from_bytes(&bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Checks `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::PublicKey)?;
        key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature.0))
            .map_err(|_| KeyError::BadSignature)
    }
}

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

impl Signature {
    /// From 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        bytes.try_into().map(Self).map_err(|_| KeyError::SignatureFormat)
    }

    /// From 128 hex characters.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::SignatureFormat)?;
        Self::from_bytes(&bytes)
    }

    /// The 64 bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// An ed25519 secret key (its 32-byte seed). Zeroized on drop by ed25519-dalek.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// From a 32-byte seed, which must come from a cryptographically secure source.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&seed))
    }

    /// From the key file text: 64 hex characters (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::SecretKey)?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| KeyError::SecretKey)?;
        Ok(Self::from_seed(seed))
    }

    /// The key file text: 64 hex characters and a newline.
    pub fn to_file_text(&self) -> String {
        format!("{}\n", hex::encode(self.0.to_bytes()))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_through_text() {
        let secret = SecretKey::from_seed([7; 32]);
        let secret = SecretKey::parse(&secret.to_file_text()).unwrap();
        let public = PublicKey::parse(&secret.public_key().to_hex()).unwrap();
        let signature = Signature::parse(&secret.sign(b"hello").to_hex()).unwrap();
        assert_eq!(public.verify(b"hello", &signature), Ok(()));
        assert_eq!(public.verify(b"hellO", &signature), Err(KeyError::BadSignature));
        let other = SecretKey::from_seed([8; 32]).public_key();
        assert_eq!(other.verify(b"hello", &signature), Err(KeyError::BadSignature));
        assert!(PublicKey::parse("zz").is_err());
    }
}
