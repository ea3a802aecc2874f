//! Property 3: the canonical signed bytes of a command decode back to it, differ whenever the
//! command, ledger id or request id differ, and are strictly delimited: a strict prefix or any
//! trailing byte is refused, and bytes that decode have exactly one encoding.

use ledger_core::canonical::{Decoder, Encoder};
use ledger_core::command::{COMMAND_DOMAIN, Command, decode_signing_bytes, signing_bytes};
use ledger_core::names::{LedgerId, RequestId};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{Fields, ledger_id, one_field_changes, request_id};

/// One primitive value of the canonical encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    U8(u8),
    U32(u32),
    U64(u64),
    I64(i64),
    Text(String),
    Bytes(Vec<u8>),
    Fixed(Vec<u8>),
    Option(Option<i64>),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u8>().prop_map(Value::U8),
        any::<u32>().prop_map(Value::U32),
        any::<u64>().prop_map(Value::U64),
        any::<i64>().prop_map(Value::I64),
        ".{0,12}".prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(Value::Bytes),
        proptest::collection::vec(any::<u8>(), 1..12).prop_map(Value::Fixed),
        any::<Option<i64>>().prop_map(Value::Option),
    ]
}

type Parts = (LedgerId, RequestId, Command);

/// Pairs drawn from a handful of values per field, so texts like "a" + "b" against "ab" + ""
/// come up: a third equal, a third differing in one field of the command, a third independent,
/// each with the ids often shared.
fn pairs() -> impl Strategy<Value = (Parts, Parts)> {
    let small = Fields::small();
    (small.signed_parts(), small.signed_parts(), 0..3_u8, any::<Index>(), any::<(bool, bool)>()).prop_map(
        |(a, other, how, pick, (same_ledger, same_request))| {
            let mut b = match how {
                0 => a.clone(),
                1 => {
                    let changes = one_field_changes(&a.2);
                    (a.0, a.1, changes[pick.index(changes.len())].1.clone())
                }
                _ => other,
            };
            if same_ledger {
                b.0 = a.0;
            }
            if same_request {
                b.1 = a.1;
            }
            (a, b)
        },
    )
}

fn encode(values: &[Value]) -> Vec<u8> {
    let mut out = Encoder::with_domain(b"test\0");
    for value in values {
        match value {
            Value::U8(v) => out.u8(*v),
            Value::U32(v) => out.u32(*v),
            Value::U64(v) => out.u64(*v),
            Value::I64(v) => out.i64(*v),
            Value::Text(v) => out.text(v),
            Value::Bytes(v) => out.bytes(v),
            Value::Fixed(v) => out.fixed(v),
            Value::Option(v) => out.option(*v, |e, x| {
                e.i64(x);
            }),
        };
    }
    out.finish()
}

/// Decodes `bytes` with the shapes of `schema` (the values are ignored, only their kinds and
/// fixed lengths matter).
fn decode(bytes: &[u8], schema: &[Value]) -> Result<Vec<Value>, String> {
    let mut d = Decoder::with_domain(bytes, b"test\0").map_err(|e| e.0)?;
    let mut out = Vec::new();
    for shape in schema {
        let value = match shape {
            Value::U8(_) => d.u8().map(Value::U8),
            Value::U32(_) => d.u32().map(Value::U32),
            Value::U64(_) => d.u64().map(Value::U64),
            Value::I64(_) => d.i64().map(Value::I64),
            Value::Text(_) => d.text().map(|t| Value::Text(t.to_owned())),
            Value::Bytes(_) => d.bytes().map(|b| Value::Bytes(b.to_vec())),
            Value::Fixed(v) => d.fixed(v.len()).map(|b| Value::Fixed(b.to_vec())),
            Value::Option(_) => d.option(|d| d.i64()).map(Value::Option),
        }
        .map_err(|e| e.0)?;
        out.push(value);
    }
    d.finish().map_err(|e| e.0)?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn signing_bytes_decode_to_the_command_they_encode(
        (ledger, request, command) in Fields::full().signed_parts()
    ) {
        let bytes = signing_bytes(ledger, request, &command);
        prop_assert!(bytes.starts_with(COMMAND_DOMAIN));
        prop_assert_eq!(decode_signing_bytes(&bytes), Ok((ledger, request, command)));
    }

    #[test]
    fn changing_any_one_field_changes_the_signing_bytes(
        (ledger, request, command) in Fields::full().signed_parts(),
        other_ids in (any::<u128>(), any::<u128>()),
    ) {
        let bytes = signing_bytes(ledger, request, &command);
        for (field, changed) in one_field_changes(&command) {
            let changed_bytes = signing_bytes(ledger, request, &changed);
            prop_assert_ne!(&changed_bytes, &bytes, "changing {} left the bytes alone", field);
            prop_assert_eq!(decode_signing_bytes(&changed_bytes), Ok((ledger, request, changed)));
        }
        let other_ledger = ledger_id(other_ids.0);
        let other_request = request_id(other_ids.1);
        prop_assert_eq!(
            signing_bytes(other_ledger, request, &command) == bytes,
            other_ledger == ledger
        );
        prop_assert_eq!(
            signing_bytes(ledger, other_request, &command) == bytes,
            other_request == request
        );
    }

    #[test]
    fn trailing_bytes_after_a_command_are_refused(
        (ledger, request, command) in Fields::full().signed_parts(),
        trailing in proptest::collection::vec(any::<u8>(), 1..8),
    ) {
        let mut bytes = signing_bytes(ledger, request, &command);
        bytes.extend_from_slice(&trailing);
        prop_assert!(decode_signing_bytes(&bytes).is_err());
    }

    #[test]
    fn bytes_that_decode_have_exactly_one_encoding(
        (ledger, request, command) in Fields::full().signed_parts(),
        at in any::<Index>(),
        bits in 1..=255_u8,
        insert in any::<bool>(),
    ) {
        // Corrupt one byte (or insert one), then: either it is refused, or it decodes to a
        // command whose canonical bytes are exactly these bytes.
        let mut bytes = signing_bytes(ledger, request, &command);
        let i = at.index(bytes.len());
        if insert {
            bytes.insert(i, bits);
        } else {
            bytes[i] ^= bits;
        }
        if let Ok((l, r, c)) = decode_signing_bytes(&bytes) {
            prop_assert_eq!(signing_bytes(l, r, &c), bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn different_commands_or_ids_never_share_signing_bytes((a, b) in pairs()) {
        let bytes_a = signing_bytes(a.0, a.1, &a.2);
        let bytes_b = signing_bytes(b.0, b.1, &b.2);
        prop_assert_eq!(bytes_a == bytes_b, a == b, "{:?} and {:?}", a, b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_strict_prefix_of_signing_bytes_is_refused(
        (ledger, request, command) in Fields::full().signed_parts()
    ) {
        let bytes = signing_bytes(ledger, request, &command);
        for len in 0..bytes.len() {
            prop_assert!(
                decode_signing_bytes(&bytes[..len]).is_err(),
                "a prefix of {} of {} bytes decoded", len, bytes.len()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_decoder_reads_back_what_the_encoder_wrote_and_nothing_else(
        values in proptest::collection::vec(value(), 0..8),
        trailing in any::<u8>(),
    ) {
        let bytes = encode(&values);
        prop_assert_eq!(decode(&bytes, &values), Ok(values.clone()));
        for len in 0..bytes.len() {
            prop_assert!(decode(&bytes[..len], &values).is_err(), "prefix of {} decoded", len);
        }
        let mut longer = bytes.clone();
        longer.push(trailing);
        prop_assert!(decode(&longer, &values).is_err(), "a trailing byte was accepted");
    }
}
