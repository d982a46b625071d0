//! The drift policy a store holds (issue: accountability): set by a recorded `policy_set`
//! event with a reason, store-wide or per dataset; uploads that name no policy are decided by
//! it, a weaker one needs a reason recorded as the override; rollbacks, and uploads that make
//! an earlier version active again (recorded as rollbacks), need a reason.

mod common;

use common::{new_store, options, upload, SMALL, SMALL_BREAKING, SMALL_MORE_ROWS};
use strata::schema::{DriftRule, SchemaDriftPolicy, WideningRule};
use strata::store::{EventKind, PolicyScope, PolicySource, UploadStatus};
use strata::{Error, ReasonFor, Store, UploadRequest};

fn rule(policy: SchemaDriftPolicy) -> DriftRule {
    DriftRule::DEFAULT.with(Some(policy), None)
}

fn overwrite_with(bytes: &[u8]) -> UploadRequest {
    UploadRequest {
        overwrite: true,
        ..upload("d", &[("t.csv", bytes)])
    }
}

#[test]
fn a_policy_set_by_an_event_is_in_force_after_replay_and_from_a_snapshot() {
    let (dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    assert_eq!(
        store.policy(PolicyScope::Store).unwrap().in_force.source,
        PolicySource::Default
    );
    let set = store
        .set_policy(
            PolicyScope::Store,
            rule(SchemaDriftPolicy::Warn),
            "ana",
            "lab rule",
        )
        .unwrap();
    let store_seq = set.seq.expect("recorded");
    assert_eq!(set.previous, None);
    let strict = DriftRule::DEFAULT.with(None, Some(WideningRule::Breaking));
    let dataset_seq = store
        .set_policy(PolicyScope::Dataset("d"), strict, "bo", "typed exports")
        .unwrap()
        .seq
        .unwrap();
    let check = |store: &Store| {
        let shown = store.policy(PolicyScope::Dataset("d")).unwrap();
        assert_eq!(shown.in_force.rule, strict);
        assert_eq!(
            shown.in_force.source,
            PolicySource::Dataset { seq: dataset_seq }
        );
        let by = shown.set_by.unwrap();
        assert_eq!(
            (by.actor.as_str(), by.reason.as_str()),
            ("bo", "typed exports")
        );
        let store_wide = store.policy(PolicyScope::Store).unwrap();
        assert_eq!(store_wide.in_force.rule, rule(SchemaDriftPolicy::Warn));
        assert_eq!(
            store_wide.in_force.source,
            PolicySource::Store { seq: store_seq }
        );
    };
    check(&store);
    drop(store);
    let replayed = Store::open(dir.path(), options()).unwrap();
    check(&replayed);
    replayed.take_snapshot().unwrap();
    drop(replayed);
    let from_snapshot = Store::open(dir.path(), options()).unwrap();
    assert!(from_snapshot.loaded_snapshot().is_some());
    check(&from_snapshot);
    // The snapshot's rules are the log's: a replay of the log alone finds no difference.
    let (_, differences) = from_snapshot.check_snapshot().unwrap().unwrap();
    assert_eq!(differences, Vec::<String>::new());
    from_snapshot.assert_invariants(false).unwrap();
}

#[test]
fn setting_a_policy_needs_a_reason_and_the_same_rule_twice_records_nothing() {
    let (_dir, store) = new_store();
    let before = store.log().last_seq();
    let err = store
        .set_policy(
            PolicyScope::Store,
            rule(SchemaDriftPolicy::Allow),
            "ana",
            "  ",
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ReasonRequired {
                operation: ReasonFor::PolicySet,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.log().last_seq(), before, "nothing recorded");
    let reject = DriftRule::DEFAULT;
    assert!(store
        .set_policy(PolicyScope::Store, reject, "ana", "gcp")
        .unwrap()
        .seq
        .is_some());
    let again = store
        .set_policy(PolicyScope::Store, reject, "ana", "")
        .unwrap();
    assert_eq!((again.seq, again.previous), (None, Some(reject)));
    let unknown = store
        .set_policy(PolicyScope::Dataset("nope"), reject, "ana", "why")
        .unwrap_err();
    assert!(matches!(unknown, Error::UnknownDataset { .. }), "{unknown}");
}

#[test]
fn an_upload_that_names_no_policy_is_decided_and_recorded_under_the_one_in_force() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .set_policy(
            PolicyScope::Store,
            rule(SchemaDriftPolicy::Warn),
            "ana",
            "exploratory",
        )
        .unwrap();
    // Breaking drift, no policy named: the store's `warn` accepts it with warnings.
    let out = store.save_upload(overwrite_with(SMALL_BREAKING)).unwrap();
    assert_eq!(out.status, UploadStatus::NewVersion);
    assert!(!out.warnings.is_empty());
    let event = store.read_event(out.seq.unwrap()).unwrap();
    let EventKind::UploadCreated {
        policy,
        override_reason,
        ..
    } = event.kind
    else {
        panic!("{event:?}")
    };
    assert_eq!((policy, override_reason), (SchemaDriftPolicy::Warn, None));
    // The dataset's own `reject` wins over the store's `warn`.
    store
        .set_policy(
            PolicyScope::Dataset("d"),
            DriftRule::DEFAULT,
            "ana",
            "locked",
        )
        .unwrap();
    // A column removed from the active version: breaking.
    let refused = store
        .save_upload(overwrite_with(b"id,name\n9,z\n"))
        .unwrap_err();
    assert!(matches!(refused, Error::DriftRefused { .. }), "{refused}");
}

#[test]
fn a_weaker_policy_than_the_one_set_is_refused_without_a_reason_and_recorded_with_one() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .set_policy(PolicyScope::Store, DriftRule::DEFAULT, "ana", "GCP")
        .unwrap();
    let before = store.log().last_seq();
    let allow = UploadRequest {
        drift_policy: Some(SchemaDriftPolicy::Allow),
        ..overwrite_with(SMALL_BREAKING)
    };
    let err = store.save_upload(allow).unwrap_err();
    let Error::PolicyWeakened {
        requested,
        in_force,
        source_of_rule,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (*requested, *in_force),
        (rule(SchemaDriftPolicy::Allow), DriftRule::DEFAULT)
    );
    assert!(
        source_of_rule.contains("the store's policy"),
        "{source_of_rule}"
    );
    assert_eq!(err.kind(), strata::ErrorKind::Refused);
    assert_eq!(
        store.log().last_seq(),
        before,
        "nothing recorded, not even a refusal"
    );
    // Even new content without drift: the weaker rule is refused at once.
    let quiet = UploadRequest {
        drift_policy: Some(SchemaDriftPolicy::Warn),
        ..overwrite_with(SMALL_MORE_ROWS)
    };
    assert!(matches!(
        store.save_upload(quiet),
        Err(Error::PolicyWeakened { .. })
    ));
    let with_reason = UploadRequest {
        drift_policy: Some(SchemaDriftPolicy::Allow),
        policy_reason: Some("site column retired by the sponsor".into()),
        ..overwrite_with(SMALL_BREAKING)
    };
    let out = store.save_upload(with_reason).unwrap();
    assert_eq!(
        out.override_reason.as_deref(),
        Some("site column retired by the sponsor")
    );
    let event = store.read_event(out.seq.unwrap()).unwrap();
    let EventKind::UploadCreated {
        policy,
        override_reason,
        ..
    } = event.kind
    else {
        panic!("{event:?}")
    };
    assert_eq!(policy, SchemaDriftPolicy::Allow);
    assert_eq!(
        override_reason.as_deref(),
        Some("site column retired by the sponsor")
    );
}

