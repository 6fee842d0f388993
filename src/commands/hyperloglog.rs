//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//! An HLL is a string value in Redis's byte format (`types::hyperloglog`
//! does the encoding and the counting); this module checks the values,
//! touches the keyspace and propagates as Redis does:
//!
//! - PFADD counts one change per changed register (plus one for a new
//!   key) and raises `pfadd`; PFMERGE always counts one and raises `pfadd`;
//! - PFCOUNT of one key stores the cardinality it computed in the value's
//!   cache: WATCH hears of it and it counts one change (so it propagates),
//!   without an event;
//! - PFDEBUG GETREG and TODENSE count one change when they convert a
//!   sparse value to dense, without an event or a WATCH signal.

use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::keyspace::LookupEffects;
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::KeyEvent;
use crate::server::Server;
use crate::types::hyperloglog::{self as hll, Encoding, REGISTERS};
use crate::types::StrValue;

/// A string that fails the HLL header checks.
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/// Registers that do not add up.
const INVALIDOBJ: &str = "INVALIDOBJ Corrupted HLL object detected";
const NO_KEY: &str = "ERR The specified key does not exist";
const NOT_SPARSE: &str = "ERR HLL encoding is not sparse";

/// PFADD and PFMERGE raise the same event.
const PFADD: KeyEvent = KeyEvent::string("pfadd");

fn corrupt(_: hll::Corrupt) -> CmdError {
    CmdError::Static(INVALIDOBJ)
}

/// The bytes of a string holding an HLL, with their encoding (an
/// integer-encoded string never is one).
fn hll_bytes(s: &StrValue) -> Result<(&[u8], Encoding), CmdError> {
    let bytes = s.text().ok_or(NOT_HLL)?;
    let encoding = hll::encoding_of(bytes).ok_or(NOT_HLL)?;
    Ok((bytes, encoding))
}

/// The buffer of a string holding an HLL, checked and made `raw` to be
/// changed in place (as Redis unshares it).
fn hll_buffer(s: &mut StrValue) -> Result<&mut Vec<u8>, CmdError> {
    hll_bytes(s)?;
    Ok(s.make_raw())
}

/// `hll-sparse-max-bytes`.
fn sparse_max_len(srv: &Server) -> usize {
    usize::try_from(srv.config.hll_sparse_max_bytes).unwrap_or(usize::MAX)
}

/// PFADD key [element ...]
pub fn pfadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let max_len = sparse_max_len(srv);
    let mut w = srv.write_key(c.db, &args[1]);
    let created = !w.check::<StrValue>()?;
    let buf = hll_buffer(w.or_create(|| StrValue::raw(hll::new_sparse()))?)?;
    let mut updated = u64::from(created);
    for element in args.tail(2).iter() {
        if hll::add(buf, element, max_len).map_err(corrupt)? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(buf);
        w.changed(updated, PFADD);
    }
    c.reply.int(i64::from(updated > 0));
    Ok(())
}

/// PFCOUNT key [key ...]
pub fn pfcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 2 {
        return pfcount_union(srv, c, args);
    }
    let mut w = srv.update_key(c.db, &args[1], LookupEffects::READ);
    let Some(s) = w.existing::<StrValue>()? else {
        c.reply.int(0);
        return Ok(());
    };
    let buf = hll_buffer(s)?;
    let (card, computed) = match hll::cached(buf) {
        Some(card) => (card, false),
        None => {
            let card = hll::count(buf).map_err(corrupt)?;
            hll::store_cached(buf, card);
            (card, true)
        }
    };
    if computed {
        w.touched();
        w.counted(1);
    }
    c.reply.int(card as i64);
    Ok(())
}

/// Merges the HLLs at `keys` (missing keys are empty) into `max`; true if
/// one of them is dense.
fn merge_keys(
    srv: &mut Server,
    db: usize,
    keys: Args,
    max: &mut [u8; REGISTERS],
) -> Result<bool, CmdError> {
    let mut any_dense = false;
    for key in keys.iter() {
        let Some(obj) = srv.lookup_read(db, key) else {
            continue;
        };
        let s = obj.value.as_str().ok_or(errors::WRONGTYPE)?;
        let (bytes, encoding) = hll_bytes(s)?;
        any_dense |= encoding == Encoding::Dense;
        hll::merge_into(max, bytes).map_err(corrupt)?;
    }
    Ok(any_dense)
}

/// PFCOUNT of several keys: the cardinality of their union, leaving the
/// keys alone.
fn pfcount_union(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut max = [0u8; REGISTERS];
    merge_keys(srv, c.db, args.tail(1), &mut max)?;
    c.reply.int(hll::count_registers(&max) as i64);
    Ok(())
}

/// PFMERGE destkey [sourcekey ...]: the destination is one of the inputs.
pub fn pfmerge(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut max = [0u8; REGISTERS];
    let any_dense = merge_keys(srv, c.db, args.tail(1), &mut max)?;
    let max_len = sparse_max_len(srv);
    let mut w = srv.write_key(c.db, &args[1]);
    let buf = hll_buffer(w.or_create(|| StrValue::raw(hll::new_sparse()))?)?;
    if any_dense {
        hll::to_dense(buf).map_err(corrupt)?;
    }
    for (index, &value) in max.iter().enumerate() {
        if value != 0 {
            // The destination was checked as an input: it cannot fail.
            let _ = hll::set_register(buf, index, value, max_len);
        }
    }
    hll::invalidate_cache(buf);
    w.changed(1, PFADD);
    c.reply.ok();
    Ok(())
}

/// An argument as Redis's C string functions see it (up to a NUL byte).
fn c_str(arg: &[u8]) -> &[u8] {
    arg.split(|&b| b == 0).next().unwrap_or_default()
}

/// PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key
pub fn pfdebug(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let sub = c_str(&args[1]);
    let mut w = srv.write_key(c.db, &args[2]);
    let buf = hll_buffer(w.existing::<StrValue>()?.ok_or(NO_KEY)?)?;
    let encoding = hll::encoding_of(buf).ok_or(NOT_HLL)?;
    let converted = if sub.eq_ignore_ascii_case(b"getreg") {
        let converted = hll::to_dense(buf).map_err(corrupt)?;
        c.reply.array(REGISTERS);
        for value in hll::dense_values(buf) {
            c.reply.int(i64::from(value));
        }
        converted
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if encoding != Encoding::Sparse {
            return Err(NOT_SPARSE.into());
        }
        c.reply.bulk(hll::describe_sparse(buf).as_bytes());
        false
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        c.reply.simple(encoding.name());
        false
    } else if sub.eq_ignore_ascii_case(b"todense") {
        let converted = hll::to_dense(buf).map_err(corrupt)?;
        c.reply.int(i64::from(converted));
        converted
    } else {
        return Err(unknown_subcommand(sub));
    };
    if converted {
        // Propagated so replicas convert too; not a change readers see.
        w.counted(1);
    }
    Ok(())
}

/// `ERR Unknown PFDEBUG subcommand '<sub>'` (line breaks become spaces,
/// as in every formatted Redis error).
fn unknown_subcommand(sub: &[u8]) -> CmdError {
    let shown: Vec<u8> = sub
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    CmdError::concat(&[b"ERR Unknown PFDEBUG subcommand '", &shown, b"'"])
}

/// PFSELFTEST
pub fn pfselftest(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let max_len = sparse_max_len(srv);
    hll::self_test(&mut srv.rng, max_len).map_err(|e| CmdError::from(format!("ERR {e}")))?;
    c.reply.ok();
    Ok(())
}

pub const COMMANDS: &[Command] = &[
    Command::new("pfadd", -2, pfadd)
        .flags(flag::WRITE | flag::DENYOOM | flag::FAST)
        .acl(acl::WRITE | acl::HYPERLOGLOG | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::INSERT, 1, 0, 1)])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(1) to add every element.",
            "Adds elements to a HyperLogLog, creating it if needed.",
        ),
    Command::new("pfcount", -2, pfcount)
        .flags(flag::READONLY | flag::MAY_REPLICATE)
        .acl(acl::READ | acl::HYPERLOGLOG | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS, 1, -1, 1).notes(
            "RW because it may change the internal representation of the key, and propagate to replicas",
        )])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
            "Estimates the number of distinct elements added to one HyperLogLog or the union of several.",
        ),
    Command::new("pfmerge", -2, pfmerge)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::HYPERLOGLOG | acl::SLOW)
        .keys(&[
            KeySpec::range(ks::RW | ks::ACCESS | ks::INSERT, 1, 0, 1),
            KeySpec::range(ks::RO | ks::ACCESS, 2, -1, 1),
        ])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(N) to merge N HyperLogLogs, but with high constant times.",
            "Stores the union of HyperLogLogs in a key.",
        ),
    Command::new("pfdebug", 3, pfdebug)
        .flags(flag::WRITE | flag::DENYOOM | flag::ADMIN)
        .acl(acl::WRITE | acl::HYPERLOGLOG | acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .keys(&[KeySpec::range(ks::RW | ks::ACCESS, 2, 0, 1)])
        .doc(
            "hyperloglog",
            "2.8.9",
            "N/A",
            "Shows or converts the internal representation of a HyperLogLog.",
        ),
    Command::new("pfselftest", 1, pfselftest)
        .flags(flag::ADMIN)
        .acl(acl::HYPERLOGLOG | acl::ADMIN | acl::SLOW | acl::DANGEROUS)
        .doc(
            "hyperloglog",
            "2.8.9",
            "N/A",
            "Tests the HyperLogLog implementation.",
        ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{propagated_by, run_line, server_keeping_stream};

    #[test]
    fn writes_propagate_as_redis_propagates_them() {
        let (mut srv, mut c) = server_keeping_stream();
        let cases: &[(&str, &[&str])] = &[
            ("PFADD h a b", &["PFADD h a b"]),
            ("PFADD h a", &[]),
            ("PFADD h", &[]),
            ("PFCOUNT h", &["PFCOUNT h"]),
            ("PFCOUNT h", &[]),
            ("PFCOUNT h other", &[]),
            ("PFMERGE m", &["PFMERGE m"]),
            ("PFMERGE m h", &["PFMERGE m h"]),
            ("PFDEBUG ENCODING h", &[]),
            ("PFDEBUG DECODE h", &[]),
            ("PFDEBUG TODENSE h", &["PFDEBUG TODENSE h"]),
            ("PFDEBUG TODENSE h", &[]),
            ("PFDEBUG GETREG m", &["PFDEBUG GETREG m"]),
            ("PFDEBUG GETREG m", &[]),
        ];
        for (line, expected) in cases {
            assert_eq!(propagated_by(&mut srv, &mut c, line), *expected, "{line}");
        }
    }

    #[test]
    fn pfadd_counts_a_change_per_register_and_one_for_the_key() {
        let (mut srv, mut c) = server_keeping_stream();
        let before = srv.dirty;
        run_line(&mut srv, &mut c, "PFADD h a b c");
        assert_eq!(srv.dirty - before, 4);
        run_line(&mut srv, &mut c, "PFCOUNT h");
        assert_eq!(srv.dirty - before, 5);
    }

    #[test]
    fn subcommand_errors_quote_the_name_up_to_a_nul() {
        assert_eq!(
            unknown_subcommand(c_str(b"fo\r\no\0x")).bytes(),
            b"ERR Unknown PFDEBUG subcommand 'fo  o'"
        );
    }
}
