//! renacer's decision log: a stream of msgpack values, one per decision,
//! each the positional array (as `rmp-serde` writes a tuple struct)
//!
//! ```text
//! [timestamp_us, category, name, input, result | nil, source_location | nil, decision_id | nil]
//! ```
//!
//! `input` and `result` are any JSON value (msgpack maps, arrays, strings,
//! numbers); `source_location` is `file:line` or `file:line:column`.
//!
//! **Append-safe**: [`Writer`] opens the file with `O_APPEND` and writes each
//! record with one `write` call, so several processes can log to one file
//! and records never interleave. **Crash-tolerant**: records are
//! self-delimiting, so [`read`] returns every complete record and says where
//! a truncated last one starts.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One decision, as logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Microseconds since the Unix epoch.
    pub timestamp_us: u64,
    /// `optimization`...
    pub category: String,
    /// `inline_candidate`...
    pub name: String,
    /// What the decision looked at.
    pub input: Value,
    /// What it chose, when known.
    pub result: Option<Value>,
    /// `file:line[:column]` in the transpiler's input.
    pub source_location: Option<String>,
    /// The id, when the writer computed it.
    pub decision_id: Option<u64>,
}

impl Record {
    /// The record's id: the stated one, else computed from its category,
    /// name and `source_location` (`None` without a location).
    pub fn id(&self) -> Option<u64> {
        self.decision_id.or_else(|| {
            let loc = self.source_location.as_deref()?;
            let mut parts = loc.rsplitn(3, ':').collect::<Vec<_>>();
            parts.reverse();
            // `file:line:col` or `file:line` (a file may contain ':').
            let (file, line) = match parts.as_slice() {
                [file, line, col] if col.parse::<u32>().is_ok() && line.parse::<u32>().is_ok() => {
                    (file.to_string(), line.parse().ok()?)
                }
                _ => {
                    let (file, line) = loc.rsplit_once(':')?;
                    (file.to_string(), line.parse().ok()?)
                }
            };
            Some(crate::decision_id(&self.category, &self.name, &file, line))
        })
    }
}

// On the wire a record is a positional array, in this order.
#[derive(Serialize, Deserialize)]
struct Wire(
    u64,
    String,
    String,
    Value,
    Option<Value>,
    Option<String>,
    Option<u64>,
);

/// Encodes one record.
pub fn encode(r: &Record) -> Vec<u8> {
    let wire = Wire(
        r.timestamp_us,
        r.category.clone(),
        r.name.clone(),
        r.input.clone(),
        r.result.clone(),
        r.source_location.clone(),
        r.decision_id,
    );
    rmp_serde::to_vec(&wire).expect("a record always encodes")
}

/// Appends records to a log file.
#[derive(Debug)]
pub struct Writer {
    file: std::fs::File,
}

impl Writer {
    /// Opens (creating) `path` for appending.
    pub fn open(path: &Path) -> std::io::Result<Writer> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Writer { file })
    }

    /// Appends one record, in one `write`.
    pub fn append(&mut self, r: &Record) -> std::io::Result<()> {
        self.file.write_all(&encode(r))
    }
}

/// What a log held.
#[derive(Debug, Clone, PartialEq)]
pub struct Contents {
    /// Every complete record, in file order.
    pub records: Vec<Record>,
    /// Byte offset where an incomplete last record starts (a writer killed
    /// mid-write), if any.
    pub truncated_at: Option<usize>,
}

