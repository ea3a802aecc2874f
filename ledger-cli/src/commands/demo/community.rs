//! The sample community the demo seeds, as plain data: who its members and businesses are, the
//! commons they look after, what they pay each other, the work they declare and the rule that
//! remunerates it. Amounts are text at the demo unit's scale ([`SCALE_PLACES`]), parsed where
//! they are sent; the tests below check that every figure parses and that the story holds
//! together (each steward and contributor is a member, each decision falls to a steward).

/// The demo unit's decimal places: every amount below is written at this scale.
pub const SCALE_PLACES: u32 = 2;

/// A member of the community (a person), with the credit limit a treasurer gives it.
pub struct Member {
    /// Handle, also the name of its key file.
    pub handle: &'static str,
    /// Display name.
    pub name: &'static str,
    /// How far below zero it may go.
    pub credit_limit: &'static str,
}

/// A business with its agreement with the chamber.
pub struct Business {
    /// Handle, also the name of its key file.
    pub handle: &'static str,
    /// Display name.
    pub name: &'static str,
    /// How far below zero it may go (contributions come out of its balance).
    pub credit_limit: &'static str,
    /// Levy on every payment it receives, in percent.
    pub levy_percent: &'static str,
    /// Recurring contribution per period, if any.
    pub recurring: Option<&'static str>,
}

/// A commons of the registry.
pub struct CommonsEntry {
    /// Registry name.
    pub name: &'static str,
    /// Sort of commons.
    pub kind: &'static str,
    /// What it is.
    pub description: &'static str,
    /// How it may be used.
    pub rules_of_use: &'static str,
    /// Its stewards, members of the community.
    pub stewards: &'static [&'static str],
}

/// A transfer between two accounts: a payment signed by the payer, or a request signed by the
/// payee and accepted by the payer.
pub struct Exchange {
    /// Who pays.
    pub payer: &'static str,
    /// Who receives.
    pub payee: &'static str,
    /// How much.
    pub amount: &'static str,
    /// Why.
    pub memo: &'static str,
}

/// A one-off contribution a business gives the fund.
pub struct Gift {
    /// The business.
    pub business: &'static str,
    /// How much.
    pub amount: &'static str,
    /// Why.
    pub memo: &'static str,
}

/// What a steward decides about a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The work counts.
    Validate,
    /// It does not (here: the same work declared twice).
    Refuse,
}

/// Work a member declares for a commons in the demo's period, and the decision of one of that
/// commons' stewards.
pub struct Work {
    /// Who did the work.
    pub contributor: &'static str,
    /// For which commons.
    pub commons: &'static str,
    /// Its category, which the rule weighs.
    pub category: &'static str,
    /// How many hours.
    pub hours: &'static str,
    /// The contributor's note.
    pub note: &'static str,
    /// The steward who decides.
    pub steward: &'static str,
    /// What the steward decides.
    pub verdict: Verdict,
}

/// The remuneration rule the treasurer proposes, for the demo unit from the demo's period.
pub struct RuleText {
    /// Percent of the fund's balance shared each period.
    pub pool_share: &'static str,
    /// Percent of the fund's balance always kept.
    pub reserve_share: &'static str,
    /// The most one hour of work earns.
    pub cap_per_unit: &'static str,
    /// The most one contributor receives.
    pub cap_per_contributor: &'static str,
    /// Below it, nothing is paid.
    pub minimum_payout: &'static str,
    /// Category and weight: what an hour earns in each, relatively.
    pub weights: &'static [(&'static str, &'static str)],
}

/// The members, in handle order.
pub const MEMBERS: &[Member] = &[
    Member { handle: "amina", name: "Amina Diallo", credit_limit: "200.00" },
    Member { handle: "bruno", name: "Bruno Marchetti", credit_limit: "200.00" },
    Member { handle: "chloe", name: "Chloé Bernard", credit_limit: "150.00" },
    Member { handle: "driss", name: "Driss Haddad", credit_limit: "150.00" },
    Member { handle: "elise", name: "Élise Moreau", credit_limit: "100.00" },
];

/// The businesses, in handle order: one levies and pays a recurring amount, the other only
/// levies.
pub const BUSINESSES: &[Business] = &[
    Business {
        handle: "boulangerie",
        name: "Boulangerie du Marché",
        credit_limit: "100.00",
        levy_percent: "2",
        recurring: Some("15.00"),
    },
    Business {
        handle: "cafe", name: "Café de la Place", credit_limit: "100.00", levy_percent: "1.5", recurring: None
    },
];

