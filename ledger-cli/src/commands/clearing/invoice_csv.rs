//! The invoice file: `id,debtor,creditor,amount` rows in, the same rows with `set_off` and
//! `remainder` out (the offline solver, [`parse`] and [`write`]); and the import file, the same
//! columns plus optional `unit,due,ref`, read by [`parse_import`] for `clearing invoice import`.
//!
//! # The offline file
//!
//! All rows are in one unit. Its scale is the largest number of decimals written in any amount
//! (at most 6), so `12.5` and `3.25` in one file are read as 1250 and 325 hundredths; every
//! amount in the output is written with that many decimals. Fields are plain text separated by
//! commas (no quoting); blank lines are skipped; ids must be unique. Rows keep their order, which
//! is their priority when parallel invoices share a set-off: put the oldest due first.

use std::collections::HashSet;

use ledger_core::amount::{Amount, Scale};
use ledger_core::clearing::problem::INVOICES_MAX;
use ledger_core::date::Date;
use ledger_core::names::{Handle, Reference, UnitCode};

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
    #[error("line 1: {0}")]
    ImportHeader(String),
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

/// The columns an import file may have besides the required [`HEADER`] ones.
pub const IMPORT_OPTIONAL: [&str; 3] = ["unit", "due", "ref"];

/// One row of an import file, checked as far as can be without the server: the amount stays
/// text until the unit's scale is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// Its line in the file, counting the header as line 1.
    pub line: usize,
    /// The id it has in the books it comes from, unique in the file.
    pub external_id: String,
    /// Who owes.
    pub debtor: Handle,
    /// Who is owed.
    pub creditor: Handle,
    /// The amount as written.
    pub amount: String,
    /// The row's unit, when the file has a `unit` column.
    pub unit: Option<UnitCode>,
    /// When it falls due, if given.
    pub due: Option<Date>,
    /// The `ref` column; empty when absent.
    pub reference: Reference,
}

/// Parses an import file: a header naming `id,debtor,creditor,amount` and any of
/// [`IMPORT_OPTIONAL`] in any order, then one invoice per line. The first bad row rejects the
/// file, naming its line.
pub fn parse_import(text: &str) -> Result<Vec<ImportRow>, CsvError> {
    let mut lines = text.lines().enumerate().map(|(index, line)| (index + 1, line.strip_suffix('\r').unwrap_or(line)));
    let header: Vec<&str> = lines.next().map_or("", |(_, line)| line).split(',').map(str::trim).collect();
    let column = |name: &str| header.iter().position(|column| *column == name);
    for name in &header {
        if !HEADER.split(',').chain(IMPORT_OPTIONAL).any(|known| known == *name) {
            return Err(CsvError::ImportHeader(format!(
                "unknown column {name:?}: the columns are {HEADER} and optionally {}",
                IMPORT_OPTIONAL.join(",")
            )));
        }
        if header.iter().filter(|column| *column == name).count() > 1 {
            return Err(CsvError::ImportHeader(format!("the column {name:?} appears twice")));
        }
    }
    let required: Vec<usize> = HEADER
        .split(',')
        .map(|name| column(name).ok_or_else(|| CsvError::ImportHeader(format!("the column {name:?} is missing"))))
        .collect::<Result<_, _>>()?;
    let [id_at, debtor_at, creditor_at, amount_at] = required[..] else { unreachable!("HEADER has four columns") };
    let (unit_at, due_at, ref_at) = (column("unit"), column("due"), column("ref"));

    let mut rows = Vec::new();
    let mut ids = HashSet::new();
    for (line, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        if rows.len() == INVOICES_MAX {
            return Err(CsvError::TooManyRows);
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() != header.len() {
            return Err(row_error(line, format!("expected {} fields, found {}", header.len(), fields.len())));
        }
        if let Some(quoted) = fields.iter().position(|field| field.contains('"')) {
            return Err(row_error(line, format!("the {} is quoted; quoting is not supported", header[quoted])));
        }
        let id = fields[id_at];
        if id.is_empty() || id.len() > FIELD_LEN_MAX {
            return Err(row_error(line, format!("the id must be 1 to {FIELD_LEN_MAX} bytes")));
        }
        if !ids.insert(id) {
            return Err(row_error(line, format!("the id {id:?} appears twice")));
        }
        let account = |name: &str, at: usize| {
            Handle::parse(fields[at]).map_err(|error| row_error(line, format!("the {name}: {error}")))
        };
        let (debtor, creditor) = (account("debtor", debtor_at)?, account("creditor", creditor_at)?);
        if debtor == creditor {
            return Err(row_error(line, format!("{debtor} owes itself")));
        }
        let unit = unit_at
            .map(|at| UnitCode::parse(fields[at]).map_err(|error| row_error(line, format!("the unit: {error}"))))
            .transpose()?;
        let due = match due_at.map(|at| fields[at]) {
            None | Some("") => None,
            Some(text) => Some(Date::parse(text).map_err(|error| row_error(line, format!("the due date: {error}")))?),
        };
        let reference = match ref_at {
            None => Reference::default(),
            Some(at) => Reference::parse(fields[at]).map_err(|error| row_error(line, format!("the ref: {error}")))?,
        };
        rows.push(ImportRow {
            line,
            external_id: id.to_owned(),
            debtor,
            creditor,
            amount: fields[amount_at].to_owned(),
            unit,
            due,
            reference,
        });
    }
    if rows.is_empty() {
        return Err(row_error(2, "the file has no invoices"));
    }
    Ok(rows)
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

    #[test]
    fn an_import_file_names_its_columns_and_its_bad_lines() {
        let rows =
            parse_import("ref,id,creditor,debtor,amount,due\nR1,a,bob,alice,12.50,2026-12-31\n\nR2,b,alice,bob,3,\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].external_id.as_str(), rows[0].amount.as_str()), (2, "a", "12.50"));
        assert_eq!((rows[0].debtor.as_str(), rows[0].creditor.as_str()), ("alice", "bob"));
        assert_eq!(rows[0].due.map(|due| due.to_string()), Some("2026-12-31".to_owned()));
        assert_eq!((rows[1].line, rows[1].due, rows[1].reference.as_str()), (4, None, "R2"));

        let bad = [
            ("a,alice,bob,1\nb,alice,alice,1", 3),
            ("a,alice,bob,1\na,bob,alice,1", 3),
            ("a,Alice,bob,1", 2),
            ("a,alice,bob", 2),
            ("\"a\",alice,bob,1", 2),
        ];
        for (body, line) in bad {
            match parse_import(&format!("{HEADER}\n{body}\n")) {
                Err(CsvError::Row { line: found, .. }) => assert_eq!(found, line, "{body:?}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
        let with_unit = "id,debtor,creditor,amount,unit,due\na,alice,bob,1,COMMUN,2026-02-30\n";
        assert!(matches!(parse_import(with_unit), Err(CsvError::Row { line: 2, .. })));
        assert!(matches!(parse_import("id,debtor,creditor\n"), Err(CsvError::ImportHeader(_))));
        assert!(matches!(parse_import("id,debtor,creditor,amount,memo\n"), Err(CsvError::ImportHeader(_))));
        assert!(matches!(parse_import(&format!("{HEADER}\n")), Err(CsvError::Row { line: 2, .. })));
    }
}
