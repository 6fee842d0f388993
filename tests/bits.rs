//! Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
//! BITFIELD_RO. Every expected reply was checked against redis-server
//! 7.0.15. To check them again, run the suite against a real Redis:
//! `REDDISH_TEST_AGAINST=<port> cargo test --test bits -- --test-threads=1`
//! (each test flushes that server).

mod common;

use common::{err, int, ints, nil, ok, Frame, Raw, TestServer};

const BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BIT_VALUE: &str = "ERR bit is not an integer or out of range";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const FIELD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The server under test and a raw connection to it.
struct Target {
    _server: Option<TestServer>,
    raw: Raw,
}

impl Target {
    fn start() -> Target {
        Self::with_max_bulk_len("536870912")
    }

    /// A server whose proto-max-bulk-len is `max` bytes.
    fn with_max_bulk_len(max: &str) -> Target {
        match std::env::var("REDDISH_TEST_AGAINST") {
            Ok(port) => {
                let mut raw = Raw::connect(port.parse().expect("REDDISH_TEST_AGAINST port"));
                raw.cmd(&["FLUSHALL"]);
                raw.cmd(&["CONFIG", "SET", "proto-max-bulk-len", max]);
                Target { _server: None, raw }
            }
            Err(_) => {
                let server = TestServer::start_with(&["--proto-max-bulk-len", max]);
                let raw = server.raw();
                Target {
                    _server: Some(server),
                    raw,
                }
            }
        }
    }

    /// Runs a command written as space-separated words.
    fn run(&mut self, line: &str) -> Frame {
        let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        self.raw.cmd_bytes(&args)
    }

    /// Runs `line` and checks its reply.
    fn expect(&mut self, line: &str, want: Frame) {
        assert_eq!(self.run(line), want, "{}", line);
    }

    fn set(&mut self, key: &str, value: &[u8]) {
        assert_eq!(self.raw.cmd_bytes(&[b"SET", key.as_bytes(), value]), ok());
    }

    fn get(&mut self, key: &str) -> Frame {
        self.raw.cmd_bytes(&[b"GET", key.as_bytes()])
    }
}

/// A BITFIELD reply: integers, `None` for a FAIL overflow.
fn fields(values: &[Option<i64>]) -> Frame {
    Frame::Array(Some(values.iter().map(|v| v.map_or(nil(), int)).collect()))
}

#[test]
fn setbit_and_getbit() {
    let mut t = Target::start();
    t.expect("SETBIT k 7 1", int(0));
    assert_eq!(t.get("k"), Frame::bulk(b"\x01"));
    t.expect("SETBIT k 7 1", int(1));
    t.expect("SETBIT k 7 0", int(1));
    t.expect("SETBIT k 100 1", int(0));
    t.expect("STRLEN k", int(13));
    t.expect("GETBIT k 100", int(1));
    t.expect("GETBIT k 99", int(0));
    t.expect("GETBIT k 100000", int(0));
    t.expect("GETBIT nokey 5", int(0));
    t.expect("SETBIT k 0 1", int(0));
    assert_eq!(t.run("GETRANGE k 0 0"), Frame::bulk(b"\x80"));
}

#[test]
fn setbit_and_getbit_argument_errors() {
    let mut t = Target::start();
    t.set("k", b"\xff");
    for offset in ["-1", "x", "1.5", "4294967296", "#1", "+1", "01", "1 "] {
        assert_eq!(
            t.raw
                .cmd_bytes(&[b"SETBIT", b"k2", offset.as_bytes(), b"1"]),
            err(BIT_OFFSET)
        );
        assert_eq!(
            t.raw.cmd_bytes(&[b"GETBIT", b"k", offset.as_bytes()]),
            err(BIT_OFFSET)
        );
    }
    assert_eq!(
        t.raw.cmd_bytes(&[b"SETBIT", b"k2", b"", b"1"]),
        err(BIT_OFFSET)
    );
    for value in ["2", "-1", "x", "01", "1.0", "10"] {
        t.expect(&format!("SETBIT k2 1 {}", value), err(BIT_VALUE));
    }
    assert_eq!(
        t.raw.cmd_bytes(&[b"SETBIT", b"k2", b"1", b""]),
        err(BIT_VALUE)
    );
    // The offset is checked before the value, and both before the key.
    t.expect("SETBIT nokey x x", err(BIT_OFFSET));
    t.expect("GETBIT nokey x", err(BIT_OFFSET));
    assert_eq!(t.get("k2"), nil());
    assert_eq!(t.get("nokey"), nil());
    t.expect(
        "SETBIT",
        err("ERR wrong number of arguments for 'setbit' command"),
    );
    t.expect(
        "GETBIT k",
        err("ERR wrong number of arguments for 'getbit' command"),
    );
    // The largest legal offset addresses the last byte of a 512MB string.
    t.expect("GETBIT k 4294967295", int(0));
}