/// The four commons.
pub const COMMONS: &[CommonsEntry] = &[
    CommonsEntry {
        name: "jardin-des-lilas",
        kind: "garden",
        description: "Le jardin des Lilas, the shared garden behind the school: raised beds, a greenhouse, a tool shed.",
        rules_of_use: "Beds are shared by season; harvest what you tended; tools go back to the shed.",
        stewards: &["amina"],
    },
    CommonsEntry {
        name: "la-fabrique",
        kind: "third-place",
        description: "La Fabrique, the neighbourhood's third place: a workshop, a kitchen and a meeting room.",
        rules_of_use: "Open to every member; book the room a day ahead; leave the kitchen as you found it.",
        stewards: &["amina", "bruno"],
    },
    CommonsEntry {
        name: "logiciel-libre",
        kind: "software",
        description: "The free software the community runs: this ledger and the neighbourhood's website.",
        rules_of_use: "Code under the AGPL; every change reviewed by another contributor before release.",
        stewards: &["chloe"],
    },
    CommonsEntry {
        name: "reseau-wifi",
        kind: "isp",
        description: "The community ISP: rooftop antennas sharing one fibre uplink across the neighbourhood.",
        rules_of_use: "Fair use for every household; no resale; report outages on the board at La Fabrique.",
        stewards: &["driss"],
    },
];

/// Payments, in the order they are made: between members, to both businesses (so levies reach
/// the fund) and from one business to the other.
pub const PAYMENTS: &[Exchange] = &[
    Exchange { payer: "amina", payee: "bruno", amount: "25.00", memo: "bicycle repair" },
    Exchange { payer: "chloe", payee: "cafe", amount: "12.40", memo: "lunch" },
    Exchange { payer: "bruno", payee: "boulangerie", amount: "18.75", memo: "bread for the week" },
    Exchange { payer: "driss", payee: "boulangerie", amount: "42.00", memo: "birthday cake" },
    Exchange { payer: "elise", payee: "amina", amount: "15.00", memo: "seedlings" },
    Exchange { payer: "amina", payee: "cafe", amount: "8.60", memo: "coffees after the assembly" },
    Exchange { payer: "cafe", payee: "boulangerie", amount: "30.00", memo: "pastries for the café" },
];

/// A request the payee sends and the payer accepts.
pub const REQUEST: Exchange =
    Exchange { payer: "elise", payee: "boulangerie", amount: "22.50", memo: "bread for the garden party" };

/// A one-off contribution.
pub const GIFT: Gift = Gift { business: "cafe", amount: "10.00", memo: "for the garden's new greenhouse" };

/// The work declared, each decided by a steward of its commons; the last is the same work sent
/// twice, which its steward refuses.
pub const WORK: &[Work] = &[
    Work {
        contributor: "bruno",
        commons: "jardin-des-lilas",
        category: "gardening",
        hours: "6",
        note: "dug the spring beds",
        steward: "amina",
        verdict: Verdict::Validate,
    },
    Work {
        contributor: "elise",
        commons: "jardin-des-lilas",
        category: "gardening",
        hours: "3.5",
        note: "watering rota",
        steward: "amina",
        verdict: Verdict::Validate,
    },
    Work {
        contributor: "amina",
        commons: "la-fabrique",
        category: "facilitation",
        hours: "2",
        note: "facilitated the assembly",
        steward: "bruno",
        verdict: Verdict::Validate,
    },
    Work {
        contributor: "driss",
        commons: "logiciel-libre",
        category: "development",
        hours: "5",
        note: "statement export as CSV",
        steward: "chloe",
        verdict: Verdict::Validate,
    },
    Work {
        contributor: "chloe",
        commons: "reseau-wifi",
        category: "maintenance",
        hours: "4",
        note: "realigned the north antenna",
        steward: "driss",
        verdict: Verdict::Validate,
    },
    Work {
        contributor: "elise",
        commons: "jardin-des-lilas",
        category: "gardening",
        hours: "3.5",
        note: "watering rota (sent twice)",
        steward: "amina",
        verdict: Verdict::Refuse,
    },
];

/// The rule: a share of the fund each period, a reserve kept, caps, and a weight for every
/// category of [`WORK`].
pub const RULE: RuleText = RuleText {
    pool_share: "60",
    reserve_share: "10",
    cap_per_unit: "5.00",
    cap_per_contributor: "20.00",
    minimum_payout: "0.50",
    weights: &[("development", "1.5"), ("facilitation", "1.5"), ("gardening", "1"), ("maintenance", "1.2")],
};

/// Every handle of the demo's accounts: members, then businesses.
pub fn handles() -> impl Iterator<Item = &'static str> {
    MEMBERS.iter().map(|m| m.handle).chain(BUSINESSES.iter().map(|b| b.handle))
}

