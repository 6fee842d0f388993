//! String commands against the real binary, replies and error texts as
//! redis-server 7.0.15 gives them. Every expected reply was checked against
//! Redis; `REDDISH_TEST_SERVER=redis-server cargo test --test strings` runs
//! the same tests against it.

mod common;

use common::{Frame, TestServer};

const NOT_FLOAT: &str = "ERR value is not a valid float";
const NAN_OR_INFINITY: &str = "ERR increment would produce NaN or Infinity";

fn err(text: &str) -> Frame {
    Frame::Error(text.into())
}

#[test]
fn incrbyfloat_works_in_80_bit_extended_precision() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&["SET", "n", "10"]);
    // A 64-bit double says 9223372036854776000.
    assert_eq!(
        r.cmd(&["INCRBYFLOAT", "n", "9223372036854775807"]),
        Frame::bulk("9223372036854775817")
    );
    assert_eq!(r.cmd(&["GET", "n"]), Frame::bulk("9223372036854775817"));
    for (start, incr, want) in [
        // A 64-bit double gives 0.30000000000000004, 9007199254740992 and 1.
        ("0.1", "0.2", "0.3"),
        ("9007199254740993", "0", "9007199254740993"),
        ("1", "1e-17", "1.00000000000000001"),
        ("0", "0x1.8p3", "12"),
        ("0", "0X10", "16"),
        ("0", "5.0e3", "5000"),
        ("0x10", "0.5", "16.5"),
        ("0", "0.000003814697265625", "0.00000381469726562"),
        ("-0", "-0", "0"),
        ("1", "-1e-20", "1"),
        ("1", "0e1000000", "1"),
        ("0", "3.6e-4951", "0"),
    ] {
        r.cmd(&["SET", "k", start]);
        assert_eq!(
            r.cmd(&["INCRBYFLOAT", "k", incr]),
            Frame::bulk(want),
            "{start} + {incr}"
        );
        assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk(want));
    }
    // Huge values print every integer digit.
    r.cmd(&["DEL", "k"]);
    let Frame::Bulk(Some(huge)) = r.cmd(&["INCRBYFLOAT", "k", "1e4932"]) else {
        panic!("no bulk reply");
    };
    assert_eq!(huge.len(), 4933);
    assert!(huge.starts_with(b"1000000000000000000006018949387963891323"));
}

#[test]
fn incrbyfloat_refuses_like_redis() {
    let s = TestServer::start();
    let mut r = s.raw();
    for incr in ["inf", "-Infinity"] {
        assert_eq!(r.cmd(&["INCRBYFLOAT", "k", incr]), err(NAN_OR_INFINITY));
    }
    for incr in [
        "nan",
        "1e",
        "0x",
        " 1",
        "1e-4951",
        "1e5000",
        "0x1.0000000000000001p-16446",
    ] {
        assert_eq!(r.cmd(&["INCRBYFLOAT", "k", incr]), err(NOT_FLOAT), "{incr}");
    }
    assert_eq!(r.cmd(&["EXISTS", "k"]), Frame::Int(0));
    // A 64-bit double takes 1e309 as infinity; here it is a finite value.
    r.cmd(&["SET", "k", "10"]);
    let Frame::Bulk(Some(text)) = r.cmd(&["INCRBYFLOAT", "k", "1e309"]) else {
        panic!("no bulk reply");
    };
    assert_eq!(text.len(), 309);
    assert!(text.starts_with(b"999999999999999999986349424581256454766"));
    r.cmd(&["SET", "max", "1.18973149535723176502e4932"]);
    assert_eq!(
        r.cmd(&["INCRBYFLOAT", "max", "1e4913"]),
        err(NAN_OR_INFINITY)
    );
    assert_eq!(
        r.cmd(&["GET", "max"]),
        Frame::bulk("1.18973149535723176502e4932")
    );
    r.cmd(&["SET", "k", "abc"]);
    assert_eq!(r.cmd(&["INCRBYFLOAT", "k", "1"]), err(NOT_FLOAT));
}