#[test]
fn offsets_are_bounded_by_proto_max_bulk_len() {
    let mut t = Target::with_max_bulk_len("1048576");
    t.expect("SETBIT k 8388608 1", err(BIT_OFFSET));
    t.expect("GETBIT k 8388608", err(BIT_OFFSET));
    t.expect("BITFIELD k GET u8 8388608", err(BIT_OFFSET));
    t.expect("BITFIELD k GET u8 #1048576", err(BIT_OFFSET));
    t.expect("BITFIELD k GET i64 #131072", err(BIT_OFFSET));
    t.expect("BITFIELD k GET u8 #1048575", ints(&[0]));
    t.expect("SETBIT k 8388607 1", int(0));
    t.expect("STRLEN k", int(1048576));
    t.expect("GETBIT k 8388607", int(1));
    // A field may start at the last legal bit and run past the limit.
    t.expect("BITFIELD k2 SET i64 8388607 -1", ints(&[0]));
    t.expect("STRLEN k2", int(1048584));
    t.expect("BITFIELD k2 GET i64 8388607", ints(&[-1]));
}

#[test]
fn bits_of_integer_encoded_strings_are_their_digits() {
    let mut t = Target::start();
    t.expect("SET k 1", Frame::Simple("OK".into()));
    // "1" is 0x31: 00110001.
    t.expect("GETBIT k 0", int(0));
    t.expect("GETBIT k 2", int(1));
    t.expect("GETBIT k 7", int(1));
    t.expect("GETBIT k 8", int(0));
    t.expect("SETBIT k 0 0", int(0));
    assert_eq!(t.get("k"), Frame::bulk(b"1"));
    t.expect("SETBIT k 1 1", int(0));
    assert_eq!(t.get("k"), Frame::bulk(b"q"));
    t.expect("SET n 12345", Frame::Simple("OK".into()));
    t.expect("BITCOUNT n", int(17));
    t.expect("BITPOS n 1", int(2));
    t.expect("BITPOS n 0 1", int(8));
    t.expect("BITFIELD n GET u8 0 GET u16 4", ints(&[49, 4899]));
    t.expect("BITFIELD_RO n GET i8 #4", ints(&[53]));
    t.expect("BITFIELD n INCRBY u8 #4 1", ints(&[54]));
    assert_eq!(t.get("n"), Frame::bulk(b"12346"));
}

#[test]
fn bitcount_ranges() {
    let mut t = Target::start();
    t.set("s", b"foobar");
    for (args, want) in [
        ("", 26),
        (" 0 -1", 26),
        (" 1 -2", 18),
        (" -2 1", 0),
        (" 0 1000", 26),
        (" 4 10", 7),
        (" 6 10", 0),
        (" -6 -7", 0),
        (" -100 -90", 4),
        (" 0 -1 bit", 26),
        (" 10 14 bit", 4),
        (" 3 14 bit", 7),
        (" 3 29 bit", 16),
        (" 10 -34 bit", 4),
        (" 3 -34 bit", 7),
        (" 3 -19 bit", 16),
        (" -2 1 bit", 0),
        (" 0 1000 bit", 26),
        (" 48 100 bit", 0),
        (" -100 -90 bit", 0),
        (" -6 -15 bit", 0),
        (" 1 1 BIT", 1),
        (" 1 1 ByTe", 6),
        (" -9223372036854775808 9223372036854775807 bit", 26),
        (" 9223372036854775807 -9223372036854775808", 0),
        (" 0 4294967296", 26),
    ] {
        t.expect(&format!("BITCOUNT s{}", args), int(want));
    }
}

