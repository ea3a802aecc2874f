//! The transfer file of `import transfers`: a header `payer,payee,amount` or
//! `payer,payee,amount,memo`, then one transfer a line. Fields are plain text separated by
//! commas (no quoting) and trimmed; blank lines are skipped; amounts are read at the unit's
//! scale. Lines count from 1, the header being line 1, as a spreadsheet numbers them.

use ledger_core::amount::Scale;
use ledger_core::import::ImportRow;
use ledger_core::names::{Handle, Memo};
use sha2::{Digest, Sha256};

/// The headers the file may start with.
pub const HEADERS: [&str; 2] = ["payer,payee,amount", "payer,payee,amount,memo"];

/// One transfer of the file and its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Its line in the file.
    pub line: u32,
    /// The transfer.
    pub transfer: ImportRow,
}

/// A checked file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferFile {
    /// SHA-256 of the file's bytes, as signed with every batch.
    pub sha256: [u8; 32],
    /// The transfers, in file order.
    pub rows: Vec<Line>,
}

impl TransferFile {
    /// Reads a file's bytes; the first malformed line is named.
    pub fn parse(bytes: &[u8], scale: Scale) -> Result<Self, String> {
        let sha256: [u8; 32] = Sha256::digest(bytes).into();
        let text = std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8 text: {error}"))?;
        let mut lines = text.lines().zip(1u32..);
        let header = lines.next().map(|(line, _)| line.trim()).unwrap_or_default();
        let with_memo = match HEADERS.iter().position(|expected| *expected == header) {
            Some(index) => index == 1,
            None => {
                return Err(format!(
                    "line 1: the header must be {:?} or {:?}, found {header:?}",
                    HEADERS[0], HEADERS[1]
                ));
            }
        };
        let columns = if with_memo { 4 } else { 3 };
        let mut rows = Vec::new();
        for (text, line) in lines {
            if text.trim().is_empty() {
                continue;
            }
            let bad = |what: String| format!("line {line}: {what}");
            let fields: Vec<&str> = text.split(',').map(str::trim).collect();
            if fields.len() != columns {
                return Err(bad(format!(
                    "expected {columns} fields ({}), found {}",
                    HEADERS[usize::from(with_memo)],
                    fields.len()
                )));
            }
            let transfer = ImportRow {
                payer: Handle::parse(fields[0]).map_err(|error| bad(format!("payer: {error}")))?,
                payee: Handle::parse(fields[1]).map_err(|error| bad(format!("payee: {error}")))?,
                amount: ledger_core::amount::Amount::parse_positive(fields[2], scale)
                    .map_err(|error| bad(format!("amount: {error}")))?,
                memo: Memo::parse(fields.get(3).copied().unwrap_or_default())
                    .map_err(|error| bad(format!("memo: {error}")))?,
            };
            if transfer.payer == transfer.payee {
                return Err(bad("payer and payee are the same account".to_owned()));
            }
            rows.push(Line { line, transfer });
        }
        if rows.is_empty() {
            return Err("no transfers after the header".to_owned());
        }
        Ok(Self { sha256, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale() -> Scale {
        Scale::new(2).unwrap()
    }

    #[test]
    fn rows_keep_their_line_and_the_hash_covers_the_bytes() {
        let text = "payer,payee,amount,memo\nalice,bob,12.50,bread\n\n bob , carol ,3,\n";
        let file = TransferFile::parse(text.as_bytes(), scale()).unwrap();
        assert_eq!(file.rows.iter().map(|row| row.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(file.rows[0].transfer.amount.minor(), 1250);
        assert_eq!(file.rows[0].transfer.memo.as_str(), "bread");
        assert_eq!(file.rows[1].transfer.payee.as_str(), "carol");
        let other = TransferFile::parse(text.replace("12.50", "12.5").as_bytes(), scale()).unwrap();
        assert_ne!(file.sha256, other.sha256, "the same rows written differently are another file");
    }

    #[test]
    fn the_first_bad_line_is_named() {
        for (text, expected) in [
            ("payer,amount\n", "line 1: the header"),
            ("payer,payee,amount\nalice,bob,1\nalice,bob\n", "line 3: expected 3 fields"),
            ("payer,payee,amount\nalice,bob,1.001\n", "line 2: amount"),
            ("payer,payee,amount\nalice,bob,-1\n", "line 2: amount"),
            ("payer,payee,amount\nalice,Bob,1\n", "line 2: payee"),
            ("payer,payee,amount\nalice,alice,1\n", "line 2: payer and payee"),
            ("payer,payee,amount\n\n", "no transfers"),
        ] {
            let error = TransferFile::parse(text.as_bytes(), scale()).unwrap_err();
            assert!(error.starts_with(expected), "{text:?}: {error}");
        }
    }
}
