//! Who may sign and read what.

use ledger_tests::{Backend, Ledgerd, on_both_backends};

fn a_payment_signed_with_another_members_key_is_refused(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    ledger.open_member("alice", "COMMUN", "100");
    let bob = ledger.open_member("bob", "COMMUN", "100");
    let refused = ledger.ctl(&bob, &["pay", "alice", "bob", "30"]).refused("NOT_AUTHORISED");
    assert_eq!(refused["error"]["code"], "PERMISSION_DENIED");
    assert_eq!(ledger.balance("alice"), "0.00");
}

fn an_unknown_key_is_refused_for_writes_and_reads(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    let (stranger, _) = ledger.new_key("stranger");
    let refused = ledger.ctl(&stranger, &["pay", "alice", "bob", "30"]);
    // The payment needs the payer's account to parse the amount: even that read is refused.
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.json()["error"]["code"], "UNAUTHENTICATED", "{refused:?}");
    let read = ledger.ctl(&stranger, &["balance", "alice"]);
    assert_eq!(read.json()["error"]["code"], "UNAUTHENTICATED", "{read:?}");
    assert_eq!(ledger.balance("alice"), "0.00");
}

fn a_member_reads_its_own_history_but_not_another_members(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.open_member("bob", "COMMUN", "100");
    ledger.ctl(&alice, &["history", "alice"]).ok_json();
    let refused = ledger.ctl(&alice, &["history", "bob"]).refused("NOT_AUTHORISED");
    assert_eq!(refused["error"]["code"], "PERMISSION_DENIED");
    let refused = ledger.ctl(&alice, &["balance", "bob"]).refused("NOT_AUTHORISED");
    assert_eq!(refused["error"]["code"], "PERMISSION_DENIED");
    let refused = ledger.ctl(&alice, &["audit", "trial-balance"]);
    assert_eq!(refused.json()["error"]["code"], "PERMISSION_DENIED", "{refused:?}");
}

fn only_an_admin_creates_units_and_only_a_treasurer_opens_accounts(backend: Backend) {
    let ledger = Ledgerd::start_fresh_on(backend);
    ledger.create_unit("COMMUN", 2);
    let alice = ledger.open_member("alice", "COMMUN", "100");
    ledger.ctl(&alice, &["unit", "create", "HOUR", "--scale", "0"]).refused("NOT_AUTHORISED");
    let (_, public) = ledger.new_key("carol");
    ledger
        .ctl(&alice, &["account", "open", "carol", "--unit", "COMMUN", "--public-key", &public])
        .refused("NOT_AUTHORISED");
    // Once granted the treasurer role, alice may.
    ledger.admin(&["role", "grant", "alice", "treasurer"]).ok_json();
    ledger.ctl(&alice, &["account", "open", "carol", "--unit", "COMMUN", "--public-key", &public]).ok_json();
    ledger.ctl(&alice, &["balance", "bob"]).refused("ACCOUNT_NOT_FOUND");
}

on_both_backends!(
    a_payment_signed_with_another_members_key_is_refused,
    an_unknown_key_is_refused_for_writes_and_reads,
    a_member_reads_its_own_history_but_not_another_members,
    only_an_admin_creates_units_and_only_a_treasurer_opens_accounts,
);
