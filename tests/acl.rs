//! ACL: users and every kind of rule, AUTH and HELLO AUTH, the checks of
//! commands, keys and channels (also inside MULTI and for SORT), the ACL
//! LOG, DRYRUN, pub/sub subscribers losing a channel, deleting users, the
//! ACL file (SAVE, LOAD, a bad file), `user` lines and CONFIG REWRITE,
//! `requirepass`, the protected DEBUG/MODULE/config settings, and a
//! replica logging in to its primary with `masteruser`. Every
//! test passes against redis-server 7.0.15 too
//! (`REDDISH_TEST_SERVER=$(command -v redis-server) cargo test --test acl`);
//! the order of single commands in a user's description differs between
//! Redis processes (Redis walks a randomly seeded hash table), so tests
//! only compare descriptions where that order cannot show.

mod common;

use common::start::run_server;
use common::{
    against_real_redis, bulk_text, bulks, client_field, err, info_field, int, items, nil, ok,
    server_binary, spawn_in, texts, Frame, Raw, TestServer,
};
use std::collections::HashMap;
use std::time::Duration;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
const NOPERM_KEYS: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
const NOPERM_CHANNELS: &str =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

fn noperm_command(name: &str) -> Frame {
    err(&format!(
        "NOPERM this user has no permissions to run the '{}' command",
        name
    ))
}

/// `ACL ...`.
fn acl(r: &mut Raw, args: &[&str]) -> Frame {
    let mut line = vec!["ACL"];
    line.extend_from_slice(args);
    r.cmd(&line)
}

/// `ACL SETUSER name rules...` (the rules separated by spaces: a selector
/// split into words is joined again, as Redis joins it), which must
/// succeed.
fn setuser(r: &mut Raw, name: &str, rules: &str) {
    let mut line = vec!["SETUSER", name];
    line.extend(rules.split_whitespace());
    assert_eq!(acl(r, &line), ok(), "ACL SETUSER {} {}", name, rules);
}

/// A new connection authenticated as `user` (password `pw`).
fn login(server: &TestServer, user: &str, pw: &str) -> Raw {
    let mut r = server.raw();
    assert_eq!(r.cmd(&["AUTH", user, pw]), ok());
    r
}

/// The fields of ACL GETUSER (RESP2: an array of name/value pairs).
fn getuser(r: &mut Raw, name: &str) -> HashMap<String, Frame> {
    let reply = items(acl(r, &["GETUSER", name]));
    reply
        .chunks(2)
        .map(|pair| (pair[0].as_text(), pair[1].clone()))
        .collect()
}

/// The `commands` (or another text field) of ACL GETUSER.
fn user_field(r: &mut Raw, name: &str, field: &str) -> String {
    bulk_text(&getuser(r, name)[field])
}

/// The ACL LIST line of one user.
fn list_line(r: &mut Raw, name: &str) -> String {
    let prefix = format!("user {} ", name);
    texts(acl(r, &["LIST"]))
        .into_iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no user {} in ACL LIST", name))
}

/// The newest ACL LOG entry as field -> text.
fn last_log_entry(r: &mut Raw) -> HashMap<String, String> {
    let entries = items(acl(r, &["LOG", "1"]));
    let entry = items(entries.into_iter().next().expect("an ACL LOG entry"));
    entry
        .chunks(2)
        .map(|pair| (pair[0].as_text(), pair[1].as_text()))
        .collect()
}