#[test]
fn bitcount_edge_cases() {
    let mut t = Target::start();
    t.expect("BITCOUNT nokey", int(0));
    t.expect("BITCOUNT nokey 0 1000 bit", int(0));
    // A missing key answers 0 before its arguments are looked at.
    t.expect("BITCOUNT nokey a b", int(0));
    t.expect("BITCOUNT nokey 1", int(0));
    t.set("s", b"abc");
    t.expect("BITCOUNT s 0", err(SYNTAX));
    t.expect("BITCOUNT s 0 1 hello", err(SYNTAX));
    t.expect("BITCOUNT s 0 1 bit x", err(SYNTAX));
    t.expect("BITCOUNT s a 1", err(NOT_INTEGER));
    t.expect("BITCOUNT s 0 b", err(NOT_INTEGER));
    // Negative start after negative end answers 0 before the unit is read.
    t.expect("BITCOUNT s -1 -5 foo", int(0));
    assert_eq!(
        t.raw.cmd_bytes(&[b"BITCOUNT", b"s", b"0", b"0", b"bit\0x"]),
        int(0)
    );
    t.set("e", b"");
    t.expect("BITCOUNT e", int(0));
    t.expect("BITCOUNT e 0 -1 bit", int(0));
    t.set("ab", b"ab");
    t.expect("BITCOUNT ab 1 -1", int(3));
    t.set("w", b"__PPxxxxxxxxxxxxxxxxRR__");
    t.expect("BITCOUNT w 2 -3", int(74));
    t.expect(
        "BITCOUNT",
        err("ERR wrong number of arguments for 'bitcount' command"),
    );
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let mut t = Target::start();
    t.set("s", b"\xff\xf0\x00");
    t.expect("BITPOS s 0", int(12));
    t.expect("BITPOS s 0 0 -1 bit", int(12));
    t.expect("BITPOS s 0 1", int(12));
    t.expect("BITPOS s 0 1 -1 bit", int(12));
    t.expect("BITPOS s 1", int(0));
    t.expect("BITPOS s 1 2", int(-1));
    t.set("s", b"\x00\x0f\xff");
    t.expect("BITPOS s 1", int(12));
    t.expect("BITPOS s 1 1", int(12));
    t.expect("BITPOS s 1 1 -1 bit", int(12));

    t.set("s", b"\x00\xff\x00");
    for (args, want) in [
        ("0 0 -1", 0),
        ("0 1 -1", 16),
        ("0 2 -1", 16),
        ("0 2 200", 16),
        ("0 1 1", -1),
        ("0 0 -1 bit", 0),
        ("0 8 -1 bit", 16),
        ("0 16 -1 bit", 16),
        ("0 16 200 bit", 16),
        ("0 8 8 bit", -1),
        ("1 0 -1", 8),
        ("1 1 -1", 8),
        ("1 2 -1", -1),
        ("1 2 200", -1),
        ("1 1 1", 8),
        ("1 0 -1 bit", 8),
        ("1 8 -1 bit", 8),
        ("1 16 -1 bit", -1),
        ("1 16 200 bit", -1),
        ("1 8 8 bit", 8),
        ("1 3 12 bit", 8),
        ("1 12 13 BIT", 12),
        ("0 5 9 bit", 5),
    ] {
        t.expect(&format!("BITPOS s {}", args), int(want));
    }

    // Long runs: the first differing bit after whole machine words.
    let mut ones = vec![0xffu8; 27];
    ones.push(0x0f);
    t.set("long", &ones);
    for start in 0..9 {
        t.expect(&format!("BITPOS long 0 {}", start), int(216));
        t.expect(&format!("BITPOS long 0 {} -1 bit", start * 8 + 1), int(216));
    }
    let mut zeros = vec![0u8; 27];
    zeros.push(0xf0);
    t.set("long", &zeros);
    t.expect("BITPOS long 1", int(216));
    t.expect("BITPOS long 1 9 -1 bit", int(216));
    t.expect("BITPOS long 1 0 26", int(-1));
}