#[test]
fn with_no_policy_set_an_upload_chooses_its_own_as_before() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    let allow = UploadRequest {
        drift_policy: Some(SchemaDriftPolicy::Allow),
        ..overwrite_with(SMALL_BREAKING)
    };
    let out = store.save_upload(allow).unwrap();
    assert_eq!(
        (out.status, out.override_reason),
        (UploadStatus::NewVersion, None)
    );
}

#[test]
fn a_rollback_needs_a_reason_and_without_one_records_nothing() {
    let (_dir, store) = new_store();
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store.save_upload(overwrite_with(SMALL_MORE_ROWS)).unwrap();
    let before = store.log().last_seq();
    let err = store.rollback_to_version("d", "1", "ana", " ").unwrap_err();
    assert!(
        matches!(&err, Error::ReasonRequired { operation: ReasonFor::Rollback, action }
            if action.contains("from version 2 to version 1")),
        "{err}"
    );
    assert_eq!(err.kind(), strata::ErrorKind::Invalid);
    assert_eq!(store.log().last_seq(), before);
    assert_eq!(store.catalog().get("d").unwrap().active, 2);
    // To the active version: nothing to explain, nothing recorded.
    assert_eq!(
        store.rollback_to_version("d", "2", "ana", "").unwrap().seq,
        None
    );
}