/// The members who steward at least one commons, in handle order: they get the steward role.
pub fn stewards() -> Vec<&'static str> {
    let mut stewards: Vec<&'static str> = COMMONS.iter().flat_map(|c| c.stewards.iter().copied()).collect();
    stewards.sort_unstable();
    stewards.dedup();
    stewards
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ledger_core::amount::{Amount, Scale};
    use ledger_core::chamber::{
        BasisPoints, Category, CommonsKind, CommonsName, Description, Note, Period, Quantity, Rule, RuleTerms,
        RulesOfUse, Stewards, Weight,
    };
    use ledger_core::names::{DisplayName, Handle, Memo};

    use super::*;

    fn scale() -> Scale {
        Scale::new(SCALE_PLACES).unwrap()
    }

    fn is_member(handle: &str) -> bool {
        MEMBERS.iter().any(|m| m.handle == handle)
    }

    fn is_account(handle: &str) -> bool {
        handles().any(|h| h == handle)
    }

    #[test]
    fn every_name_and_figure_parses() {
        for handle in handles() {
            Handle::parse(handle).unwrap();
        }
        for member in MEMBERS {
            DisplayName::parse(member.name).unwrap();
            Amount::parse(member.credit_limit, scale()).unwrap();
        }
        for business in BUSINESSES {
            DisplayName::parse(business.name).unwrap();
            Amount::parse(business.credit_limit, scale()).unwrap();
            BasisPoints::parse_percent(business.levy_percent).unwrap();
            business.recurring.map(|r| Amount::parse_positive(r, scale()).unwrap());
        }
        for commons in COMMONS {
            CommonsName::parse(commons.name).unwrap();
            CommonsKind::parse(commons.kind).unwrap();
            Description::parse(commons.description).unwrap();
            RulesOfUse::parse(commons.rules_of_use).unwrap();
            Stewards::new(commons.stewards.iter().map(|s| Handle::parse(s).unwrap())).unwrap();
        }
        for exchange in PAYMENTS.iter().chain([&REQUEST]) {
            Amount::parse_positive(exchange.amount, scale()).unwrap();
            Memo::parse(exchange.memo).unwrap();
        }
        Amount::parse_positive(GIFT.amount, scale()).unwrap();
        Memo::parse(GIFT.memo).unwrap();
        for work in WORK {
            Category::parse(work.category).unwrap();
            Quantity::parse(work.hours).unwrap();
            Note::parse(work.note).unwrap();
        }
    }

    #[test]
    fn the_rule_is_consistent() {
        let weights: BTreeMap<Category, Weight> = RULE
            .weights
            .iter()
            .map(|(category, weight)| (Category::parse(category).unwrap(), Weight::parse(weight).unwrap()))
            .collect();
        assert_eq!(weights.len(), RULE.weights.len(), "each category weighed once");
        let amount = |text| Some(Amount::parse_positive(text, scale()).unwrap());
        Rule::new(RuleTerms {
            effective_from: Period::parse("2026-11").unwrap(),
            pool_share: BasisPoints::parse_percent(RULE.pool_share).unwrap(),
            pool_fixed: None,
            reserve_share: BasisPoints::parse_percent(RULE.reserve_share).unwrap(),
            weights,
            cap_per_unit: amount(RULE.cap_per_unit),
            cap_per_contributor: amount(RULE.cap_per_contributor),
            minimum_payout: amount(RULE.minimum_payout),
        })
        .unwrap();
    }

    #[test]
    fn the_story_holds_together() {
        let mut all: Vec<&str> = handles().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), MEMBERS.len() + BUSINESSES.len(), "handles are unique");
        assert!((4..=6).contains(&MEMBERS.len()));
        assert!(COMMONS.iter().all(|c| c.stewards.iter().all(|s| is_member(s))));
        for exchange in PAYMENTS.iter().chain([&REQUEST]) {
            assert!(is_account(exchange.payer) && is_account(exchange.payee), "{}", exchange.memo);
        }
        assert!(BUSINESSES.iter().any(|b| b.handle == GIFT.business));
        assert!(BUSINESSES.iter().any(|b| b.recurring.is_some()), "one business has a recurring contribution");
        for work in WORK {
            let commons = COMMONS.iter().find(|c| c.name == work.commons).expect("a commons of the registry");
            assert!(commons.stewards.contains(&work.steward), "{} decides for {}", work.steward, work.commons);
            assert_ne!(work.steward, work.contributor, "nobody decides on their own work");
            assert!(RULE.weights.iter().any(|(c, _)| *c == work.category), "{} is weighed", work.category);
        }
        assert!(WORK.iter().any(|w| w.verdict == Verdict::Refuse));
        assert!(WORK.iter().any(|w| w.verdict == Verdict::Validate));
        let stewards = stewards();
        assert!(stewards.windows(2).all(|pair| pair[0] < pair[1]), "each steward once, in order");
        assert!(COMMONS.iter().flat_map(|c| c.stewards.iter()).all(|s| stewards.contains(s)));
    }
}
