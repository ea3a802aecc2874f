//! A business's contribution agreement with the chamber.

use crate::amount::Amount;
use crate::canonical::{DecodeError, Decoder, Encoder};
use crate::names::Handle;

use super::basis_points::BasisPoints;
use super::codec::{amount, amount_into, handle, invalid};
use super::period::Period;

/// Why agreement terms were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("an agreement needs a levy above 0%, a recurring contribution, or both")]
    NoContribution,
    #[error("a recurring contribution must be more than zero")]
    ZeroRecurring,
}

/// What a business contributes to the commons fund: a levy on every payment it receives, a
/// recurring amount per period, or both. One-off contributions need no agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    business: Handle,
    levy: BasisPoints,
    recurring: Option<Amount>,
    effective_from: Period,
}

impl Agreement {
    /// Validates the terms: at least one of a levy above zero or a recurring amount, and a
    /// recurring amount, if any, above zero.
    pub fn new(
        business: Handle,
        levy: BasisPoints,
        recurring: Option<Amount>,
        effective_from: Period,
    ) -> Result<Self, AgreementError> {
        if recurring.is_some_and(Amount::is_zero) {
            return Err(AgreementError::ZeroRecurring);
        }
        if levy.is_zero() && recurring.is_none() {
            return Err(AgreementError::NoContribution);
        }
        Ok(Self { business, levy, recurring, effective_from })
    }

    /// The contributing business.
    pub fn business(&self) -> &Handle {
        &self.business
    }

    /// The levy on payments it receives, posted to the fund in the payment's own entry.
    pub fn levy(&self) -> BasisPoints {
        self.levy
    }

    /// What it owes each period from [`Agreement::effective_from`] on, collected at most once per
    /// period.
    pub fn recurring(&self) -> Option<Amount> {
        self.recurring
    }

    /// The first period the terms apply to.
    pub fn effective_from(&self) -> Period {
        self.effective_from
    }

    /// The recurring amount due for `period`: none before the agreement starts.
    pub fn recurring_due(&self, period: Period) -> Option<Amount> {
        self.recurring.filter(|_| period >= self.effective_from)
    }

    /// Appends the canonical encoding: business (text), levy (`u32` basis points), recurring
    /// (`Option<amount>`), effective from (period).
    pub fn encode(&self, out: &mut Encoder) {
        out.text(self.business.as_str());
        self.levy.encode(out);
        out.option(self.recurring, amount_into);
        self.effective_from.encode(out);
    }

    /// Reads what [`Agreement::encode`] wrote and checks it like any new agreement.
    pub fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let business = handle(d)?;
        let levy = BasisPoints::decode(d)?;
        let recurring = d.option(amount)?;
        let effective_from = Period::decode(d)?;
        Self::new(business, levy, recurring, effective_from).map_err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        let business = Handle::parse("boulangerie").unwrap();
        let march = Period::parse("2026-03").unwrap();
        let levy = BasisPoints::new(150).unwrap();
        let fifty = Amount::from_minor(5_000).unwrap();
        let both = Agreement::new(business.clone(), levy, Some(fifty), march).unwrap();
        assert_eq!(both.recurring_due(Period::parse("2026-02").unwrap()), None);
        assert_eq!(both.recurring_due(march), Some(fifty));
        assert_eq!(both.levy(), levy);
        assert!(Agreement::new(business.clone(), levy, None, march).is_ok());
        assert_eq!(
            Agreement::new(business.clone(), BasisPoints::ZERO, None, march),
            Err(AgreementError::NoContribution)
        );
        assert_eq!(Agreement::new(business, levy, Some(Amount::ZERO), march), Err(AgreementError::ZeroRecurring));
    }

    #[test]
    fn canonical_bytes_round_trip_and_are_checked() {
        let agreement = Agreement::new(
            Handle::parse("boulangerie").unwrap(),
            BasisPoints::new(150).unwrap(),
            Amount::from_minor(5_000),
            Period::parse("2026-03").unwrap(),
        )
        .unwrap();
        let mut out = Encoder::default();
        agreement.encode(&mut out);
        let bytes = out.finish();
        let mut d = Decoder::with_domain(&bytes, b"").unwrap();
        assert_eq!(Agreement::decode(&mut d), Ok(agreement));
        d.finish().unwrap();

        // The same terms with no levy and no recurring amount do not decode.
        let mut out = Encoder::default();
        out.text("boulangerie").u32(0).u8(0).u32(2026).u8(3);
        let bytes = out.finish();
        let error = Agreement::decode(&mut Decoder::with_domain(&bytes, b"").unwrap()).unwrap_err();
        assert!(error.0.contains("needs a levy"), "{error}");
    }
}
