//! Property 5: a signed command verifies with its signer's key, and no signature survives a
//! change to any field of the command, to the ledger id or to the request id, nor being
//! attributed to another key.

use ledger_core::command::{SIGNATURES_MAX, SignatureError, SignedCommand};
use ledger_core::keys::Signature;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{Fields, KEY_COUNT, handle, ledger_id, one_field_changes, public, request_id, secret};

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_signed_command_verifies_only_as_signed(
        (ledger, request, command) in Fields::full().signed_parts(),
        signer in 0..KEY_COUNT,
        other_ids in (any::<u128>(), any::<u128>()),
        other_signer in 0..KEY_COUNT,
        at in any::<Index>(),
        bits in 1..=255_u8,
    ) {
        let signed = SignedCommand::sign(ledger, request, command.clone(), secret(signer));
        prop_assert_eq!(signed.signers().copied().collect::<Vec<_>>(), vec![public(signer)]);
        prop_assert_eq!(signed.verify_signatures(), Ok(()));
        let invalid = Err(SignatureError::Invalid(public(signer)));

        for (field, changed) in one_field_changes(&command) {
            let tampered = SignedCommand { command: changed, ..signed.clone() };
            prop_assert_eq!(tampered.verify_signatures(), invalid.clone(), "changed {}", field);
        }
        let other_ledger = ledger_id(other_ids.0);
        if other_ledger != ledger {
            let tampered = SignedCommand { ledger_id: other_ledger, ..signed.clone() };
            prop_assert_eq!(tampered.verify_signatures(), invalid.clone(), "changed the ledger id");
        }
        let other_request = request_id(other_ids.1);
        if other_request != request {
            let tampered = SignedCommand { request_id: other_request, ..signed.clone() };
            prop_assert_eq!(tampered.verify_signatures(), invalid.clone(), "changed the request id");
        }
        if other_signer != signer {
            let mut tampered = signed.clone();
            tampered.signatures[0].0 = public(other_signer);
            prop_assert_eq!(
                tampered.verify_signatures(),
                Err(SignatureError::Invalid(public(other_signer))),
                "attributed to another key"
            );
        }
        let mut bytes = *signed.signatures[0].1.as_bytes();
        bytes[at.index(64)] ^= bits;
        let mut tampered = signed.clone();
        tampered.signatures[0].1 = Signature::from_bytes(&bytes).expect("64 bytes");
        prop_assert_eq!(tampered.verify_signatures(), invalid, "flipped signature bits");
    }

    #[test]
    fn every_cosignature_must_verify(
        (ledger, request, command) in Fields::full().signed_parts(),
        signers in proptest::collection::vec(0..KEY_COUNT, 1..=SIGNATURES_MAX),
        bad in any::<Index>(),
    ) {
        let mut signed = SignedCommand::sign(ledger, request, command, secret(signers[0]));
        let bytes = signed.signing_bytes();
        for &n in &signers[1..] {
            signed.signatures.push((public(n), secret(n).sign(&bytes)));
        }
        prop_assert_eq!(signed.verify_signatures(), Ok(()));
        // Any one signature over other bytes spoils the whole command.
        let i = bad.index(signers.len());
        signed.signatures[i].1 = secret(signers[i]).sign(b"something else");
        prop_assert_eq!(
            signed.verify_signatures(),
            Err(SignatureError::Invalid(public(signers[i])))
        );
    }
}

#[test]
fn a_command_needs_between_one_and_signatures_max_signatures() {
    let command =
        ledger_core::command::Command::GrantRole { handle: handle("alice"), role: ledger_core::account::Role::Auditor };
    let signed = SignedCommand::sign(ledger_id(1), request_id(2), command, secret(1));
    let bytes = signed.signing_bytes();
    for count in 0..=SIGNATURES_MAX + 2 {
        let signatures = (0..count as u8).map(|n| (public(n), secret(n).sign(&bytes))).collect();
        let with = SignedCommand { signatures, ..signed.clone() };
        let expected = match count {
            0 => Err(SignatureError::Missing),
            c if c > SIGNATURES_MAX => Err(SignatureError::TooMany),
            _ => Ok(()),
        };
        assert_eq!(with.verify_signatures(), expected, "{count} signatures");
    }
}
