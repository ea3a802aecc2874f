//! Table-mode text: aligned columns, aligned key/value lists and readable timestamps. No colour.

/// How a column's cells are aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers and amounts, so their decimal points line up.
    Right,
}

/// A table with a header row; columns are separated by two spaces.
#[derive(Debug)]
pub struct Table {
    /// Column titles and alignments.
    columns: Vec<(&'static str, Align)>,
    /// Cells, one `Vec` per row, as many cells as columns.
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        Self { columns: columns.to_vec(), rows: Vec::new() }
    }

    /// Appends a row, one cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        self.rows.push(cells);
    }

    /// The aligned text, header first, without trailing spaces or a final newline.
    pub fn render(&self) -> String {
        let header: Vec<String> = self.columns.iter().map(|(t, _)| (*t).to_owned()).collect();
        let mut widths: Vec<usize> = header.iter().map(|t| width(t)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let line = |cells: &[String]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    text.push_str("  ");
                }
                let pad = " ".repeat(widths[i] - width(cell));
                match self.columns[i].1 {
                    Align::Left => {
                        text.push_str(cell);
                        text.push_str(&pad);
                    }
                    Align::Right => {
                        text.push_str(&pad);
                        text.push_str(cell);
                    }
                }
            }
            text.trim_end().to_owned()
        };
        std::iter::once(line(&header)).chain(self.rows.iter().map(|row| line(row))).collect::<Vec<_>>().join("\n")
    }
}

/// A list of `label: value` lines with the values aligned.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let label_width = pairs.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    pairs
        .iter()
        .map(|(label, value)| {
            let pad = " ".repeat(label_width - width(label));
            format!("{label}:{pad}  {value}").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An optional value for a table cell: `-` when absent or empty.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => "-".to_owned(),
    }
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SSZ` (UTC).
pub fn timestamp(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z", of_day / 3600, of_day % 3600 / 60, of_day % 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), so the CLI needs no date crate for one column.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Display width, counted in characters (close enough without a Unicode width table).
fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_numbers_go_right() {
        let mut table = Table::new(&[("ACCOUNT", Align::Left), ("BALANCE", Align::Right)]);
        table.row(vec!["alice".into(), "-30.00".into()]);
        table.row(vec!["jardin-partage".into(), "5.00".into()]);
        assert_eq!(table.render(), "ACCOUNT         BALANCE\nalice            -30.00\njardin-partage     5.00");
    }

    #[test]
    fn fields_align_values() {
        assert_eq!(fields(&[("id", "x".into()), ("amount", "1.00".into())]), "id:      x\namount:  1.00");
    }

    #[test]
    fn timestamps_are_utc() {
        assert_eq!(timestamp(0), "1970-01-01 00:00:00Z");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00:00Z");
        assert_eq!(timestamp(1_767_225_599_999), "2025-12-31 23:59:59Z");
        assert_eq!(timestamp(-1000), "1969-12-31 23:59:59Z");
    }
}