#[test]
fn bitpos_clear_bit_past_the_end() {
    let mut t = Target::start();
    // Without an end the string is followed by clear bits...
    t.set("s", b"\xff\xff\xff");
    t.expect("BITPOS s 0", int(24));
    t.expect("BITPOS s 0 0", int(24));
    t.expect("BITPOS s 0 1", int(24));
    t.expect("BITPOS s 0 -1", int(24));
    t.expect("BITPOS s 0 -100", int(24));
    // ...but not when an end is given, nor when the start is past the end.
    t.expect("BITPOS s 0 0 -1", int(-1));
    t.expect("BITPOS s 0 0 -1 bit", int(-1));
    t.expect("BITPOS s 0 0 200", int(-1));
    t.expect("BITPOS s 0 20 24 bit", int(-1));
    t.expect("BITPOS s 0 5", int(-1));
    // A missing key is all clear bits; an empty string has none.
    t.expect("BITPOS nokey 0", int(0));
    t.expect("BITPOS nokey 0 0 -1 bit", int(0));
    t.expect("BITPOS nokey 1", int(-1));
    t.expect("BITPOS nokey 1 0 -1", int(-1));
    t.set("e", b"");
    t.expect("BITPOS e 0", int(-1));
    t.expect("BITPOS e 1", int(-1));
    t.expect("BITPOS e 0 0", int(-1));
    t.expect("BITPOS e 0 0 -1 bit", int(-1));
    for n in 1..20 {
        t.set("z", &vec![0u8; n]);
        t.expect("BITPOS z 1", int(-1));
        t.expect("BITPOS z 1 0 -1 bit", int(-1));
        t.expect("BITPOS z 0 1", int(if n > 1 { 8 } else { -1 }));
    }
}

#[test]
fn bitpos_argument_handling() {
    let mut t = Target::start();
    t.set("s", b"abc");
    // Unlike BITCOUNT, a negative start past a negative end is clamped to
    // the first byte rather than answered as empty.
    t.expect("BITPOS s 1 -4 -10", int(1));
    t.expect("BITPOS s 0 -4 -10", int(0));
    t.expect("BITPOS s 1 -4 -10 bit", int(-1));
    t.expect("BITPOS s 2", err("ERR The bit argument must be 1 or 0."));
    t.expect("BITPOS s -1", err("ERR The bit argument must be 1 or 0."));
    t.expect("BITPOS s x", err(NOT_INTEGER));
    t.expect(
        "BITPOS nokey 2",
        err("ERR The bit argument must be 1 or 0."),
    );
    // A missing key answers before the range is parsed.
    t.expect("BITPOS nokey 1 x y z w", int(-1));
    t.expect("BITPOS s 1 x", err(NOT_INTEGER));
    t.expect("BITPOS s 1 0 x", err(NOT_INTEGER));
    // The unit is checked before the end.
    t.expect("BITPOS s 1 0 x foo", err(SYNTAX));
    t.expect("BITPOS s 1 0 1 bits", err(SYNTAX));
    t.expect("BITPOS s 1 0 1 bit x", err(SYNTAX));
    t.expect("BITPOS s 1 0 1 BYTE", int(1));
    t.expect("BITPOS s 1 9223372036854775807", int(-1));
    t.expect(
        "BITPOS s 1 -9223372036854775808 9223372036854775807 bit",
        int(1),
    );
    t.expect(
        "BITPOS s",
        err("ERR wrong number of arguments for 'bitpos' command"),
    );
}

#[test]
fn bitop_and_or_xor_not() {
    let mut t = Target::start();
    t.set("a", b"\x01\x02\xff\xff");
    t.set("b", b"\x01\x02\xff");
    t.expect("BITOP AND d a b", int(4));
    assert_eq!(t.get("d"), Frame::bulk(b"\x01\x02\xff\x00"));
    t.expect("BITOP or d a b", int(4));
    assert_eq!(t.get("d"), Frame::bulk(b"\x01\x02\xff\xff"));
    t.expect("BITOP Xor d a b", int(4));
    assert_eq!(t.get("d"), Frame::bulk(b"\x00\x00\x00\xff"));
    t.expect("BITOP NOT d b", int(3));
    assert_eq!(t.get("d"), Frame::bulk(b"\xfe\xfd\x00"));
    for op in ["AND", "OR", "XOR"] {
        t.expect(&format!("BITOP {} d b", op), int(3));
        assert_eq!(t.get("d"), Frame::bulk(b"\x01\x02\xff"), "{}", op);
    }
    // Missing keys are streams of zero bytes.
    t.expect("BITOP AND d nokey b", int(3));
    assert_eq!(t.get("d"), Frame::bulk(b"\x00\x00\x00"));
    t.expect("BITOP OR d nokey b nokey2", int(3));
    assert_eq!(t.get("d"), Frame::bulk(b"\x01\x02\xff"));
    t.expect("BITOP XOR d b nokey", int(3));
    assert_eq!(t.get("d"), Frame::bulk(b"\x01\x02\xff"));
    // Several inputs beyond a machine word.
    let long: Vec<u8> = (0..100u8).collect();
    t.set("l1", &long);
    t.set(
        "l2",
        &long.iter().map(|b| b.wrapping_mul(7)).collect::<Vec<_>>(),
    );
    t.expect("BITOP XOR d l1 l2 b", int(100));
    let mut want: Vec<u8> = long.iter().map(|&b| b ^ b.wrapping_mul(7)).collect();
    for (w, x) in want.iter_mut().zip(b"\x01\x02\xff") {
        *w ^= x;
    }
    assert_eq!(t.get("d"), Frame::bulk(&want));
    t.set("z", &[0u8; 32]);
    t.expect("BITOP OR x z nokey", int(32));
}

