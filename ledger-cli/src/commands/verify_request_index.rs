//! Ids the verifier has written out, each with a number, on disk as sorted runs merged level by
//! level (a log-structured merge), behind the disk archive ([`super::verify_archive`]): request id
//! → the entry that used it first, and transfer id → where its latest record is.
//!
//! Why not a B-tree: the ids are random, so each batch of new ids written into one table rewrites
//! nearly every page of it, and the work grows with the square of the journal's length. Here a
//! batch is sorted and written once, sequentially, as a run in a temporary file of its own;
//! whenever the two newest runs are of the same level they are streamed into one run of the next
//! level (a binary counter), so each id is rewritten about log2(ids / batch) times, in order, and
//! at most one run per level exists. A merged run's files are dropped, so the disk holds each id
//! once (twice during a merge). An id added again (a transfer changed later) replaces its number:
//! look-ups search the newest run first, and a merge keeps the newer run's record.
//!
//! Each run keeps in memory the key of every `stride`th record (its fences, at most
//! [`FENCES_PER_RUN_MAX`]), so a look-up reads one stretch of `stride` records per run
//! ([`STRIDE_MIN`] records, 3 KiB, until a run outgrows its fences). Memory is thus bounded (runs ×
//! fences) whatever the journal's length. Look-ups are few: the request filter
//! ([`super::request_filter`]) rules out nearly every new request id first, and only the entries
//! that act on an earlier transfer (an acceptance, a reversal) look one up.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;

/// A record: the id (big-endian, so records sort as their bytes) and its number.
const RECORD_BYTES: usize = 24;
/// Records between two fences at least: one look-up reads this many records from a run.
const STRIDE_MIN: u64 = 128;
/// Fences one run keeps at most: 128 KiB of keys. A run of more than `STRIDE_MIN` times this
/// spaces its fences further apart, so memory stays fixed and look-ups read more.
const FENCES_PER_RUN_MAX: u64 = 8_192;
/// Bytes read from each run at a time while merging, and written at a time.
const MERGE_BUFFER_BYTES: usize = 256 << 10;

/// Id → number, for ids written out in batches.
#[derive(Default)]
pub struct RequestIndex {
    /// Oldest (highest level) first; levels strictly decrease along the vector.
    runs: Vec<Run>,
}

/// One sorted run in its own temporary file.
struct Run {
    file: File,
    /// Merges behind it: a run of level `k` holds about `2^k` batches.
    level: u32,
    /// Records in the file.
    len: u64,
    /// Records between two fences.
    stride: u64,
    /// The key of records `0, stride, 2 × stride, …`.
    fences: Vec<u128>,
}

impl RequestIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a batch of ids and their numbers, sorted by id, none twice; an id added before gets the
    /// new number.
    pub fn add(&mut self, batch: &[(u128, u64)]) -> io::Result<()> {
        assert!(batch.is_sorted_by(|a, b| a.0 < b.0), "a batch is sorted, without repeats");
        if batch.is_empty() {
            return Ok(());
        }
        let mut writer = RunWriter::new(batch.len() as u64)?;
        for &(id, seq) in batch {
            writer.push(id, seq)?;
        }
        self.runs.push(writer.finish(0)?);
        while let [.., older, newer] = self.runs.as_slice()
            && older.level == newer.level
        {
            let newer = self.runs.pop().expect("two runs");
            let older = self.runs.pop().expect("two runs");
            self.runs.push(merge(&older, &newer)?);
        }
        Ok(())
    }

    /// The number last added for `id`, if it was added.
    pub fn get(&self, id: u128) -> io::Result<Option<u64>> {
        for run in self.runs.iter().rev() {
            if let Some(seq) = run.get(id)? {
                return Ok(Some(seq));
            }
        }
        Ok(None)
    }

    /// How many runs the ids are in (for tests: at most one per level).
    #[cfg(test)]
    fn runs(&self) -> usize {
        self.runs.len()
    }
}

impl Run {
    fn get(&self, id: u128) -> io::Result<Option<u64>> {
        // The stretch that would hold `id` starts at the last fence not above it.
        let stretch = match self.fences.partition_point(|fence| *fence <= id) {
            0 => return Ok(None),
            after => after as u64 - 1,
        };
        let first = stretch * self.stride;
        let count = self.stride.min(self.len - first);
        let mut bytes = vec![0; count as usize * RECORD_BYTES];
        self.file.read_exact_at(&mut bytes, first * RECORD_BYTES as u64)?;
        let records: Vec<(u128, u64)> = bytes.chunks_exact(RECORD_BYTES).map(decode).collect();
        Ok(records.binary_search_by_key(&id, |record| record.0).ok().map(|at| records[at].1))
    }
}

/// Writes a run sequentially, taking its fences on the way.
struct RunWriter {
    out: BufWriter<File>,
    len: u64,
    stride: u64,
    fences: Vec<u128>,
    /// The last key written, to hold the run to strict order.
    last: Option<u128>,
}

impl RunWriter {
    /// A writer for a run of about `planned` records (which spaces its fences).
    fn new(planned: u64) -> io::Result<Self> {
        let stride = STRIDE_MIN.max(planned.div_ceil(FENCES_PER_RUN_MAX));
        Ok(Self {
            out: BufWriter::with_capacity(MERGE_BUFFER_BYTES, tempfile::tempfile()?),
            len: 0,
            stride,
            fences: Vec::with_capacity(planned.div_ceil(stride) as usize),
            last: None,
        })
    }