#[test]
fn the_default_user_allows_everything_without_a_password() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(acl(&mut r, &["WHOAMI"]), Frame::bulk("default"));
    assert_eq!(
        acl(&mut r, &["LIST"]),
        bulks(&["user default on nopass ~* &* +@all"])
    );
    assert_eq!(acl(&mut r, &["USERS"]), bulks(&["default"]));
    let user = getuser(&mut r, "default");
    assert_eq!(user["flags"], bulks(&["on", "nopass"]));
    assert_eq!(user["passwords"], bulks(&[]));
    assert_eq!(bulk_text(&user["commands"]), "+@all");
    assert_eq!(bulk_text(&user["keys"]), "~*");
    assert_eq!(bulk_text(&user["channels"]), "&*");
    assert_eq!(user["selectors"], bulks(&[]));
    assert_eq!(acl(&mut r, &["GETUSER", "nobody"]), nil());
    assert_eq!(
        r.cmd(&["AUTH", "pw"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(
        client_field(&common::client_info(&mut r), "user"),
        "default"
    );
}

#[test]
fn rule_errors_name_the_rule_as_redis_does() {
    let server = TestServer::start();
    let mut r = server.raw();
    let syntax = "Syntax error";
    let unknown = "Unknown command or category name in ACL";
    let cases: &[(&[&str], &str)] = &[
        (&["bad"], syntax),
        (&["~a b"], syntax),
        (&["%X~a"], syntax),
        (&["%~a"], syntax),
        (&["%RR~a"], syntax),
        (&["+debug|"], syntax),
        (&["(on)"], syntax),
        (&["+nocmd"], unknown),
        (&["+@nocat"], unknown),
        (&["-select|0"], unknown),
        (&["+get|a|b"], unknown),
        (&["+config|nosub"], unknown),
        (&["<nope"], "The password you are trying to remove from the user does not exist"),
        (&["#abc"], "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"),
        (&["allkeys", "~a"], "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"),
        (&["allchannels", "&a"], "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"),
        (&["+config|get|x"], "Allowing first-arg of a subcommand is not supported"),
    ];
    for (rules, why) in cases {
        let mut line = vec!["SETUSER", "u"];
        line.extend_from_slice(rules);
        let last = rules.last().copied().unwrap_or_default();
        assert_eq!(
            acl(&mut r, &line),
            err(&format!(
                "ERR Error in ACL SETUSER modifier '{}': {}",
                last, why
            )),
            "{:?}",
            rules
        );
    }
    // Nothing was applied: the user was never created.
    assert_eq!(acl(&mut r, &["GETUSER", "u"]), nil());
    assert_eq!(
        acl(&mut r, &["SETUSER", "u", "on", "(~a", "+get"]),
        err("ERR Unmatched parenthesis in acl selector starting at '(~a'.")
    );
    assert_eq!(
        acl(&mut r, &["SETUSER", "a b"]),
        err("ERR Usernames can't contain spaces or null characters")
    );
    // All or nothing: a bad rule after good ones leaves the user as it was.
    setuser(&mut r, "v", "on +get");
    assert_eq!(
        acl(&mut r, &["SETUSER", "v", "off", "+set", "bad"]),
        err("ERR Error in ACL SETUSER modifier 'bad': Syntax error")
    );
    assert_eq!(list_line(&mut r, "v"), "user v on resetchannels -@all +get");
}

#[test]
fn users_are_described_canonically() {
    let server = TestServer::start();
    let mut r = server.raw();
    setuser(
        &mut r,
        "u",
        "on >p1 ~app:* +@read -get &ch* %R~r* %W~w* %RW~rw*",
    );
    assert_eq!(
        list_line(&mut r, "u"),
        "user u on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~app:* %R~r* %W~w* ~rw* resetchannels &ch* -@all +@read -get"
    );
    // R and W on the same pattern make it a plain one.
    setuser(&mut r, "rw", "%R~foo %W~foo %RW~bar");
    assert_eq!(user_field(&mut r, "rw", "keys"), "~foo ~bar");
    // reset turns payload sanitizing on; the flags come in Redis's order.
    setuser(&mut r, "u", "reset");
    assert_eq!(
        list_line(&mut r, "u"),
        "user u off sanitize-payload resetchannels -@all"
    );
    setuser(&mut r, "s", "skip-sanitize-payload nopass on");
    assert_eq!(
        list_line(&mut r, "s"),
        "user s on nopass skip-sanitize-payload resetchannels -@all"
    );
    // Categories are preferred to the commands they hold.
    setuser(&mut r, "c", "+@all -@string +@string");
    assert_eq!(user_field(&mut r, "c", "commands"), "+@all");
    setuser(&mut r, "d", "-@all +client +@fast");
    assert_eq!(user_field(&mut r, "d", "commands"), "-@all +@fast +client");
    // A container with one subcommand taken away, and the reverse.
    setuser(&mut r, "e", "+@all -client|kill");
    assert_eq!(user_field(&mut r, "e", "commands"), "+@all -client|kill");
    setuser(&mut r, "f", "+memory|doctor");
    assert_eq!(user_field(&mut r, "f", "commands"), "-@all +memory|doctor");
    setuser(&mut r, "f", "+memory");
    assert_eq!(user_field(&mut r, "f", "commands"), "-@all +memory");
    // A first argument shows only while the command itself is denied.
    setuser(&mut r, "g", "+select|0 +select|1");
    assert_eq!(
        user_field(&mut r, "g", "commands"),
        "-@all +select|0 +select|1"
    );
    setuser(&mut r, "g", "+select");
    assert_eq!(user_field(&mut r, "g", "commands"), "-@all +select");
    // Every category, added to nothing or taken from everything.
    for category in texts(acl(&mut r, &["CAT"])) {
        setuser(&mut r, "h", &format!("reset +@all -@{}", category));
        assert_eq!(
            user_field(&mut r, "h", "commands"),
            format!("+@all -@{}", category)
        );
        setuser(&mut r, "h", &format!("reset -@all +@{}", category));
        assert_eq!(
            user_field(&mut r, "h", "commands"),
            format!("-@all +@{}", category)
        );
    }
}

#[test]
fn passwords_are_hashed_added_and_removed() {
    let server = TestServer::start();
    let mut r = server.raw();
    setuser(&mut r, "u", ">p1 >p2");
    // New users are off.
    assert_eq!(r.cmd(&["AUTH", "u", "p1"]), err(WRONGPASS));
    setuser(&mut r, "u", "on");
    let mut other = server.raw();
    assert_eq!(other.cmd(&["AUTH", "u", "p1"]), ok());
    assert_eq!(other.cmd(&["AUTH", "u", "p2"]), ok());
    assert_eq!(other.cmd(&["AUTH", "u", "p3"]), err(WRONGPASS));
    setuser(&mut r, "u", "<p1");
    assert_eq!(other.cmd(&["AUTH", "u", "p1"]), err(WRONGPASS));
    // passwd4, by its hash.
    let hash = "34344e4d60c2b6d639b7bd22e18f2b0b91bc34bf0ac5f9952744435093cfb4e6";
    setuser(&mut r, "u", &format!("#{}", hash));
    assert_eq!(other.cmd(&["AUTH", "u", "passwd4"]), ok());
    let passwords = texts(getuser(&mut r, "u").remove("passwords").expect("passwords"));
    assert!(passwords.contains(&hash.to_string()));
    assert!(!passwords.iter().any(|p| p.contains("passwd4")));
    setuser(&mut r, "u", &format!("!{}", hash));
    assert_eq!(other.cmd(&["AUTH", "u", "passwd4"]), err(WRONGPASS));
    // nopass: any password; resetpass: none at all.
    setuser(&mut r, "u", "nopass");
    assert_eq!(other.cmd(&["AUTH", "u", "anything"]), ok());
    setuser(&mut r, "u", "resetpass");
    assert_eq!(other.cmd(&["AUTH", "u", "anything"]), err(WRONGPASS));
    // Binary passwords.
    assert_eq!(
        r.cmd_bytes(&[b"ACL", b"SETUSER", b"bin", b"on", b">a\x00b"]),
        ok()
    );
    assert_eq!(other.cmd_bytes(&[b"AUTH", b"bin", b"a\x00b"]), ok());
    assert_eq!(other.cmd_bytes(&[b"AUTH", b"bin", b"a"]), err(WRONGPASS));
}

#[test]
fn a_user_turned_off_keeps_its_connections_but_cannot_log_in() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", "on >pw +@all ~*");
    let mut u = login(&server, "u", "pw");
    setuser(&mut admin, "u", "off >another");
    assert_eq!(u.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(acl(&mut u, &["WHOAMI"]), Frame::bulk("u"));
    assert_eq!(server.raw().cmd(&["AUTH", "u", "pw"]), err(WRONGPASS));
}

#[test]
fn commands_categories_subcommands_and_first_arguments() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        "on nopass ~* -@all +@set +acl +client|id +select|0 +debug|object +config -config|set",
    );
    let mut u = login(&server, "u", "x");
    assert_eq!(u.cmd(&["SADD", "s", "a"]), int(1));
    assert_eq!(u.cmd(&["GET", "k"]), noperm_command("get"));
    assert_eq!(u.cmd(&["PING"]), noperm_command("ping"));
    assert!(matches!(u.cmd(&["CLIENT", "ID"]), Frame::Int(_)));
    assert_eq!(
        u.cmd(&["CLIENT", "KILL", "TYPE", "master"]),
        noperm_command("client|kill")
    );
    assert_eq!(u.cmd(&["SELECT", "0"]), ok());
    assert_eq!(u.cmd(&["SELECT", "1"]), noperm_command("select"));
    assert!(u
        .cmd(&["DEBUG", "OBJECT", "s"])
        .as_text()
        .contains("encoding:"));
    assert_eq!(u.cmd(&["DEBUG", "SLEEP", "0"]), noperm_command("debug"));
    assert!(matches!(u.cmd(&["CONFIG", "GET", "hz"]), Frame::Array(_)));
    assert_eq!(
        u.cmd(&["CONFIG", "SET", "hz", "10"]),
        noperm_command("config|set")
    );
    // AUTH, HELLO, QUIT and RESET are never refused for the command.
    assert!(matches!(u.cmd(&["HELLO", "2"]), Frame::Array(_)));
    // +@all then single commands away.
    setuser(&mut admin, "u", "+@all -@string -ping");
    assert_eq!(u.cmd(&["SET", "k", "v"]), noperm_command("set"));
    assert_eq!(u.cmd(&["PING"]), noperm_command("ping"));
    assert_eq!(u.cmd(&["LPUSH", "l", "a"]), int(1));
    // nocommands and allcommands.
    setuser(&mut admin, "u", "nocommands");
    assert_eq!(u.cmd(&["LPUSH", "l", "a"]), noperm_command("lpush"));
    setuser(&mut admin, "u", "allcommands");
    assert_eq!(u.cmd(&["SET", "k", "v"]), ok());
}

