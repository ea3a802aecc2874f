//! The offline invoice file: `id,debtor,creditor,amount` rows in, the same rows with `set_off`
//! and `remainder` out.
//!
//! All rows are in one unit. Its scale is the largest number of decimals written in any amount
//! (at most 6), so `12.5` and `3.25` in one file are read as 1250 and 325 hundredths; every
//! amount in the output is written with that many decimals. Fields are plain text separated by
//! commas (no quoting); blank lines are skipped; ids must be unique. Rows keep their order, which
//! is their priority when parallel invoices share a set-off: put the oldest due first.

use std::collections::HashSet;

use ledger_core::amount::{Amount, Scale};
use ledger_core::clearing::problem::INVOICES_MAX;

/// The header the file must start with.
pub const HEADER: &str = "id,debtor,creditor,amount";

/// The header of the output.
pub const OUTPUT_HEADER: &str = "id,debtor,creditor,amount,set_off,remainder";

/// The longest id or member name accepted, in bytes, so one row cannot hold the whole file.
pub const FIELD_LEN_MAX: usize = 256;

/// One row of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The invoice's id, unique in the file.
    pub id: String,
    /// Who owes.
    pub debtor: String,
    /// Who is owed.
    pub creditor: String,
    /// What is owed, positive, in minor units of the file's scale.
    pub amount: Amount,
}

/// A parsed file: its rows, in order, and the scale of its amounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceFile {
    /// The rows, in file order.
    pub rows: Vec<Row>,
    /// The scale the amounts were read at.
    pub scale: Scale,
}

/// Why a file was rejected; `line` counts from 1, the header being line 1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line 1: the header must be {HEADER:?}, found {0:?}")]
    Header(String),
    #[error("line {line}: {message}")]
    Row { line: usize, message: String },
    #[error("the file has more than {INVOICES_MAX} invoices")]
    TooManyRows,
}

fn row_error(line: usize, message: impl Into<String>) -> CsvError {
    CsvError::Row { line, message: message.into() }
}

/// Parses the whole file; the first bad row rejects it.
pub fn parse(text: &str) -> Result<InvoiceFile, CsvError> {
    let mut lines = text.lines().enumerate().map(|(index, line)| (index + 1, line.strip_suffix('\r').unwrap_or(line)));
    let header = lines.next().map_or("", |(_, line)| line);
    if header.trim() != HEADER {
        return Err(CsvError::Header(header.chars().take(80).collect()));
    }
    // First pass: the fields of every row, and the largest number of decimals (the scale).
    let mut fields: Vec<(usize, [&str; 4])> = Vec::new();
    let mut places = 0_u32;
    let mut ids = HashSet::new();
    for (line, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        if fields.len() == INVOICES_MAX {
            return Err(CsvError::TooManyRows);
        }
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let [id, debtor, creditor, amount] = parts[..] else {
            return Err(row_error(line, format!("expected 4 fields ({HEADER}), found {}", parts.len())));
        };
        for (name, value) in [("id", id), ("debtor", debtor), ("creditor", creditor)] {
            if value.is_empty() {
                return Err(row_error(line, format!("the {name} is empty")));
            }
            if value.len() > FIELD_LEN_MAX {
                return Err(row_error(line, format!("the {name} is longer than {FIELD_LEN_MAX} bytes")));
            }
            if value.contains('"') {
                return Err(row_error(line, format!("the {name} is quoted; quoting is not supported")));
            }
        }
        if debtor == creditor {
            return Err(row_error(line, format!("{debtor:?} owes itself")));
        }
        if !ids.insert(id) {
            return Err(row_error(line, format!("the id {id:?} appears twice")));
        }
        let decimals = amount.split_once('.').map_or(0, |(_, fraction)| fraction.len());
        if decimals > usize::from(Scale::MAX) {
            return Err(row_error(line, format!("amount {amount:?} has more than {} decimals", Scale::MAX)));
        }
        places = places.max(decimals as u32);
        fields.push((line, [id, debtor, creditor, amount]));
    }
    // Second pass: the amounts, exactly, at that scale.
    let scale = Scale::new(places).expect("at most Scale::MAX decimals were admitted");
    let mut rows = Vec::with_capacity(fields.len());
    for (line, [id, debtor, creditor, amount]) in fields {
        let amount = Amount::parse_positive(amount, scale).map_err(|error| row_error(line, error.to_string()))?;
        rows.push(Row { id: id.to_owned(), debtor: debtor.to_owned(), creditor: creditor.to_owned(), amount });
    }
    Ok(InvoiceFile { rows, scale })
}

/// Writes the output: each row with its set-off and remainder, in input order.
pub fn write(file: &InvoiceFile, set_off: &[i64], out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out, "{OUTPUT_HEADER}")?;
    let format = |minor: i64| Amount::from_minor(minor).expect("0..=amount is an amount").format(file.scale);
    for (row, &set_off) in file.rows.iter().zip(set_off) {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            row.id,
            row.debtor,
            row.creditor,
            row.amount.format(file.scale),
            format(set_off),
            format(row.amount.minor() - set_off)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_most_decimals_written() {
        let file = parse("id,debtor,creditor,amount\na,x,y,12.5\nb,y,x,3.25\n\n").unwrap();
        assert_eq!(file.scale.places(), 2);
        assert_eq!(file.rows[0].amount.minor(), 1250);
        assert_eq!(file.rows[1].amount.minor(), 325);
        assert_eq!(parse("id,debtor,creditor,amount\r\na,x,y,7\r\n").unwrap().scale.places(), 0);
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let bad = [
            ("a,x,y,1\nb,x,y", 3),
            ("a,x,y,1\nb,x,x,2", 3),
            ("a,x,y,0", 2),
            ("a,x,y,-1", 2),
            ("a,x,y,1e3", 2),
            ("a,x,y,1.1234567", 2),
            ("a,x,y,1\n\na,y,x,1", 4),
            ("a,,y,1", 2),
            ("\"a\",x,y,1", 2),
        ];
        for (body, line) in bad {
            match parse(&format!("{HEADER}\n{body}\n")) {
                Err(CsvError::Row { line: found, .. }) => assert_eq!(found, line, "{body:?}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
        assert!(matches!(parse("debtor,creditor,amount\n"), Err(CsvError::Header(_))));
        assert!(matches!(parse(""), Err(CsvError::Header(_))));
    }
}