#[test]
fn bitop_destination() {
    let mut t = Target::start();
    t.set("s", b"\xaa\x00\xff\x55");
    t.expect("BITOP NOT s s", int(4));
    assert_eq!(t.get("s"), Frame::bulk(b"\x55\xff\x00\xaa"));
    // Integer-encoded sources are their digits.
    t.expect("SET a 1", Frame::Simple("OK".into()));
    t.expect("SET b 2", Frame::Simple("OK".into()));
    t.expect("BITOP XOR d a b a", int(1));
    assert_eq!(t.get("d"), Frame::bulk(b"2"));
    // An empty result deletes the destination.
    t.set("d", b"old");
    t.expect("BITOP NOT d nokey", int(0));
    assert_eq!(t.get("d"), nil());
    t.set("d", b"old");
    t.set("e", b"");
    t.expect("BITOP OR d e nokey e", int(0));
    assert_eq!(t.get("d"), nil());
    // The destination is replaced, expiry included.
    t.expect("SET d old PX 100", Frame::Simple("OK".into()));
    t.expect("BITOP AND d a", int(1));
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(t.get("d"), Frame::bulk(b"1"));
}

#[test]
fn bitop_errors() {
    let mut t = Target::start();
    t.set("a", b"x");
    t.expect("BITOP NAND d a", err(SYNTAX));
    t.expect(
        "BITOP NOT d a a",
        err("ERR BITOP NOT must be called with a single source key."),
    );
    t.expect(
        "BITOP AND d",
        err("ERR wrong number of arguments for 'bitop' command"),
    );
    assert_eq!(
        t.raw.cmd_bytes(&[b"BITOP", b"and\0junk", b"d", b"a"]),
        int(1)
    );
    assert_eq!(t.get("d"), Frame::bulk(b"x"));
}

#[test]
fn bitfield_set_get_incrby() {
    let mut t = Target::start();
    t.expect("BITFIELD bits SET i8 0 -100", ints(&[0]));
    t.expect("BITFIELD bits SET i8 0 101", ints(&[-100]));
    t.expect("BITFIELD bits GET i8 0", ints(&[101]));
    t.expect("BITFIELD bits SET u8 0 255", ints(&[101]));
    t.expect("BITFIELD bits SET u8 0 100", ints(&[255]));
    t.expect("BITFIELD bits GET u8 0", ints(&[100]));
    t.expect(
        "BITFIELD bits set i8 0 255 set i8 0 100 get i8 0",
        ints(&[100, -1, 100]),
    );
    t.expect(
        "BITFIELD bits set u8 0 255 incrby u8 0 100 get u8 0",
        ints(&[100, 99, 99]),
    );
    t.expect("BITFIELD bits", ints(&[]));
    t.expect(
        "BITFIELD bits SET u8 #0 65 SET u8 #1 66 SET u8 #2 67",
        ints(&[99, 0, 0]),
    );
    assert_eq!(t.get("bits"), Frame::bulk(b"ABC"));
    t.expect(
        "BITFIELD bits INCRBY u8 #0 100 INCRBY u8 #0 100",
        ints(&[165, 9]),
    );
    // Unaligned fields of every width, and reads past the end.
    t.expect(
        "BITFIELD f SET u5 7 23 GET u5 7 GET u16 0",
        ints(&[0, 23, 368]),
    );
    assert_eq!(t.get("f"), Frame::bulk(b"\x01\x70"));
    t.expect(
        "BITFIELD f SET u1 3 1 GET u4 0 INCRBY i3 2 3",
        ints(&[0, 1, -3]),
    );
    t.expect(
        "BITFIELD f GET i64 100 GET u63 1 GET i1 3",
        ints(&[0, 2985886552946638848, 0]),
    );
    t.expect(
        "BITFIELD f SET i64 0 -1 GET u63 0 GET u63 1 INCRBY i64 0 -9223372036854775807",
        ints(&[
            2985886552946638848,
            9223372036854775807,
            9223372036854775807,
            -9223372036854775808,
        ]),
    );
    t.set("r", b"1");
    t.expect("BITFIELD r GET u1 0", ints(&[0]));
    t.expect(
        "BITFIELD m SET i8 0 10 SET i8 64 10 INCRBY i8 10 99900",
        ints(&[0, 0, 60]),
    );
}