#[test]
fn a_user_limited_to_app_keys_reads_and_writes_only_those() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "app", "on >pw ~app:* +@all");
    let mut u = login(&server, "app", "pw");
    assert_eq!(u.cmd(&["SET", "app:1", "a"]), ok());
    assert_eq!(u.cmd(&["GET", "app:1"]), Frame::bulk("a"));
    assert_eq!(u.cmd(&["RPUSH", "app:list", "x"]), int(1));
    assert_eq!(u.cmd(&["SET", "other", "b"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["GET", "other"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["MGET", "app:1", "other"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["RENAME", "app:1", "other"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["COPY", "app:1", "app:2"]), int(1));
    // Nothing outside was touched.
    assert_eq!(admin.cmd(&["EXISTS", "other"]), int(0));
    // Commands without keys are unaffected.
    assert_eq!(u.cmd(&["DBSIZE"]), int(3));
}

#[test]
fn read_and_write_key_permissions() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", "on nopass +@all %R~read* %W~write*");
    let mut u = login(&server, "u", "x");
    admin.cmd(&["SET", "readstr", "bar"]);
    assert_eq!(u.cmd(&["GET", "readstr"]), Frame::bulk("bar"));
    assert_eq!(u.cmd(&["SET", "readstr", "x"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["GET", "writestr"]), err(NOPERM_KEYS));
    assert_eq!(u.cmd(&["LPUSH", "writelist", "1"]), int(1));
    assert_eq!(u.cmd(&["COPY", "readstr", "writestr"]), int(1));
    assert_eq!(u.cmd(&["COPY", "writestr", "readstr"]), err(NOPERM_KEYS));
    // SET ... GET reads too; BITFIELD with GETs only just reads.
    assert_eq!(u.cmd(&["SET", "writestr", "v"]), ok());
    assert_eq!(u.cmd(&["SET", "writestr", "v", "GET"]), err(NOPERM_KEYS));
    assert_eq!(
        u.cmd(&["BITFIELD", "readstr", "GET", "u4", "0"]),
        common::ints(&[6])
    );
    assert_eq!(
        u.cmd(&["BITFIELD", "readstr", "SET", "u4", "0", "1"]),
        err(NOPERM_KEYS)
    );
    // Existence and cardinality need some access, not a particular one.
    assert_eq!(u.cmd(&["EXISTS", "writestr"]), int(1));
    assert_eq!(u.cmd(&["STRLEN", "readstr"]), int(3));
    assert_eq!(u.cmd(&["EXISTS", "nothing"]), err(NOPERM_KEYS));
    // Selectors do not combine their permissions.
    setuser(
        &mut admin,
        "v",
        "on nopass (%R~read* +@all) (%W~write* +@all)",
    );
    let mut v = login(&server, "v", "x");
    assert_eq!(v.cmd(&["GET", "readstr"]), Frame::bulk("bar"));
    assert_eq!(v.cmd(&["LPUSH", "writelist", "2"]), int(2));
    assert_eq!(v.cmd(&["COPY", "readstr", "writeother"]), err(NOPERM_KEYS));
}

#[test]
fn selectors_are_added_described_and_cleared() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "u",
        "on nopass -@all +get resetchannels &channel1 %R~foo1 %W~bar1 ~baz1",
    );
    setuser(
        &mut admin,
        "u",
        "(-@all +set resetchannels &channel2 %R~foo2 %W~bar2 ~baz2) (~key1 +get )",
    );
    let user = getuser(&mut admin, "u");
    assert_eq!(bulk_text(&user["keys"]), "%R~foo1 %W~bar1 ~baz1");
    assert_eq!(bulk_text(&user["channels"]), "&channel1");
    assert_eq!(bulk_text(&user["commands"]), "-@all +get");
    let selectors = items(user["selectors"].clone());
    assert_eq!(selectors.len(), 2);
    let fields = |f: &Frame| -> Vec<String> { texts(f.clone()) };
    assert_eq!(
        fields(&selectors[0]),
        [
            "commands",
            "-@all +set",
            "keys",
            "%R~foo2 %W~bar2 ~baz2",
            "channels",
            "&channel2"
        ]
    );
    assert_eq!(
        fields(&selectors[1]),
        ["commands", "-@all +get", "keys", "~key1", "channels", ""]
    );
    assert_eq!(
        list_line(&mut admin, "u"),
        "user u on nopass %R~foo1 %W~bar1 ~baz1 resetchannels &channel1 -@all +get (%R~foo2 %W~bar2 ~baz2 resetchannels &channel2 -@all +set) (~key1 resetchannels -@all +get)"
    );
    let mut u = login(&server, "u", "x");
    assert_eq!(u.cmd(&["GET", "key1"]), nil());
    assert_eq!(u.cmd(&["SET", "baz2", "v"]), ok());
    // The root selector denies the key, the others the command: the key
    // is the more relevant refusal.
    assert_eq!(u.cmd(&["SET", "baz1", "v"]), err(NOPERM_KEYS));
    setuser(&mut admin, "u", "clearselectors");
    assert_eq!(getuser(&mut admin, "u")["selectors"], bulks(&[]));
    assert_eq!(u.cmd(&["GET", "key1"]), err(NOPERM_KEYS));
    // A new selector starts with nothing allowed.
    setuser(&mut admin, "w", "reset ()");
    let selectors = items(
        getuser(&mut admin, "w")
            .remove("selectors")
            .expect("selectors"),
    );
    assert_eq!(
        texts(selectors[0].clone()),
        ["commands", "-@all", "keys", "", "channels", ""]
    );
}

#[test]
fn channel_permissions() {
    let server = TestServer::start();
    let mut admin = server.raw();
    // New users get no channel (acl-pubsub-default resetchannels).
    setuser(&mut admin, "ps", "on nopass +@all ~*");
    let mut u = login(&server, "ps", "x");
    assert_eq!(u.cmd(&["PUBLISH", "foo", "m"]), err(NOPERM_CHANNELS));
    assert_eq!(u.cmd(&["SPUBLISH", "foo", "m"]), err(NOPERM_CHANNELS));
    setuser(&mut admin, "ps", "resetchannels &foo:1 &bar:*");
    assert_eq!(u.cmd(&["PUBLISH", "foo:1", "m"]), int(0));
    assert_eq!(u.cmd(&["PUBLISH", "bar:2", "m"]), int(0));
    assert_eq!(u.cmd(&["SPUBLISH", "bar:2", "m"]), int(0));
    assert_eq!(u.cmd(&["PUBLISH", "zap:3", "m"]), err(NOPERM_CHANNELS));
    // A pattern must be allowed literally.
    assert_eq!(
        acl(&mut admin, &["DRYRUN", "ps", "PSUBSCRIBE", "bar:*"]),
        ok()
    );
    assert_eq!(
        acl(&mut admin, &["DRYRUN", "ps", "PSUBSCRIBE", "bar:baz"]),
        Frame::bulk("This user has no permissions to access the 'bar:baz' channel")
    );
    assert_eq!(
        acl(
            &mut admin,
            &["DRYRUN", "ps", "SSUBSCRIBE", "foo:1", "other"]
        ),
        Frame::bulk("This user has no permissions to access the 'other' channel")
    );
    assert_eq!(
        acl(&mut admin, &["DRYRUN", "ps", "UNSUBSCRIBE", "other"]),
        ok()
    );
    let mut sub = login(&server, "ps", "x");
    sub.send_cmd(&["SUBSCRIBE", "foo:1"]);
    assert_eq!(sub.read(), bulks_with_count("subscribe", "foo:1", 1));
    sub.send_cmd(&["SUBSCRIBE", "zap"]);
    assert_eq!(sub.read(), err(NOPERM_CHANNELS));
    // All channels.
    setuser(&mut admin, "ps", "allchannels");
    assert_eq!(u.cmd(&["PUBLISH", "zap:3", "m"]), int(0));
    assert_eq!(list_line(&mut admin, "ps"), "user ps on nopass ~* &* +@all");
}

fn bulks_with_count(kind: &str, name: &str, n: i64) -> Frame {
    common::array(vec![Frame::bulk(kind), Frame::bulk(name), int(n)])
}

#[test]
fn subscribers_losing_a_channel_are_disconnected() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "ps",
        "on nopass +@all resetchannels &foo:1 &bar:* &orders",
    );
    let mut kept = login(&server, "ps", "x");
    assert_eq!(kept.cmd(&["CLIENT", "SETNAME", "kept"]), ok());
    kept.send_cmd(&["SUBSCRIBE", "foo:1"]);
    kept.read();
    kept.send_cmd(&["SSUBSCRIBE", "orders"]);
    kept.read();
    kept.send_cmd(&["PSUBSCRIBE", "bar:*"]);
    kept.read();
    let mut doomed = login(&server, "ps", "x");
    assert_eq!(doomed.cmd(&["CLIENT", "SETNAME", "doomed"]), ok());
    doomed.send_cmd(&["PSUBSCRIBE", "bar:*"]);
    doomed.read();
    // Gaining channels keeps everyone.
    setuser(&mut admin, "ps", "&baz:qaz &zoo:*");
    let list = admin.cmd(&["CLIENT", "LIST"]).as_text();
    assert!(list.contains("name=kept") && list.contains("name=doomed"));
    // Losing the pattern `bar:*` (its literal rule) closes both.
    setuser(&mut admin, "ps", "resetchannels &foo:1 &orders &bar:1");
    let list = admin.cmd(&["CLIENT", "LIST"]).as_text();
    assert!(
        !list.contains("name=kept") && !list.contains("name=doomed"),
        "{}",
        list
    );
    assert!(kept.closed_within(Duration::from_secs(5)));
    assert!(doomed.closed_within(Duration::from_secs(5)));
    // A subscriber to a channel still allowed survives a change.
    let mut channel = login(&server, "ps", "x");
    channel.send_cmd(&["SUBSCRIBE", "foo:1"]);
    channel.read();
    setuser(&mut admin, "ps", "resetchannels &foo:*");
    assert_eq!(channel.cmd(&["PING"]), bulks(&["pong", ""]));
    setuser(&mut admin, "ps", "resetchannels");
    assert!(channel.closed_within(Duration::from_secs(5)));
}

