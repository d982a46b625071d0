//! The naming rules of datasets, tables and actors, as the store applies them: control
//! characters, surrounding whitespace and overlong names refused before anything is written,
//! names compared in Unicode NFC.

mod common;

use common::*;
use strata::schema::SchemaDriftPolicy;
use strata::store::names::MAX_NAME_CHARS;
use strata::{Error, UploadRequest};

fn refused_writing_nothing(store: &strata::Store, request: UploadRequest) -> String {
    let before = store.log().last_seq();
    let error = store.save_upload(request).unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(store.log().last_seq(), before, "nothing is recorded");
    error.to_string()
}

#[test]
fn a_dataset_name_with_a_control_character_is_refused_and_the_message_escapes_it() {
    let (_dir, store) = new_store();
    let message = refused_writing_nothing(&store, upload("fake\n#9 rollback", &[("t.csv", SMALL)]));
    assert!(message.contains("fake\\n#9 rollback"), "{message}");
    assert!(!message.contains('\n'), "{message:?}");
    let message = refused_writing_nothing(&store, upload("a\u{1b}[2Kb", &[("t.csv", SMALL)]));
    assert!(message.contains("\\u{1b}"), "{message}");
    assert_eq!(store.catalog().datasets().count(), 0);
}

#[test]
fn an_actor_with_a_control_character_or_surrounding_spaces_is_refused() {
    let (_dir, store) = new_store();
    let mut request = upload("d", &[("t.csv", SMALL)]);
    request.actor = "root\r\n".into();
    refused_writing_nothing(&store, request);
    let mut request = upload("d", &[("t.csv", SMALL)]);
    request.actor = " ana".into();
    refused_writing_nothing(&store, request);
    store.save_upload(upload("d", &[("t.csv", SMALL)])).unwrap();
    store
        .save_upload(overwrite(
            "d",
            &[("t.csv", SMALL_MORE_ROWS)],
            SchemaDriftPolicy::Reject,
        ))
        .unwrap();
    let before = store.log().last_seq();
    let error = store
        .rollback_to_version("d", "1", "bo\u{7}", "bad export")
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");
    assert_eq!(
        store.log().last_seq(),
        before,
        "the rollback recorded nothing"
    );
}

#[test]
fn dataset_names_with_surrounding_whitespace_or_beyond_the_length_bound_are_refused() {
    let (_dir, store) = new_store();
    refused_writing_nothing(&store, upload("trial-42 ", &[("t.csv", SMALL)]));
    refused_writing_nothing(&store, upload("\u{a0}trial-42", &[("t.csv", SMALL)]));
    let long = "x".repeat(MAX_NAME_CHARS + 1);
    refused_writing_nothing(&store, upload(&long, &[("t.csv", SMALL)]));
    let longest = "x".repeat(MAX_NAME_CHARS);
    store
        .save_upload(upload(&longest, &[("t.csv", SMALL)]))
        .unwrap();
}

#[test]
fn a_name_in_nfc_and_in_nfd_is_one_dataset() {
    let (_dir, store) = new_store();
    let created = store
        .save_upload(upload("caf\u{e9}", &[("t.csv", SMALL)]))
        .unwrap();
    let decomposed = "cafe\u{301}";
    let again = store.save_upload(upload(decomposed, &[("t.csv", SMALL)]));
    assert!(
        matches!(&again, Err(Error::DatasetExists { dataset }) if dataset == "caf\u{e9}"),
        "{again:?}"
    );
    assert_eq!(
        store.get_active_version(decomposed).unwrap().dataset_id,
        created.dataset_id
    );
    // Created under the decomposed spelling, a name is stored in NFC.
    let other = store
        .save_upload(upload(
            "re\u{301}sume\u{301}",
            &[("t.csv", SMALL_MORE_ROWS)],
        ))
        .unwrap();
    assert_eq!(other.dataset, "r\u{e9}sum\u{e9}");
}

#[test]
fn an_overwrite_of_an_unknown_name_is_refused_naming_the_closest_datasets() {
    let (_dir, store) = new_store();
    store
        .save_upload(upload("trial-42", &[("t.csv", SMALL)]))
        .unwrap();
    store
        .save_upload(upload("trial-43", &[("t.csv", SMALL_MORE_ROWS)]))
        .unwrap();
    store
        .save_upload(upload("penguins", &[("t.csv", SMALL_PLUS_COLUMN)]))
        .unwrap();
    let before = store.log().last_seq();
    let typo = overwrite(
        "trail-42",
        &[("t.csv", SMALL_BREAKING)],
        SchemaDriftPolicy::Reject,
    );
    let error = store.save_upload(typo).unwrap_err();
    match &error {
        Error::OverwriteOfUnknownDataset { dataset, closest } => {
            assert_eq!(dataset, "trail-42");
            assert_eq!(closest, &["trial-42", "trial-43"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.kind(), strata::ErrorKind::NotFound);
    assert!(
        error
            .to_string()
            .contains("no dataset named `trail-42` to overwrite (the closest existing names: `trial-42`, `trial-43`)"),
        "{error}"
    );
    assert_eq!(store.log().last_seq(), before, "nothing is recorded");
    // Allowed to create, the same overwrite creates the dataset.
    let create = UploadRequest {
        create: true,
        ..overwrite(
            "trail-42",
            &[("t.csv", SMALL_BREAKING)],
            SchemaDriftPolicy::Reject,
        )
    };
    let created = store.save_upload(create).unwrap();
    assert_eq!((created.dataset.as_str(), created.version), ("trail-42", 1));
}