    fn push(&mut self, id: u128, seq: u64) -> io::Result<()> {
        assert!(self.last.is_none_or(|last| last < id), "a run is written in strictly ascending order");
        self.last = Some(id);
        if self.len.is_multiple_of(self.stride) {
            self.fences.push(id);
        }
        self.out.write_all(&id.to_be_bytes())?;
        self.out.write_all(&seq.to_be_bytes())?;
        self.len += 1;
        Ok(())
    }

    fn finish(self, level: u32) -> io::Result<Run> {
        let file = self.out.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(Run { file, level, len: self.len, stride: self.stride, fences: self.fences })
    }
}

/// Streams two runs into one of the next level.
fn merge(older: &Run, newer: &Run) -> io::Result<Run> {
    let mut writer = RunWriter::new(older.len + newer.len)?;
    let (mut a, mut b) = (RunReader::new(older), RunReader::new(newer));
    let (mut next_a, mut next_b) = (a.next()?, b.next()?);
    loop {
        let record = match (next_a, next_b) {
            (Some(x), Some(y)) if x.0 < y.0 => {
                next_a = a.next()?;
                x
            }
            (Some(x), Some(y)) => {
                // The same id in both: the newer run's number replaces the older's.
                if x.0 == y.0 {
                    next_a = a.next()?;
                }
                next_b = b.next()?;
                y
            }
            (Some(x), None) => {
                next_a = a.next()?;
                x
            }
            (None, Some(y)) => {
                next_b = b.next()?;
                y
            }
            (None, None) => break,
        };
        writer.push(record.0, record.1)?;
    }
    writer.finish(older.level + 1)
}

/// Reads a run's records in order, a buffer at a time.
struct RunReader<'a> {
    run: &'a Run,
    /// Records read from the file so far.
    read: u64,
    buffer: Vec<u8>,
    /// Position of the next record in `buffer`.
    at: usize,
}

impl<'a> RunReader<'a> {
    fn new(run: &'a Run) -> Self {
        Self { run, read: 0, buffer: Vec::new(), at: 0 }
    }

    fn next(&mut self) -> io::Result<Option<(u128, u64)>> {
        if self.at == self.buffer.len() {
            let count = (self.run.len - self.read).min((MERGE_BUFFER_BYTES / RECORD_BYTES) as u64);
            if count == 0 {
                return Ok(None);
            }
            self.buffer.resize(count as usize * RECORD_BYTES, 0);
            self.run.file.read_exact_at(&mut self.buffer, self.read * RECORD_BYTES as u64)?;
            self.read += count;
            self.at = 0;
        }
        let record = decode(&self.buffer[self.at..self.at + RECORD_BYTES]);
        self.at += RECORD_BYTES;
        Ok(Some(record))
    }
}

fn decode(record: &[u8]) -> (u128, u64) {
    let (id, seq) = record.split_at(16);
    (u128::from_be_bytes(id.try_into().expect("16 bytes")), u64::from_be_bytes(seq.try_into().expect("8 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids spread over the whole space, as random request ids are.
    fn id(n: u64) -> u128 {
        u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    }

    fn batch(ns: std::ops::Range<u64>) -> Vec<(u128, u64)> {
        let mut batch: Vec<(u128, u64)> = ns.map(|n| (id(n), n + 1)).collect();
        batch.sort_unstable();
        batch
    }

    #[test]
    fn every_id_added_is_found_with_its_sequence_number_and_no_other_is() {
        let mut index = RequestIndex::new();
        let batch_len = 1_000;
        for k in 0..11 {
            index.add(&batch(k * batch_len..(k + 1) * batch_len)).unwrap();
        }
        // Eleven batches are 8 + 2 + 1 of them: three runs, one per level.
        assert_eq!(index.runs(), 3);
        for n in 0..11 * batch_len {
            assert_eq!(index.get(id(n)).unwrap(), Some(n + 1), "id {n}");
        }
        for n in 11 * batch_len..12 * batch_len {
            assert_eq!(index.get(id(n)).unwrap(), None, "id {n}");
        }
        // Ids never added, near both ends of the id space.
        assert_eq!(index.get(1).unwrap(), None);
        assert_eq!(index.get(u128::MAX).unwrap(), None);
    }

    #[test]
    fn an_id_added_again_gets_its_new_number_before_and_after_merges() {
        let mut index = RequestIndex::new();
        let one = |n: u64, number: u64| vec![(id(n), number)];
        index.add(&batch(0..100)).unwrap();
        index.add(&one(100, 101)).unwrap();
        index.add(&one(7, 1_007)).unwrap();
        // Two runs, each holding id 7: the newer one answers.
        assert_eq!(index.runs(), 2);
        assert_eq!(index.get(id(7)).unwrap(), Some(1_007));
        index.add(&one(7, 2_007)).unwrap();
        // Four batches merged into one run, which holds each id once, with its latest number.
        assert_eq!(index.runs(), 1);
        assert_eq!(index.runs[0].len, 101);
        assert_eq!(index.get(id(7)).unwrap(), Some(2_007));
        assert_eq!(index.get(id(100)).unwrap(), Some(101));
        assert_eq!(index.get(id(8)).unwrap(), Some(9));
    }

    #[test]
    fn a_run_longer_than_its_fences_spaces_them_and_still_finds_every_id() {
        let len = STRIDE_MIN * FENCES_PER_RUN_MAX + 1_000;
        let mut index = RequestIndex::new();
        index.add(&batch(0..len)).unwrap();
        let run = &index.runs[0];
        assert!(run.fences.len() as u64 <= FENCES_PER_RUN_MAX && run.stride > STRIDE_MIN);
        for n in (0..len).step_by(997).chain([len - 1]) {
            assert_eq!(index.get(id(n)).unwrap(), Some(n + 1), "id {n}");
        }
        assert_eq!(index.get(id(len)).unwrap(), None);
    }
}