/// Why a log could not be read past some point.
#[derive(Debug)]
pub enum Error {
    /// The file could not be read.
    Io(std::io::Error),
    /// A complete value that is not a record, at this byte offset.
    Corrupt {
        /// Where the bad record starts.
        offset: usize,
        /// The decoder's complaint.
        why: String,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::Corrupt { offset, why } => {
                write!(f, "not a renacer decision log at byte {offset}: {why}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Decodes a log's bytes.
pub fn decode(bytes: &[u8]) -> Result<Contents, Error> {
    let mut records = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let mut rest = &bytes[pos..];
        let before = rest.len();
        match rmp_serde::from_read::<_, Wire>(&mut rest) {
            Ok(w) => {
                records.push(Record {
                    timestamp_us: w.0,
                    category: w.1,
                    name: w.2,
                    input: w.3,
                    result: w.4,
                    source_location: w.5,
                    decision_id: w.6,
                });
                pos += before - rest.len();
            }
            Err(e) if is_eof(&e) => {
                return Ok(Contents {
                    records,
                    truncated_at: Some(pos),
                })
            }
            Err(e) => {
                return Err(Error::Corrupt {
                    offset: pos,
                    why: e.to_string(),
                })
            }
        }
    }
    Ok(Contents {
        records,
        truncated_at: None,
    })
}

/// Whether decoding failed only because the input ended.
pub(crate) fn is_eof(e: &rmp_serde::decode::Error) -> bool {
    use rmp_serde::decode::Error as E;
    match e {
        E::InvalidMarkerRead(io) | E::InvalidDataRead(io) => {
            io.kind() == std::io::ErrorKind::UnexpectedEof
        }
        _ => false,
    }
}

/// Reads a log file.
pub fn read(path: &Path) -> Result<Contents, Error> {
    decode(&std::fs::read(path).map_err(Error::Io)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(i: u64) -> Record {
        Record {
            timestamp_us: 1_700_000_000_000_000 + i,
            category: "optimization".into(),
            name: "inline_candidate".into(),
            input: json!({"size": i, "callers": ["a", "b"]}),
            result: (i % 2 == 0).then(|| json!("inline")),
            source_location: Some("foo.rb:3".into()),
            decision_id: (i % 3 == 0).then_some(0x7566_2DCF_2304_7DFE),
        }
    }

    #[test]
    fn the_wire_layout_is_the_documented_positional_array() {
        // Built by hand with rmp-serde: a 7-tuple, nil where absent.
        let by_hand = rmp_serde::to_vec(&(
            5u64,
            "optimization",
            "inline_candidate",
            json!({"size": 12}),
            None::<Value>,
            Some("foo.rb:3"),
            None::<u64>,
        ))
        .unwrap();
        let r = Record {
            timestamp_us: 5,
            category: "optimization".into(),
            name: "inline_candidate".into(),
            input: json!({"size": 12}),
            result: None,
            source_location: Some("foo.rb:3".into()),
            decision_id: None,
        };
        assert_eq!(encode(&r), by_hand);
        assert_eq!(by_hand[0], 0x97, "a fixarray of 7");
        assert_eq!(decode(&by_hand).unwrap().records, vec![r.clone()]);
        // Without a stated id, the id comes from the location.
        assert_eq!(r.id(), Some(0x7566_2DCF_2304_7DFE));
    }

    #[test]
    fn appends_from_two_writers_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decisions.msgpack");
        let mut a = Writer::open(&path).unwrap();
        let mut b = Writer::open(&path).unwrap();
        for i in 0..50 {
            a.append(&record(2 * i)).unwrap();
            b.append(&record(2 * i + 1)).unwrap();
        }
        let c = read(&path).unwrap();
        assert_eq!(c.truncated_at, None);
        assert_eq!(c.records, (0..100).map(record).collect::<Vec<_>>());
    }

    #[test]
    fn a_truncated_log_reads_up_to_the_last_complete_record() {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for i in 0..10 {
            bytes.extend(encode(&record(i)));
            ends.push(bytes.len());
        }
        // Cut at every byte of the last record: nine complete records.
        for cut in ends[8] + 1..ends[9] {
            let c = decode(&bytes[..cut]).unwrap();
            assert_eq!(c.records.len(), 9, "cut at {cut}");
            assert_eq!(c.truncated_at, Some(ends[8]));
        }
        assert_eq!(decode(&bytes).unwrap().records.len(), 10);
    }

    #[test]
    fn garbage_is_an_error_with_its_offset() {
        let mut bytes = encode(&record(1));
        let at = bytes.len();
        bytes.extend(rmp_serde::to_vec(&"not a record").unwrap());
        match decode(&bytes) {
            Err(Error::Corrupt { offset, .. }) => assert_eq!(offset, at),
            other => panic!("{other:?}"),
        }
    }
}