#[test]
fn an_upload_of_an_earlier_versions_content_is_a_rollback_with_its_warnings_and_reason() {
    let (_dir, store) = new_store();
    let two_tables = [("t.csv", SMALL), ("sites.csv", &b"site\nx\n"[..])];
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(UploadRequest {
            overwrite: true,
            ..upload("d", &two_tables)
        })
        .unwrap();
    let before = store.log().last_seq();
    // Version 1's content again, without a reason: refused, nothing recorded.
    let no_note = UploadRequest {
        note: String::new(),
        ..overwrite_with(SMALL)
    };
    let err = store.save_upload(no_note).unwrap_err();
    assert!(
        matches!(&err, Error::ReasonRequired { operation: ReasonFor::Reactivation, action }
            if action.contains("version 1") && action.contains("from version 2")),
        "{err}"
    );
    assert_eq!(store.log().last_seq(), before);
    let out = store
        .save_upload(UploadRequest {
            note: "the sites table was a mistake".into(),
            ..overwrite_with(SMALL)
        })
        .unwrap();
    assert_eq!((out.status, out.version), (UploadStatus::Reactivated, 1));
    let lost = "table `sites` does not exist in version 1";
    assert!(
        out.warnings.iter().any(|w| w.contains(lost)),
        "{:?}",
        out.warnings
    );
    let event = store.read_event(out.seq.unwrap()).unwrap();
    assert_eq!(event.note, "the sites table was a mistake");
    let EventKind::Rollback { from, to, warnings } = event.kind else {
        panic!("recorded as a rollback: {event:?}")
    };
    assert_eq!((from, to), (2, 1));
    assert!(warnings.iter().any(|w| w.contains(lost)), "{warnings:?}");
}

#[test]
fn replay_refuses_a_policy_set_whose_previous_rule_is_not_the_one_set() {
    use strata::store::{Catalog, EventHead, KindHead};
    let mut catalog = Catalog::default();
    let head = |previous| EventHead {
        event_id: uuid::Uuid::from_u128(1),
        timestamp_micros: 5,
        dataset_id: uuid::Uuid::nil(),
        kind: KindHead::PolicySet {
            rule: rule(SchemaDriftPolicy::Warn),
            previous,
        },
    };
    let err = catalog
        .apply(3, &head(Some(DriftRule::DEFAULT)))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invariant { seq: Some(3), detail } if detail.contains("policy_set") && detail.contains("none")),
        "{err}"
    );
    catalog.apply(3, &head(None)).unwrap();
    assert_eq!(
        catalog.store_policy().unwrap().rule,
        rule(SchemaDriftPolicy::Warn)
    );
    // For a dataset the catalog does not have: refused too.
    let orphan = EventHead {
        dataset_id: uuid::Uuid::from_u128(9),
        ..head(None)
    };
    assert!(matches!(
        catalog.apply(4, &orphan),
        Err(Error::Invariant { seq: Some(4), .. })
    ));
}
