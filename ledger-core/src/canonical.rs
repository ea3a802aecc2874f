//! The canonical byte encoding that signatures and hashes cover.
//!
//! Deterministic and self-delimiting, independent of protobuf, JSON or any storage format:
//!
//! | value | bytes |
//! |---|---|
//! | `u8`, tag, bool | 1 byte (bool: `0x00` or `0x01`) |
//! | `u32`, `i64`, `u64` | 4 or 8 bytes, big-endian (two's complement for `i64`) |
//! | text | `u32` length in bytes, then the UTF-8 bytes |
//! | bytes | `u32` length, then the bytes |
//! | UUID | its 16 bytes |
//! | public key | its 32 bytes; signature: its 64 bytes |
//! | amount | `i64` minor units |
//! | `Option<T>` | `0x00`, or `0x01` then `T` |
//!
//! A decoder refuses trailing bytes, unknown tags and invalid values, so one value has exactly one
//! encoding.

/// Why bytes did not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("canonical bytes do not decode: {0}")]
pub struct DecodeError(pub String);

/// Appends canonical encodings to a buffer.
#[derive(Default)]
pub struct Encoder(Vec<u8>);

impl Encoder {
    /// An encoder that starts with `domain` (a fixed tag, written without a length).
    pub fn with_domain(domain: &[u8]) -> Self {
        Self(domain.to_vec())
    }

    /// Appends one byte.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends a big-endian `i64`.
    pub fn i64(&mut self, value: i64) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// Appends raw fixed-size bytes (no length).
    pub fn fixed(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends length-prefixed bytes.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        let len = u32::try_from(bytes.len()).expect("canonical values are bounded far below 4 GiB");
        self.u32(len).fixed(bytes)
    }

    /// Appends length-prefixed UTF-8.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    /// Appends an optional value.
    pub fn option<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) -> &mut Self {
        match value {
            None => self.u8(0),
            Some(value) => {
                self.u8(1);
                write(self, value);
                self
            }
        }
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

/// Reads canonical encodings from a byte slice.
pub struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder over `bytes`, which must start with `domain`.
    pub fn with_domain(bytes: &'a [u8], domain: &[u8]) -> Result<Self, DecodeError> {
        let rest = bytes.strip_prefix(domain).ok_or_else(|| DecodeError("wrong domain tag".into()))?;
        Ok(Self { rest })
    }

    /// Takes `n` raw bytes.
    pub fn fixed(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError(format!("needed {n} more bytes, {} left", self.rest.len())));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// Takes `N` raw bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.fixed(N)?.try_into().expect("fixed returned N bytes"))
    }

    /// Takes one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// Takes a big-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Takes a big-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Takes a big-endian `i64`.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// Takes length-prefixed bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        self.fixed(len)
    }

    /// Takes length-prefixed UTF-8.
    pub fn text(&mut self) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| DecodeError("text is not UTF-8".into()))
    }

    /// Takes an optional value.
    pub fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            other => Err(DecodeError(format!("option marker {other}"))),
        }
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() { Ok(()) } else { Err(DecodeError(format!("{} trailing bytes", self.rest.len()))) }
    }
}