#[test]
fn transactions_are_checked_when_queued_and_at_exec() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["ACL", "LOG", "RESET"]);
    setuser(&mut admin, "u", "on >pw +multi +exec +incr +set ~object:*");
    let mut u = login(&server, "u", "pw");
    assert_eq!(u.cmd(&["MULTI"]), ok());
    assert_eq!(u.cmd(&["GET", "object:1"]), noperm_command("get"));
    assert_eq!(u.cmd(&["SET", "other", "v"]), err(NOPERM_KEYS));
    assert_eq!(
        u.cmd(&["EXEC"]),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    let entry = last_log_entry(&mut admin);
    assert_eq!(entry["context"], "multi");
    assert_eq!(entry["reason"], "key");
    assert_eq!(entry["object"], "other");
    // Rules changed between queueing and EXEC.
    assert_eq!(u.cmd(&["MULTI"]), ok());
    assert_eq!(u.cmd(&["INCR", "object:1"]), Frame::Simple("QUEUED".into()));
    assert_eq!(
        u.cmd(&["SET", "object:2", "v"]),
        Frame::Simple("QUEUED".into())
    );
    setuser(&mut admin, "u", "-incr");
    assert_eq!(
        u.cmd(&["EXEC"]),
        common::array(vec![
            err("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand"),
            ok(),
        ])
    );
    let entry = last_log_entry(&mut admin);
    assert_eq!(
        (entry["context"].as_str(), entry["object"].as_str()),
        ("multi", "incr")
    );
    assert_eq!(admin.cmd(&["GET", "object:1"]), nil());
    // Channels queued in a transaction are checked too.
    setuser(
        &mut admin,
        "u",
        "+publish +subscribe +psubscribe +discard resetchannels &foo:1",
    );
    assert_eq!(u.cmd(&["MULTI"]), ok());
    assert_eq!(u.cmd(&["PUBLISH", "nope", "m"]), err(NOPERM_CHANNELS));
    assert_eq!(u.cmd(&["SUBSCRIBE", "nope", "foo:1"]), err(NOPERM_CHANNELS));
    assert_eq!(u.cmd(&["PSUBSCRIBE", "foo:*"]), err(NOPERM_CHANNELS));
    assert_eq!(u.cmd(&["DISCARD"]), ok());
}

