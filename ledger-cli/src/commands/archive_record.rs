//! A transfer as bytes in the verifier's disk archive ([`super::verify_archive`]): the canonical
//! encoding of ledger-core, field by field. The file lives only as long as one verification, so
//! the layout has no version to keep.

use ledger_core::amount::Amount;
use ledger_core::archive::ArchiveError;
use ledger_core::canonical::{DecodeError, Decoder, Encoder};
use ledger_core::names::{Handle, Memo, RequestId, UnitCode};
use ledger_core::transfer::{Transfer, TransferKind, TransferStatus};

/// Leads every record.
const DOMAIN: &[u8] = b"T1";

/// The record of `transfer`.
pub fn encode(transfer: &Transfer) -> Vec<u8> {
    let mut out = Encoder::with_domain(DOMAIN);
    out.fixed(transfer.id.as_bytes())
        .u8(index_of(&TransferKind::ALL, transfer.kind))
        .u8(index_of(&TransferStatus::ALL, transfer.status))
        .text(transfer.payer.as_str())
        .text(transfer.payee.as_str())
        .text(transfer.unit.as_str())
        .i64(transfer.amount.minor())
        .text(transfer.memo.as_str())
        .i64(transfer.created_ms)
        .option(transfer.expires_at_ms, |e, at| {
            e.i64(at);
        })
        .option(transfer.reverses, |e, id| {
            e.fixed(id.as_bytes());
        })
        .option(transfer.reversed_by, |e, id| {
            e.fixed(id.as_bytes());
        });
    out.finish()
}

/// The transfer a record holds; an error if the bytes are not one [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Transfer, ArchiveError> {
    decode_fields(bytes).map_err(|error| ArchiveError(format!("a transfer record is unreadable: {error}")))
}

fn decode_fields(bytes: &[u8]) -> Result<Transfer, DecodeError> {
    let mut d = Decoder::with_domain(bytes, DOMAIN)?;
    let id = request_id(&mut d)?;
    let kind = *TransferKind::ALL.get(usize::from(d.u8()?)).ok_or_else(|| invalid("kind"))?;
    let status = *TransferStatus::ALL.get(usize::from(d.u8()?)).ok_or_else(|| invalid("status"))?;
    let payer = Handle::parse(d.text()?).map_err(|_| invalid("payer"))?;
    let payee = Handle::parse(d.text()?).map_err(|_| invalid("payee"))?;
    let unit = UnitCode::parse(d.text()?).map_err(|_| invalid("unit"))?;
    let amount = Amount::from_minor(d.i64()?).ok_or_else(|| invalid("amount"))?;
    let memo = Memo::parse(d.text()?).map_err(|_| invalid("memo"))?;
    let created_ms = d.i64()?;
    let expires_at_ms = d.option(|d| d.i64())?;
    let reverses = d.option(request_id)?;
    let reversed_by = d.option(request_id)?;
    d.finish()?;
    Ok(Transfer {
        id,
        kind,
        status,
        payer,
        payee,
        unit,
        amount,
        memo,
        created_ms,
        expires_at_ms,
        reverses,
        reversed_by,
    })
}

fn request_id(d: &mut Decoder<'_>) -> Result<RequestId, DecodeError> {
    Ok(RequestId::from_uuid(uuid::Uuid::from_bytes(d.array()?)))
}

fn index_of<T: PartialEq>(all: &[T], value: T) -> u8 {
    let index = all.iter().position(|v| *v == value).expect("ALL lists every value");
    u8::try_from(index).expect("a handful of values")
}

fn invalid(field: &str) -> DecodeError {
    DecodeError(format!("invalid {field}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RequestId {
        RequestId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn every_field_comes_back() {
        let transfer = Transfer {
            id: id(1),
            kind: TransferKind::Request,
            status: TransferStatus::Committed,
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::from_minor(12_345).unwrap(),
            memo: Memo::parse("bread and ☕").unwrap(),
            created_ms: 1_767_225_600_000,
            expires_at_ms: Some(1_767_225_660_000),
            reverses: None,
            reversed_by: Some(id(2)),
        };
        assert_eq!(decode(&encode(&transfer)), Ok(transfer.clone()));
        let reversal =
            Transfer { kind: TransferKind::Reversal, expires_at_ms: None, reverses: Some(id(3)), ..transfer };
        assert_eq!(decode(&encode(&reversal)), Ok(reversal));
    }

    #[test]
    fn bytes_it_did_not_write_are_refused() {
        assert!(decode(b"T1").is_err());
        assert!(decode(b"").is_err());
        let transfer = Transfer {
            id: id(1),
            kind: TransferKind::Payment,
            status: TransferStatus::Committed,
            payer: Handle::parse("alice").unwrap(),
            payee: Handle::parse("bob").unwrap(),
            unit: UnitCode::parse("COMMUN").unwrap(),
            amount: Amount::from_minor(5).unwrap(),
            memo: Memo::default(),
            created_ms: 0,
            expires_at_ms: None,
            reverses: None,
            reversed_by: None,
        };
        let mut bytes = encode(&transfer);
        bytes.push(0);
        assert!(decode(&bytes).is_err());
    }
}
