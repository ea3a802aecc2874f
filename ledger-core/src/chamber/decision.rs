//! A steward's decision on a declaration, and the request id it is sent with.

use crate::names::{DeclarationId, RequestId};

/// What a steward does with a pending declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Confirm the work: it may be paid.
    Validate,
    /// Refuse it: it never earns anything.
    Refuse,
}

/// The request id of a steward's decision on a declaration: derived from the declaration's id,
/// so the same decision sent twice (by the same steward) is the same command and the second
/// returns the first result, like [`crate::transfer::answer_id`] for requests. A UUID of version
/// 8 (custom), from SHA-256.
pub fn decision_id(declaration: DeclarationId, decision: Decision) -> RequestId {
    let tag: &[u8] = match decision {
        Decision::Validate => b"commons-ledger/validate-declaration/v1\0",
        Decision::Refuse => b"commons-ledger/refuse-declaration/v1\0",
    };
    RequestId::derived(tag, &[declaration.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_decision_on_each_declaration_has_its_own_id() {
        let (a, b) =
            (DeclarationId::from_uuid(uuid::Uuid::from_u128(1)), DeclarationId::from_uuid(uuid::Uuid::from_u128(2)));
        assert_eq!(decision_id(a, Decision::Validate), decision_id(a, Decision::Validate));
        assert_ne!(decision_id(a, Decision::Validate), decision_id(a, Decision::Refuse));
        assert_ne!(decision_id(a, Decision::Validate), decision_id(b, Decision::Validate));
    }
}