#[test]
fn the_acl_log_records_refusals_and_failed_logins() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(acl(&mut admin, &["LOG", "RESET"]), ok());
    setuser(
        &mut admin,
        "antirez",
        ">foo on +set ~object:1234 resetchannels +publish",
    );
    let mut u = login(&server, "antirez", "foo");
    assert_eq!(
        u.cmd(&["CLIENT", "SETNAME", "me"]),
        noperm_command("client|setname")
    );
    for _ in 0..3 {
        assert_eq!(u.cmd(&["GET", "foo"]), noperm_command("get"));
    }
    let entry = last_log_entry(&mut admin);
    assert_eq!(entry["count"], "3");
    assert_eq!(entry["reason"], "command");
    assert_eq!(entry["context"], "toplevel");
    assert_eq!(entry["object"], "get");
    assert_eq!(entry["username"], "antirez");
    assert!(entry["age-seconds"]
        .parse::<f64>()
        .is_ok_and(|a| (0.0..5.0).contains(&a)));
    assert!(
        entry["client-info"].contains(" cmd=get user=antirez "),
        "{}",
        entry["client-info"]
    );
    let fields: Vec<String> = items(items(acl(&mut admin, &["LOG", "1"])).remove(0))
        .chunks(2)
        .map(|p| p[0].as_text())
        .collect();
    assert_eq!(
        fields,
        [
            "count",
            "reason",
            "context",
            "object",
            "username",
            "age-seconds",
            "client-info"
        ]
    );
    assert_eq!(u.cmd(&["SET", "somekeynotallowed", "1"]), err(NOPERM_KEYS));
    let entry = last_log_entry(&mut admin);
    assert_eq!(
        (entry["reason"].as_str(), entry["object"].as_str()),
        ("key", "somekeynotallowed")
    );
    assert_eq!(
        u.cmd(&["PUBLISH", "somechannel", "m"]),
        err(NOPERM_CHANNELS)
    );
    let entry = last_log_entry(&mut admin);
    assert_eq!(
        (entry["reason"].as_str(), entry["object"].as_str()),
        ("channel", "somechannel")
    );
    assert_eq!(admin.cmd(&["AUTH", "antirez", "wrong"]), err(WRONGPASS));
    let entry = last_log_entry(&mut admin);
    assert_eq!(entry["reason"], "auth");
    assert_eq!(entry["object"], "AUTH");
    assert_eq!(entry["username"], "antirez");
    assert_eq!(entry["context"], "toplevel");
    assert_eq!(items(acl(&mut admin, &["LOG"])).len(), 5);
    assert_eq!(items(acl(&mut admin, &["LOG", "2"])).len(), 2);
    assert_eq!(acl(&mut admin, &["LOG", "-1"]), bulks(&[]));
    assert_eq!(
        acl(&mut admin, &["LOG", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // The log keeps acllog-max-len entries.
    assert_eq!(admin.cmd(&["CONFIG", "SET", "acllog-max-len", "2"]), ok());
    for i in 0..5 {
        assert_eq!(
            u.cmd(&["SET", &format!("obj:{}", i), "1"]),
            err(NOPERM_KEYS)
        );
    }
    assert_eq!(items(acl(&mut admin, &["LOG"])).len(), 2);
    assert_eq!(acl(&mut admin, &["LOG", "RESET"]), ok());
    assert_eq!(acl(&mut admin, &["LOG"]), bulks(&[]));
    if !against_real_redis() {
        // Redis 7.2's counters.
        for (field, count) in [("cmd", "4"), ("key", "6"), ("channel", "1"), ("auth", "1")] {
            let name = format!("acl_access_denied_{}", field);
            assert_eq!(info_field(&mut admin, "stats", &name), count, "{}", name);
        }
    }
}

#[test]
fn the_log_names_the_most_relevant_refusal_of_several_selectors() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(
        &mut admin,
        "s",
        "on nopass +mget ~key (+mget ~key ~otherkey)",
    );
    let mut u = login(&server, "s", "x");
    acl(&mut admin, &["LOG", "RESET"]);
    assert_eq!(u.cmd(&["GET", "key"]), noperm_command("get"));
    assert_eq!(last_log_entry(&mut admin)["object"], "get");
    assert_eq!(
        u.cmd(&["MGET", "otherkey", "someotherkey"]),
        err(NOPERM_KEYS)
    );
    assert_eq!(last_log_entry(&mut admin)["object"], "someotherkey");
    assert_eq!(
        u.cmd(&["MGET", "key", "otherkey", "someotherkey"]),
        err(NOPERM_KEYS)
    );
    assert_eq!(last_log_entry(&mut admin)["object"], "someotherkey");
}

#[test]
fn dryrun_answers_without_running() {
    let server = TestServer::start();
    let mut r = server.raw();
    setuser(&mut r, "t", "+@all %R~read* %W~write* %RW~rw* -flushall");
    assert_eq!(acl(&mut r, &["DRYRUN", "t", "GET", "read"]), ok());
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "SET", "read", "v"]),
        Frame::bulk("This user has no permissions to access the 'read' key")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "FLUSHALL"]),
        Frame::bulk("This user has no permissions to run the 'flushall' command")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "SORT", "read", "STORE", "write"]),
        ok()
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "SORT", "write", "STORE", "write"]),
        Frame::bulk("This user has no permissions to access the 'write' key")
    );
    assert_eq!(
        acl(
            &mut r,
            &[
                "DRYRUN",
                "t",
                "GEORADIUS",
                "read1",
                "0",
                "0",
                "1",
                "M",
                "STOREDIST",
                "read2"
            ]
        ),
        Frame::bulk("This user has no permissions to access the 'read2' key")
    );
    assert_eq!(
        acl(
            &mut r,
            &["DRYRUN", "t", "MIGRATE", "h", "1", "", "0", "5000", "KEYS", "write"]
        ),
        Frame::bulk("This user has no permissions to access the 'write' key")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "nobody", "GET", "a"]),
        err("ERR User 'nobody' not found")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "nocmd", "a"]),
        err("ERR Command 'nocmd' not found")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "client", "nosub"]),
        err("ERR Command 'client' not found")
    );
    assert_eq!(
        acl(&mut r, &["DRYRUN", "t", "SET", "rw"]),
        err("ERR wrong number of arguments for 'set' command")
    );
    assert_eq!(r.cmd(&["EXISTS", "read"]), int(0));
}