#[test]
fn bitfield_overflow_modes() {
    let mut t = Target::start();
    t.expect("BITFIELD b SET u8 #0 100", ints(&[0]));
    t.expect("BITFIELD b OVERFLOW WRAP INCRBY u8 #0 257", ints(&[101]));
    t.expect("BITFIELD b overflow wrap incrby u8 #0 255", ints(&[100]));
    t.expect("BITFIELD b OVERFLOW SAT INCRBY u8 #0 257", ints(&[255]));
    t.expect("BITFIELD b OVERFLOW SAT INCRBY u8 #0 -255", ints(&[0]));
    t.expect(
        "BITFIELD b OVERFLOW FAIL INCRBY u8 #0 -1 INCRBY u8 #0 1",
        fields(&[None, Some(1)]),
    );
    // The mode applies to the operations after it.
    t.expect(
        "BITFIELD b OVERFLOW FAIL INCRBY u8 #0 255 OVERFLOW WRAP INCRBY u8 #0 255",
        fields(&[None, Some(0)]),
    );
    t.expect("BITFIELD s SET i8 #0 100", ints(&[0]));
    t.expect("BITFIELD s OVERFLOW WRAP INCRBY i8 #0 257", ints(&[101]));
    t.expect("BITFIELD s OVERFLOW WRAP INCRBY i8 #0 255", ints(&[100]));
    t.expect("BITFIELD s OVERFLOW SAT INCRBY i8 #0 257", ints(&[127]));
    t.expect("BITFIELD s OVERFLOW SAT INCRBY i8 #0 -255", ints(&[-128]));
    t.expect(
        "BITFIELD s OVERFLOW FAIL SET i8 #0 128 SET i8 #0 -129 GET i8 #0",
        fields(&[None, None, Some(-128)]),
    );
    t.expect(
        "BITFIELD s OVERFLOW WRAP SET i8 #0 128 GET i8 #0",
        ints(&[-128, -128]),
    );
    // SET of an unsigned field reads the value as 64-bit two's complement.
    t.expect(
        "BITFIELD s OVERFLOW SAT SET u8 0 -1 GET u8 0",
        ints(&[128, 255]),
    );
    t.expect("BITFIELD s OVERFLOW FAIL SET u63 0 -1", fields(&[None]));
    // Redis's limit arithmetic wraps: values far below a narrow signed
    // type's minimum saturate to its maximum.
    t.expect(
        "BITFIELD s OVERFLOW SAT SET i8 0 -9223372036854775808 GET i8 0",
        ints(&[-1, 127]),
    );
    t.expect(
        "BITFIELD s OVERFLOW SAT SET i8 0 -9223372036854775681 GET i8 0",
        ints(&[127, 127]),
    );
    t.expect(
        "BITFIELD s OVERFLOW SAT SET i8 0 -9223372036854775680 GET i8 0",
        ints(&[127, -128]),
    );
    t.expect(
        "BITFIELD s OVERFLOW WRAP SET i8 0 -9223372036854775808 GET i8 0",
        ints(&[-128, 0]),
    );
    // 64-bit signed fields.
    t.expect("BITFIELD w SET i64 0 9223372036854775807", ints(&[0]));
    t.expect("BITFIELD w INCRBY i64 0 2", ints(&[-9223372036854775807]));
    t.expect(
        "BITFIELD w OVERFLOW SAT INCRBY i64 0 -5",
        ints(&[-9223372036854775808]),
    );
    t.expect(
        "BITFIELD w OVERFLOW FAIL INCRBY i64 0 -1 INCRBY i64 0 0",
        fields(&[None, Some(-9223372036854775808)]),
    );
}

