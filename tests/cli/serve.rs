//! `strata serve` and `strata user`.

use crate::support::*;

#[test]
fn serve_refuses_an_address_other_than_the_loopback_without_a_users_file() {
    let (_tmp, store) = new_store();
    for bind in ["0.0.0.0:0", "[::]:0"] {
        let refused = expect(&store, &["serve", "--bind", bind], 2);
        assert!(
            refused.stderr.contains("refusing to listen"),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains("--users"), "{}", refused.stderr);
    }
}

#[test]
fn a_users_file_readable_by_others_is_refused_and_its_password_hashes_are_salted() {
    let (tmp, store) = new_store();
    let users = tmp.path().join("users.json");
    let users_arg = users.to_str().unwrap();
    for name in ["ann", "bob"] {
        let mut cmd = strata(&store);
        cmd.args([
            "user", "add", name, "--role", "reader", "--users", users_arg,
        ])
        .write_stdin("the same password\n");
        assert_eq!(run(&mut cmd).code, 0);
    }
    let text = std::fs::read_to_string(&users).unwrap();
    assert!(!text.contains("the same password"), "{text}");
    let hashes: Vec<&str> = text.matches("$argon2").collect();
    assert_eq!(hashes.len(), 2, "{text}");
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hash_of = |i: usize| {
        file["users"][i]["password_hash"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(
        hash_of(0),
        hash_of(1),
        "the same password hashed twice must differ (salt)"
    );

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = expect(
        &store,
        &["serve", "--bind", "127.0.0.1:0", "--users", users_arg],
        2,
    );
    assert!(refused.stderr.contains("users.json"), "{}", refused.stderr);
}
