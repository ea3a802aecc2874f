//! Contributions to the commons fund: the ids of the transfers they make, and what a collect
//! reports for each business it names.
//!
//! Every id here is derived (SHA-256, a UUID of version 8) from what the transfer belongs to, so
//! it is the same on every replay and a second attempt finds the first: a levy's id from its
//! payment's, a recurring contribution's from its business and period (so a period is collected
//! at most once per agreement), the undoing of a levy from the reversal that undoes its payment.

use crate::amount::Amount;
use crate::names::{Handle, RequestId};

use super::period::Period;

/// The most businesses one `Collect` command names (one entry); a larger collect is several.
pub const COLLECT_BUSINESSES_MAX: usize = 500;

/// The id of the levy transfer posted with the payment (or accepted request) `payment`.
pub fn levy_id(payment: RequestId) -> RequestId {
    RequestId::derived(b"commons-ledger/levy/v1\0", &[payment.as_bytes()])
}

/// The id of the transfer that gives a levy back to its business when `reversal` undoes the
/// levied payment.
pub fn levy_reversal_id(reversal: RequestId) -> RequestId {
    RequestId::derived(b"commons-ledger/levy-reversal/v1\0", &[reversal.as_bytes()])
}

/// The id of `business`'s recurring contribution for `period`: at most one transfer per
/// agreement and period, whichever collect posts it.
pub fn collection_id(business: &Handle, period: Period) -> RequestId {
    let period = period.to_string();
    RequestId::derived(b"commons-ledger/collection/v1\0", &[business.as_str().as_bytes(), b"\0", period.as_bytes()])
}

/// What a collect did for one business it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectOutcome {
    /// Its recurring contribution for the period moved to the fund in this entry.
    Collected(Amount),
    /// An earlier collect moved it already: nothing moved now.
    AlreadyCollected,
    /// Nothing moved and nothing is marked: a later collect tries again. `reason` is the
    /// UPPER_SNAKE reason (`NO_AGREEMENT`, `NOTHING_DUE`, or the refusal's, such as
    /// `CREDIT_LIMIT_EXCEEDED` or `ACCOUNT_FROZEN`), `message` says it in words.
    NotCollectable {
        /// Stable reason.
        reason: &'static str,
        /// For people.
        message: String,
    },
}

/// One line of a collect's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectLine {
    /// The business named.
    pub business: Handle,
    /// What happened to its contribution.
    pub outcome: CollectOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_follows_from_what_it_belongs_to() {
        let (a, b) = (RequestId::from_uuid(uuid::Uuid::from_u128(1)), RequestId::from_uuid(uuid::Uuid::from_u128(2)));
        assert_eq!(levy_id(a), levy_id(a));
        assert_ne!(levy_id(a), levy_id(b));
        assert_ne!(levy_id(a), levy_reversal_id(a));
        let bakery = Handle::parse("bakery").unwrap();
        let (march, april) = (Period::parse("2026-03").unwrap(), Period::parse("2026-04").unwrap());
        assert_eq!(collection_id(&bakery, march), collection_id(&bakery, march));
        assert_ne!(collection_id(&bakery, march), collection_id(&bakery, april));
        assert_ne!(collection_id(&bakery, march), collection_id(&Handle::parse("bakery2").unwrap(), march));
    }
}