#[test]
fn bitfield_argument_errors() {
    let mut t = Target::start();
    t.set("k", b"abc");
    for line in [
        "BITFIELD k GET u8 1 SET",
        "BITFIELD k GET u8 1 foo",
        "BITFIELD k GET u8",
        "BITFIELD k SET u8 0",
        "BITFIELD k INCRBY u8 0",
        "BITFIELD k OVERFLOW",
    ] {
        t.expect(line, err(SYNTAX));
    }
    for ty in [
        "x8", "U8", "u08", "u", "i", "u64", "i65", "i0", "u0", "u-1", "8",
    ] {
        t.expect(&format!("BITFIELD k GET {} 0", ty), err(FIELD_TYPE));
    }
    for offset in ["#", "#-1", "-0", "-1", "x", "#x", "4294967296", "##1"] {
        t.expect(&format!("BITFIELD k GET u8 {}", offset), err(BIT_OFFSET));
    }
    t.expect(
        "BITFIELD k OVERFLOW x GET u8 0",
        err("ERR Invalid OVERFLOW type specified"),
    );
    t.expect(
        "BITFIELD k GET u8 0 OVERFLOW x",
        err("ERR Invalid OVERFLOW type specified"),
    );
    t.expect("BITFIELD k SET u8 0 x", err(NOT_INTEGER));
    t.expect("BITFIELD k INCRBY u8 0 1.5", err(NOT_INTEGER));
    // Arguments are checked in order; nothing runs if one is bad.
    t.expect("BITFIELD k SET x8 0 1 SET u8 0 x", err(FIELD_TYPE));
    t.expect("BITFIELD k SET u8 0 1 GET x8 0", err(FIELD_TYPE));
    t.expect("BITFIELD k SET u8 0 x GET x8 0", err(NOT_INTEGER));
    assert_eq!(t.get("k"), Frame::bulk(b"abc"));
    t.expect(
        "BITFIELD",
        err("ERR wrong number of arguments for 'bitfield' command"),
    );
    // Keywords and types end at a NUL byte, as Redis reads them with C string functions.
    assert_eq!(
        t.raw
            .cmd_bytes(&[b"BITFIELD", b"k", b"get\0zz", b"u8\0junk", b"0"]),
        ints(&[97])
    );
    assert_eq!(
        t.raw.cmd_bytes(&[b"BITFIELD", b"k", b"GET", b"u8", b"0\0"]),
        err(BIT_OFFSET)
    );
}

#[test]
fn bitfield_field_index_offsets() {
    let mut t = Target::start();
    t.set("k", b"abcdefghijklmnop");
    t.expect(
        "BITFIELD k GET u8 #1 GET i16 #1 GET u4 #3",
        ints(&[98, 25444, 2]),
    );
    // `#N` times the width is not checked for overflow, like in Redis:
    // (2^61 + 1) * 8 wraps to 8.
    t.expect("BITFIELD k GET u8 #2305843009213693953", ints(&[98]));
    t.expect("BITFIELD k GET u8 #1152921504606846976", err(BIT_OFFSET));
    // `#` only means something to BITFIELD.
    t.expect("GETBIT k #1", err(BIT_OFFSET));
}

#[test]
fn bitfield_key_creation_and_growth() {
    let mut t = Target::start();
    // GETs alone never create the key.
    t.expect("BITFIELD nokey GET u8 0 GET i64 100", ints(&[0, 0]));
    assert_eq!(t.get("nokey"), nil());
    t.expect("BITFIELD nokey", ints(&[]));
    t.expect("BITFIELD nokey OVERFLOW SAT", ints(&[]));
    assert_eq!(t.get("nokey"), nil());
    // A write creates and grows the string to its farthest field, even
    // when the write itself fails.
    t.expect("BITFIELD f OVERFLOW FAIL INCRBY u2 100 10", fields(&[None]));
    assert_eq!(t.get("f"), Frame::bulk(&[0u8; 13]));
    t.expect(
        "BITFIELD g GET u8 200 SET u4 10 15 GET u8 8",
        ints(&[0, 0, 60]),
    );
    assert_eq!(t.get("g"), Frame::bulk(b"\x00\x3c"));
    t.set("h", b"x");
    t.expect("BITFIELD h SET u8 #0 121", ints(&[120]));
    assert_eq!(t.get("h"), Frame::bulk(b"y"));
}