#[test]
fn acl_subcommand_replies() {
    let server = TestServer::start();
    let mut r = server.raw();
    assert_eq!(
        texts(acl(&mut r, &["CAT"])),
        [
            "keyspace",
            "read",
            "write",
            "set",
            "sortedset",
            "list",
            "hash",
            "string",
            "bitmap",
            "hyperloglog",
            "geo",
            "stream",
            "pubsub",
            "admin",
            "fast",
            "slow",
            "blocking",
            "dangerous",
            "connection",
            "transaction",
            "scripting"
        ]
    );
    let transaction = texts(acl(&mut r, &["CAT", "transaction"]));
    assert!(
        transaction.contains(&"multi".to_string()) && !transaction.contains(&"get".to_string())
    );
    let slow = texts(acl(&mut r, &["CAT", "SLOW"]));
    assert!(slow.contains(&"client|list".to_string()) && slow.contains(&"acl|setuser".to_string()));
    assert_eq!(
        acl(&mut r, &["CAT", "nope"]),
        err("ERR Unknown category 'nope'")
    );
    assert_eq!(
        acl(&mut r, &["CAT", "read", "x"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
    );
    assert_eq!(bulk_text(&acl(&mut r, &["GENPASS"])).len(), 64);
    assert_eq!(bulk_text(&acl(&mut r, &["GENPASS", "5"])).len(), 2);
    let hex = bulk_text(&acl(&mut r, &["GENPASS", "4096"]));
    assert!(hex.len() == 1024 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    for bad in ["0", "-236", "5000"] {
        assert_eq!(
            acl(&mut r, &["GENPASS", bad]),
            err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
        );
    }
    assert_eq!(
        acl(&mut r, &["WHOAMI", "x"]),
        err("ERR wrong number of arguments for 'acl|whoami' command")
    );
    assert_eq!(
        acl(&mut r, &["nosub"]),
        err("ERR unknown subcommand 'nosub'. Try ACL HELP.")
    );
    let help = texts(acl(&mut r, &["HELP"]));
    assert_eq!(help.len(), 29);
    assert_eq!(
        help[0],
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    let no_file = err("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.");
    assert_eq!(acl(&mut r, &["LOAD"]), no_file);
    assert_eq!(acl(&mut r, &["SAVE"]), no_file);
    // ACL SETUSER's arguments never reach the slow log.
    r.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    r.cmd(&["SLOWLOG", "RESET"]);
    setuser(&mut r, "secret", ">hidden on");
    let log = common::all_text(&r.cmd(&["SLOWLOG", "GET", "1"]));
    assert!(
        log.contains("(redacted)") && !log.contains("hidden"),
        "{}",
        log
    );
}

#[test]
fn deleting_a_user_closes_its_connections() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", "on >pw +@all");
    setuser(&mut admin, "unused", "on >pw");
    let mut other = login(&server, "u", "pw");
    let mut itself = login(&server, "u", "pw");
    assert_eq!(
        acl(&mut admin, &["DELUSER", "default", "u"]),
        err("ERR The 'default' user cannot be removed")
    );
    assert_eq!(
        acl(&mut admin, &["DELUSER", "unused", "unused", "nobody"]),
        int(1)
    );
    assert_eq!(admin.cmd(&["PING"]), Frame::Simple("PONG".into()));
    // The caller gets its reply, then the connection closes.
    assert_eq!(acl(&mut itself, &["DELUSER", "u"]), int(1));
    assert!(itself.closed_within(Duration::from_secs(5)));
    assert!(other.closed_within(Duration::from_secs(5)));
    assert_eq!(acl(&mut admin, &["USERS"]), bulks(&["default"]));
}

#[test]
fn client_kill_user_and_client_list() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "u", "on nopass +@all");
    let mut victim = login(&server, "u", "x");
    assert_eq!(client_field(&common::client_info(&mut victim), "user"), "u");
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "nobody"]),
        err("ERR No such user 'nobody'")
    );
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "u"]), int(1));
    assert!(victim.closed_within(Duration::from_secs(5)));
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "default"]), int(0));
}

#[test]
fn hello_auth_and_reset() {
    let server = TestServer::start();
    let mut admin = server.raw();
    setuser(&mut admin, "secure", ">supass on +@all");
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&["HELLO", "3", "AUTH", "secure", "bad"]),
        err(WRONGPASS)
    );
    let entry = last_log_entry(&mut admin);
    assert_eq!(
        (entry["object"].as_str(), entry["username"].as_str()),
        ("HELLO", "secure")
    );
    assert!(matches!(
        r.cmd(&["HELLO", "2", "AUTH", "secure", "supass"]),
        Frame::Array(_)
    ));
    assert_eq!(acl(&mut r, &["WHOAMI"]), Frame::bulk("secure"));
    assert_eq!(r.cmd(&["RESET"]), Frame::Simple("RESET".into()));
    assert_eq!(acl(&mut r, &["WHOAMI"]), Frame::bulk("default"));
    // A default user without commands does not stop HELLO AUTH.
    setuser(&mut admin, "default", "-@all");
    let mut r = server.raw();
    assert_eq!(acl(&mut r, &["WHOAMI"]), noperm_command("acl|whoami"));
    assert!(matches!(
        r.cmd(&["HELLO", "2", "AUTH", "secure", "supass"]),
        Frame::Array(_)
    ));
    assert_eq!(r.cmd(&["ACL", "SETUSER", "default", "+@all"]), ok());
    // A default user turned off: new connections must authenticate.
    setuser(&mut admin, "default", "off");
    let mut r = server.raw();
    assert_eq!(r.cmd(&["PING"]), err("NOAUTH Authentication required."));
    assert_eq!(r.cmd(&["AUTH", "secure", "supass"]), ok());
    assert_eq!(r.cmd(&["PING"]), Frame::Simple("PONG".into()));
    setuser(&mut admin, "default", "on");
}

