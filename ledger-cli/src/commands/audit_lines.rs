//! The lines of an export file as bytes, numbered, each held to [`LINE_BYTES_MAX`].
//!
//! One line is one record ([`super::audit_journal`]); an entry's line carries its command's
//! canonical bytes in hex, so the largest commands make the longest lines: a clearing run of
//! hundreds of thousands of set-offs takes several MiB. The bound is far above that, and exists so
//! that a file without line breaks cannot make the verifier read it whole into memory. Blank lines
//! are skipped, as a reader of JSON lines does; line numbers still count them, so an error names
//! the line an editor shows.

use std::io::{BufRead, Read};

/// The longest line read, in bytes, not counting its line break: 64 MiB.
pub const LINE_BYTES_MAX: usize = 64 << 20;

/// The lines of a reader, with their numbers (from 1). After an error it ends.
pub struct Lines<R> {
    reader: R,
    /// The number of the last line read.
    number: usize,
    /// Where lines are read into; each is copied out at its own length.
    buffer: Vec<u8>,
    ended: bool,
}

impl<R: BufRead> Lines<R> {
    /// The lines `reader` holds.
    pub fn new(reader: R) -> Self {
        Self { reader, number: 0, buffer: Vec::new(), ended: false }
    }

    /// Reads the next line into `buffer`, without its line break; false at the end of the input.
    fn read_next(&mut self) -> Result<bool, String> {
        self.buffer.clear();
        self.number += 1;
        let number = self.number;
        // One byte past the bound tells a line that is too long from one that is just long enough.
        let limit = LINE_BYTES_MAX as u64 + 1;
        let read = Read::take(&mut self.reader, limit)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|error| format!("line {number}: cannot read: {error}"))?;
        if read == 0 {
            return Ok(false);
        }
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
        }
        if self.buffer.len() > LINE_BYTES_MAX {
            return Err(format!(
                "line {number}: longer than {LINE_BYTES_MAX} bytes ({} MiB), the most one record may take",
                LINE_BYTES_MAX >> 20
            ));
        }
        Ok(true)
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = (usize, Result<Vec<u8>, String>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.ended {
            match self.read_next() {
                Ok(false) => self.ended = true,
                Ok(true) if self.buffer.trim_ascii().is_empty() => {}
                Ok(true) => return Some((self.number, Ok(self.buffer.clone()))),
                Err(error) => {
                    self.ended = true;
                    return Some((self.number, Err(error)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    fn lines(input: &[u8]) -> Vec<(usize, Result<Vec<u8>, String>)> {
        Lines::new(input).collect()
    }

    #[test]
    fn lines_come_numbered_without_their_breaks_and_blank_ones_are_skipped() {
        let read = lines(b"{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}");
        let expected: Vec<(usize, Result<Vec<u8>, String>)> =
            vec![(1, Ok(b"{\"a\":1}".to_vec())), (4, Ok(b"{\"b\":2}".to_vec())), (5, Ok(b"{\"c\":3}".to_vec()))];
        assert_eq!(read, expected);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn a_line_of_the_largest_length_is_read_and_one_byte_more_is_refused_naming_it() {
        // Read through a small buffer, as from a file: the line spans many fills of it.
        let longest = |extra: usize| {
            let mut input = b"{}\n".to_vec();
            input.resize(input.len() + LINE_BYTES_MAX + extra, b'7');
            input.extend_from_slice(b"\n{}\n");
            Lines::new(BufReader::with_capacity(1 << 16, input.as_slice()))
                .map(|(number, line)| (number, line.map(|bytes| bytes.len())))
                .collect::<Vec<_>>()
        };
        assert_eq!(longest(0), vec![(1, Ok(2)), (2, Ok(LINE_BYTES_MAX)), (3, Ok(2))]);
        let message = format!("line 2: longer than {LINE_BYTES_MAX} bytes (64 MiB), the most one record may take");
        assert_eq!(longest(1), vec![(1, Ok(2)), (2, Err(message))]);
    }

    #[test]
    fn a_read_error_names_the_line_and_ends_the_lines() {
        /// Gives one line, then fails.
        struct Failing(bool);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(std::io::Error::other("disk on fire"));
                }
                out[..3].copy_from_slice(b"{}\n");
                Ok(3)
            }
        }
        let read: Vec<_> = Lines::new(BufReader::new(Failing(false))).collect();
        assert_eq!(read, vec![(1, Ok(b"{}".to_vec())), (2, Err("line 2: cannot read: disk on fire".into()))]);
    }
}