#[test]
fn bitfield_ro() {
    let mut t = Target::start();
    t.expect("BITFIELD bits SET u8 0 255", ints(&[0]));
    t.expect("BITFIELD_RO bits GET u8 0 GET i4 #1", ints(&[255, -1]));
    t.expect("BITFIELD_RO bits", ints(&[]));
    t.expect("BITFIELD_RO bits OVERFLOW SAT GET u8 0", ints(&[255]));
    t.expect("BITFIELD_RO nokey GET u8 0", ints(&[0]));
    let ro = err("ERR BITFIELD_RO only supports the GET subcommand");
    t.expect("BITFIELD_RO bits SET u8 0 100 GET u8 0", ro.clone());
    t.expect("BITFIELD_RO bits INCRBY u8 0 1", ro.clone());
    t.expect("BITFIELD_RO nokey GET u8 0 INCRBY u8 0 1", ro);
    // Argument errors come first.
    t.expect("BITFIELD_RO bits SET u8 0 x", err(NOT_INTEGER));
    t.expect("BITFIELD_RO bits FOO", err(SYNTAX));
    assert_eq!(t.get("nokey"), nil());
    t.expect("BITFIELD_RO bits GET u8 0", ints(&[255]));
}

/// Commands that do not run against non-strings (a list made by LPUSH).
#[test]
fn wrong_type() {
    let mut t = Target::start();
    t.expect("LPUSH l x", int(1));
    t.set("s", b"x");
    for line in [
        "SETBIT l 0 1",
        "GETBIT l 0",
        "BITCOUNT l",
        "BITCOUNT l 0",
        "BITPOS l 1",
        "BITPOS l 0 x y z w",
        "BITOP AND d s l nokey",
        "BITOP NOT d l",
        "BITFIELD l",
        "BITFIELD l GET u8 0",
        "BITFIELD l SET u8 0 1",
        "BITFIELD_RO l GET u8 0",
    ] {
        t.expect(line, err(WRONGTYPE));
    }
    // Arguments are checked before the type.
    t.expect("SETBIT l x 1", err(BIT_OFFSET));
    t.expect("BITPOS l 2", err("ERR The bit argument must be 1 or 0."));
    t.expect("BITFIELD l GET x8 0", err(FIELD_TYPE));
    t.expect(
        "BITFIELD_RO l SET u8 0 1",
        err("ERR BITFIELD_RO only supports the GET subcommand"),
    );
    t.expect("BITOP NAND d l", err(SYNTAX));
    assert_eq!(t.get("d"), nil());
}

/// A tiny deterministic generator for the fuzz test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The bits of `s`, most significant first.
fn bits_of(s: &[u8]) -> Vec<bool> {
    s.iter()
        .flat_map(|b| (0..8).map(move |i| b & (0x80 >> i) != 0))
        .collect()
}

#[test]
fn bitcount_and_bitpos_agree_with_a_bit_by_bit_model() {
    let mut t = Target::start();
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let len = rng.below(40) as usize;
        let dense = rng.below(2) == 0;
        let s: Vec<u8> = (0..len)
            .map(|_| match (dense, rng.below(4)) {
                (true, _) | (false, 0) => rng.below(256) as u8,
                (false, 1) => 0xff,
                _ => 0,
            })
            .collect();
        t.set("s", &s);
        let bits = bits_of(&s);
        let nbits = bits.len() as i64;
        let start = rng.below(nbits as u64 + 1) as i64;
        let end = (start + rng.below(70) as i64).min(nbits.max(1) - 1);
        let ones = bits
            .iter()
            .take((end + 1) as usize)
            .skip(start as usize)
            .filter(|&&b| b)
            .count() as i64;
        t.expect(&format!("BITCOUNT s {} {} BIT", start, end), int(ones));
        for bit in [false, true] {
            let first = (start..=end).find(|&i| bits.get(i as usize) == Some(&bit));
            let line = format!("BITPOS s {} {} {} BIT", u8::from(bit), start, end);
            t.expect(&line, int(first.unwrap_or(-1)));
        }
        let whole_first = bits.iter().position(|&b| b);
        t.expect("BITPOS s 1", int(whole_first.map_or(-1, |p| p as i64)));
    }
}