#[test]
fn requirepass_is_the_default_users_password() {
    let server = TestServer::start();
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", "foobar"]), ok());
    // The connection that set it stays authenticated.
    assert_eq!(
        list_line(&mut admin, "default"),
        "user default on #c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2 ~* &* +@all"
    );
    let mut r = server.raw();
    assert_eq!(r.cmd(&["GET", "k"]), err("NOAUTH Authentication required."));
    assert_eq!(r.cmd(&["AUTH", "wrong"]), err(WRONGPASS));
    assert_eq!(r.cmd(&["AUTH", "foobar"]), ok());
    assert_eq!(r.cmd(&["AUTH", "default", "foobar"]), ok());
    assert_eq!(admin.cmd(&["CONFIG", "SET", "requirepass", ""]), ok());
    assert_eq!(
        list_line(&mut admin, "default"),
        "user default on nopass ~* &* +@all"
    );
    assert_eq!(server.raw().cmd(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn an_unauthenticated_client_that_does_not_read_is_closed() {
    let server = TestServer::start_with(&["--requirepass", "pw"]);
    let mut admin = login(&server, "default", "pw");
    let mut flooder = server.raw();
    // NOAUTH replies pile up past what such a client may hold.
    let pings = b"PING\r\n".repeat(2000);
    for _ in 0..20 {
        let _ = std::io::Write::write_all(flooder.stream.get_mut(), &pings);
    }
    assert!(flooder.closed_within(Duration::from_secs(5)));
    let list = admin.cmd(&["CLIENT", "LIST"]).as_text();
    assert_eq!(list.lines().count(), 1, "{}", list);
}

#[test]
fn sort_by_and_get_need_access_to_every_key() {
    let server = TestServer::start();
    let mut admin = server.raw();
    admin.cmd(&["SET", "v1", "1"]);
    admin.cmd(&["LPUSH", "mylist", "1"]);
    setuser(&mut admin, "s", "on nopass (+sort ~mylist ~v*)");
    let mut u = login(&server, "s", "x");
    assert_eq!(
        u.cmd(&["SORT", "mylist", "BY", "v*"]),
        err("ERR BY option of SORT denied due to insufficient ACL permissions.")
    );
    assert_eq!(
        u.cmd(&["SORT", "mylist", "GET", "v*"]),
        err("ERR GET option of SORT denied due to insufficient ACL permissions.")
    );
    // A constant BY sorts nothing and reads no key: allowed.
    assert_eq!(u.cmd(&["SORT", "mylist", "BY", "nosort"]), bulks(&["1"]));
    setuser(&mut admin, "s", "(+sort ~mylist %R~*)");
    assert_eq!(
        u.cmd(&["SORT", "mylist", "BY", "v*", "GET", "#"]),
        bulks(&["1"])
    );
}

#[test]
fn protected_commands_and_configs() {
    let server = TestServer::start_with(&["--enable-module-command", "no"]);
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&["MODULE", "LOAD", "/nonexistent.so"]),
        err("ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
    );
    assert_eq!(r.cmd(&["MODULE", "LIST"]), bulks(&[]));
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "dir", "/tmp"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
    );
    let allowed = TestServer::start_with(&["--enable-module-command", "yes"]);
    assert_eq!(
        allowed.raw().cmd(&["MODULE", "LOAD", "/nonexistent.so"]),
        err("ERR Error loading the extension. Please check the server logs.")
    );
}

/// Starts a server in a directory holding `user.acl` with `acl` (and
/// more arguments).
fn start_with_aclfile(acl: &str, extra: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("user.acl"), acl).expect("write acl file");
    let mut args = vec!["--save", "", "--aclfile", "user.acl"];
    args.extend_from_slice(extra);
    spawn_in(&server_binary(), dir, &[], &args, "")
}

const ACL_FILE: &str = "user alice on allcommands allkeys &* >alice\nuser bob on -@all +@set +acl ~set* &* >bob\nuser default on nopass ~* &* +@all\n";

#[test]
fn the_acl_file_is_loaded_saved_and_reloaded() {
    let server = start_with_aclfile(ACL_FILE, &[]);
    let mut r = server.raw();
    assert_eq!(acl(&mut r, &["USERS"]), bulks(&["alice", "bob", "default"]));
    let mut bob = login(&server, "bob", "bob");
    assert_eq!(bob.cmd(&["SADD", "set", "1"]), int(1));
    assert_eq!(bob.cmd(&["SET", "key", "v"]), noperm_command("set"));
    setuser(&mut r, "eve", "+get allkeys >eve on");
    assert_eq!(acl(&mut r, &["SAVE"]), ok());
    let saved = std::fs::read_to_string(server.path("user.acl")).expect("acl file");
    assert_eq!(
        saved,
        format!(
            "user alice on #{} ~* &* +@all\n\
             user bob on #{} ~set* &* -@all +@set +acl\n\
             user default on nopass ~* &* +@all\n\
             user eve on #{} ~* resetchannels -@all +get\n",
            sha256_hex("alice"),
            sha256_hex("bob"),
            sha256_hex("eve")
        )
    );
    // LOAD replaces every user: their connections close (the caller's
    // after the reply), the default user's stay.
    let mut eve = login(&server, "eve", "eve");
    assert_eq!(acl(&mut eve, &["LOAD"]), noperm_command("acl|load"));
    assert_eq!(acl(&mut r, &["LOAD"]), ok());
    assert!(bob.closed_within(Duration::from_secs(5)));
    assert!(eve.closed_within(Duration::from_secs(5)));
    assert_eq!(r.cmd(&["PING"]), Frame::Simple("PONG".into()));
    let mut eve = login(&server, "eve", "eve");
    assert_eq!(eve.cmd(&["GET", "key"]), nil());
    assert_eq!(eve.cmd(&["SET", "key", "v"]), noperm_command("set"));
    let mut alice = login(&server, "alice", "alice");
    assert_eq!(acl(&mut alice, &["LOAD"]), ok());
    assert!(alice.closed_within(Duration::from_secs(5)));
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn a_bad_acl_file_changes_nothing_and_names_its_lines() {
    let server = start_with_aclfile(ACL_FILE, &[]);
    let mut r = server.raw();
    let bad = "user alice on nopass ~* +@all\nuser carl badrule\n# comment\nuser carl on\nuser dan +nocmd %X~a ~ok\n";
    std::fs::write(server.path("user.acl"), bad).expect("write acl file");
    assert_eq!(
        acl(&mut r, &["LOAD"]),
        err("ERR user.acl:2: Syntax error. user.acl:3 should start with user keyword followed by the username. WARNING: Duplicate user 'carl' found on line 4. user.acl:5: Error in applying operation '+nocmd': Unknown command or category name in ACL. user.acl:5: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
    );
    assert_eq!(acl(&mut r, &["USERS"]), bulks(&["alice", "bob", "default"]));
    assert_eq!(user_field(&mut r, "alice", "commands"), "+@all");
    // A file without the default user gives it back its defaults.
    std::fs::write(server.path("user.acl"), "user alice on nopass ~* +@all\n").expect("write");
    assert_eq!(acl(&mut r, &["LOAD"]), ok());
    assert_eq!(
        texts(acl(&mut r, &["LIST"])),
        [
            "user alice on nopass ~* resetchannels +@all",
            "user default on nopass ~* &* +@all"
        ]
    );
    std::fs::remove_file(server.path("user.acl")).expect("remove");
    assert_eq!(
        acl(&mut r, &["LOAD"]),
        err("ERR Error loading ACLs, opening file 'user.acl': No such file or directory")
    );
}

#[test]
fn acl_pubsub_default_decides_the_channels_of_new_users() {
    let server = start_with_aclfile(ACL_FILE, &["--acl-pubsub-default", "allchannels"]);
    let mut r = server.raw();
    setuser(&mut r, "default", "reset on nopass ~* +@all");
    assert_eq!(r.cmd(&["PUBLISH", "hello", "world"]), int(0));
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "acl-pubsub-default", "resetchannels"]),
        ok()
    );
    setuser(&mut r, "default", "reset on nopass ~* +@all");
    assert_eq!(r.cmd(&["PUBLISH", "hello", "world"]), err(NOPERM_CHANNELS));
    assert_eq!(
        r.cmd(&["CONFIG", "SET", "acl-pubsub-default", "allchannels"]),
        ok()
    );
    setuser(&mut r, "mydefault", "");
    assert_eq!(user_field(&mut r, "mydefault", "channels"), "&*");
    assert_eq!(
        acl(&mut r, &["SETUSER", "other", "&test"]),
        err("ERR Error in ACL SETUSER modifier '&test': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
    );
}

#[test]
fn user_lines_of_the_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("redis.conf");
    std::fs::write(
        &conf,
        "user default on nopass ~* +@all -flushdb\nuser app on >secret ~app:* +@all &news\n",
    )
    .expect("write config");
    let leading = vec![conf.display().to_string()];
    let mut server = spawn_in(&server_binary(), dir, &leading, &["--save", ""], "");
    let mut r = server.raw();
    assert_eq!(r.cmd(&["FLUSHDB"]), noperm_command("flushdb"));
    // Without &* in its line the default user has no channel.
    assert_eq!(r.cmd(&["PUBLISH", "c", "m"]), err(NOPERM_CHANNELS));
    assert_eq!(
        list_line(&mut r, "default"),
        "user default on nopass sanitize-payload ~* resetchannels +@all -flushdb"
    );
    assert_eq!(r.cmd(&["CONFIG", "REWRITE"]), ok());
    let rewritten = std::fs::read_to_string(&conf).expect("config");
    let users: Vec<&str> = rewritten
        .lines()
        .filter(|l| l.starts_with("user "))
        .collect();
    assert_eq!(
        users,
        [
            format!(
                "user app on #{} ~app:* resetchannels &news +@all",
                sha256_hex("secret")
            )
            .as_str(),
            "user default on nopass sanitize-payload ~* resetchannels +@all -flushdb",
        ]
    );
    // Started again from the rewritten file: the same users.
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().expect("tempdir"));
    drop(server);
    let server = spawn_in(&server_binary(), dir, &leading, &["--save", ""], "");
    let mut r = server.raw();
    assert_eq!(r.cmd(&["FLUSHDB"]), noperm_command("flushdb"));
    let mut app = login(&server, "app", "secret");
    assert_eq!(app.cmd(&["SET", "app:1", "v"]), ok());
}

#[test]
fn bad_user_lines_stop_the_start() {
    let port = common::free_port().to_string();
    let report = |args: &[&str]| {
        let mut line = vec!["--port", port.as_str(), "--bind", "127.0.0.1"];
        line.extend_from_slice(args);
        run_server(&line, "")
    };
    let out = report(&["--user", "foo", "on", "badrule"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains(
            ">>> 'user \"foo\" \"on\" \"badrule\"'\nError in user declaration 'foo': Syntax error"
        ),
        "{}",
        out.stderr
    );
    let out = report(&["--user", "foo", "--user", "foo"]);
    assert!(out.stderr.contains("Error in user declaration 'foo': Duplicate user found. A user can only be defined once in config files"), "{}", out.stderr);
    let out = report(&["--user", "foo", "on", "off", "%X"]);
    assert!(
        out.stderr
            .contains("Error in user declaration 'on': Syntax error"),
        "{}",
        out.stderr
    );
    // Unknown commands are found when the users are created.
    let out = report(&["--user", "foo", "on", "+nocmd"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("Error loading ACL rule '+nocmd' for the user named 'foo': Unknown command or category name in ACL"), "{}", out.stdout);
    assert!(out
        .stdout
        .contains("Critical error while loading ACLs. Exiting."));
    // An ACL file and user lines together.
    let out = report(&["--user", "default", "--aclfile", "/nonexistent.acl"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid."), "{}", out.stdout);
    let out = report(&["--aclfile", "/nonexistent.acl"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent.acl': No such file or directory"), "{}", out.stdout);
}

#[test]
fn a_replica_logs_in_to_its_primary_with_masteruser() {
    let primary = TestServer::start_with(&["--repl-diskless-sync-delay", "0"]);
    let mut p = primary.raw();
    setuser(&mut p, "replicator", "on >rpw +psync +replconf +ping");
    setuser(&mut p, "default", "resetpass >admin");
    assert_eq!(p.cmd(&["AUTH", "admin"]), ok());
    assert_eq!(p.cmd(&["SET", "before", "1"]), ok());
    let port = primary.port.to_string();

    let wrong = TestServer::start_with(&["--masteruser", "replicator", "--masterauth", "nope"]);
    let mut w = wrong.raw();
    assert_eq!(w.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(common::wait_for(Duration::from_secs(10), || {
        !items(acl(&mut p, &["LOG"])).is_empty()
    }));
    let entry = last_log_entry(&mut p);
    assert_eq!(entry["reason"], "auth");
    assert_eq!(entry["username"], "replicator");
    assert_eq!(
        info_field(&mut w, "replication", "master_link_status"),
        "down"
    );

    let replica = TestServer::start_with(&["--masteruser", "replicator", "--masterauth", "rpw"]);
    let mut r = replica.raw();
    assert_eq!(r.cmd(&["REPLICAOF", "127.0.0.1", &port]), ok());
    assert!(common::wait_for(Duration::from_secs(20), || {
        common::link_up(&mut r)
    }));
    assert_eq!(p.cmd(&["SET", "after", "2"]), ok());
    assert!(common::wait_for(Duration::from_secs(10), || {
        r.cmd(&["GET", "after"]) == Frame::bulk("2")
    }));
    assert_eq!(r.cmd(&["GET", "before"]), Frame::bulk("1"));
    let link = bulk_text(&p.cmd(&["CLIENT", "LIST", "TYPE", "replica"]));
    assert_eq!(client_field(&link, "user"), "replicator");
    // The primary's stream runs whatever the replica's own users may do.
    setuser(&mut r, "admin", "on >a +@all ~*");
    setuser(&mut r, "default", "nocommands");
    assert_eq!(p.cmd(&["SET", "later", "3"]), ok());
    let mut admin = login(&replica, "admin", "a");
    assert!(common::wait_for(Duration::from_secs(10), || {
        admin.cmd(&["GET", "later"]) == Frame::bulk("3")
    }));
}
