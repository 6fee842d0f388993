//! Expiry commands: setting a key's time to live (EXPIRE, PEXPIRE,
//! EXPIREAT, PEXPIREAT with NX/XX/GT/LT), reading it (TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME) and removing it (PERSIST).
//!
//! Expiry times are absolute unix milliseconds. Setting one that is already
//! past deletes the key at once, as Redis does on a primary.

use super::int_arg;
use crate::commands::strings::deletion_command;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Command, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::util::now_ms;

/// The unit of the time argument.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Milliseconds,
}

/// Whether the time argument counts from now or from the unix epoch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    Now,
    Epoch,
}

/// The NX / XX / GT / LT conditions.
#[derive(Default, Clone, Copy)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    /// Parses the option words after the time argument.
    fn parse(args: &Args) -> Result<Self, CmdError> {
        let mut c = Conditions::default();
        for opt in args.iter().skip(3) {
            let slot = match opt.to_ascii_lowercase().as_slice() {
                b"nx" => &mut c.nx,
                b"xx" => &mut c.xx,
                b"gt" => &mut c.gt,
                b"lt" => &mut c.lt,
                _ => return Err(CmdError::concat(&[b"ERR Unsupported option ", opt])),
            };
            *slot = true;
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(
                "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
            );
        }
        if c.gt && c.lt {
            return Err("ERR GT and LT options at the same time are not compatible".into());
        }
        Ok(c)
    }

    /// True if a key whose expiry is `current` (`None`: no expiry, which
    /// counts as infinite) may get the expiry `when`.
    fn allow(self, current: Option<i64>, when: i64) -> bool {
        let refused = (self.nx && current.is_some())
            || (self.xx && current.is_none())
            || (self.gt && current.is_none_or(|t| when <= t))
            || (self.lt && current.is_some_and(|t| when >= t));
        !refused
    }
}

/// The absolute expiry in milliseconds named by `arg`, or the command's
/// `invalid expire time` error when the arithmetic would overflow.
fn absolute_ms(arg: &[u8], unit: Unit, base: Base, command: &str) -> Result<i64, CmdError> {
    let value = int_arg(arg)?;
    let ms = match unit {
        Unit::Seconds => value.checked_mul(1000),
        Unit::Milliseconds => Some(value),
    };
    let base_ms = match base {
        Base::Now => now_ms(),
        Base::Epoch => 0,
    };
    ms.and_then(|ms| ms.checked_add(base_ms))
        .ok_or_else(|| errors::invalid_expire(command))
}

fn expire_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    unit: Unit,
    base: Base,
    command: &str,
) -> CmdResult {
    let conditions = Conditions::parse(args)?;
    let when = absolute_ms(&args[2], unit, base, command)?;
    let key = &args[1];
    let lazy = srv.config.lazyfree_lazy_expire;
    let loading = srv.persistence.loading.is_some();
    let mut w = srv.write_key(c.db, key);
    if !w.exists() || !conditions.allow(w.expire_at(), when) {
        c.reply.int(0);
        return Ok(());
    }
    // A file being loaded keeps the TTL as written (Redis's
    // `checkAlreadyExpired`); the key expires once loading is over.
    if when <= now_ms() && !loading {
        w.delete();
        w.changed(1, DEL);
        w.propagate_as(&[deletion_command(lazy), key]);
        c.reply.int(1);
    } else {
        // As Redis: the reply, then the event.
        w.set_expire(when);
        c.reply.int(1);
        w.pushes_after_reply(c);
        w.changed(1, KeyEvent::generic("expire"));
        w.propagate_as(&pexpireat_form(args, &when.to_string()));
    }
    Ok(())
}

/// Replicas get every form as `PEXPIREAT key <absolute ms> [options]`.
fn pexpireat_form<'a>(args: &Args<'a>, when: &'a str) -> Vec<&'a [u8]> {
    let key = args.get(1).unwrap_or_default();
    let mut parts: Vec<&[u8]> = vec![b"PEXPIREAT", key, when.as_bytes()];
    parts.extend(args.iter().skip(3));
    parts
}

pub fn expire(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, Unit::Seconds, Base::Now, "expire")
}

pub fn pexpire(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, Unit::Milliseconds, Base::Now, "pexpire")
}

pub fn expireat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, Unit::Seconds, Base::Epoch, "expireat")
}

pub fn pexpireat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, Unit::Milliseconds, Base::Epoch, "pexpireat")
}

/// What a TTL-family command reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TtlForm {
    /// Time left (TTL, PTTL).
    Remaining,
    /// The unix time of expiry (EXPIRETIME, PEXPIRETIME).
    Absolute,
}

/// Replies -2 for a missing key, -1 for a key without expiry, otherwise the
/// time in the asked unit (seconds rounded to nearest, never below 0).
fn ttl_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    unit: Unit,
    form: TtlForm,
) -> CmdResult {
    let (db, key) = (c.db, &args[1]);
    if srv.lookup_read_notouch(db, key).is_none() {
        c.reply.int(-2);
        return Ok(());
    }
    let Some(when) = srv.expire_of(db, key) else {
        c.reply.int(-1);
        return Ok(());
    };
    let ms = match form {
        TtlForm::Remaining => when.saturating_sub(now_ms()),
        TtlForm::Absolute => when,
    }
    .max(0);
    c.reply.int(match unit {
        Unit::Milliseconds => ms,
        Unit::Seconds => ms.saturating_add(500) / 1000,
    });
    Ok(())
}

pub fn ttl(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, Unit::Seconds, TtlForm::Remaining)
}

pub fn pttl(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, Unit::Milliseconds, TtlForm::Remaining)
}

pub fn expiretime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, Unit::Seconds, TtlForm::Absolute)
}

pub fn pexpiretime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, Unit::Milliseconds, TtlForm::Absolute)
}

pub fn persist(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut w = srv.write_key(c.db, &args[1]);
    let removed = w.exists() && w.persist();
    if removed {
        w.changed(1, KeyEvent::generic("persist"));
    }
    c.reply.int(i64::from(removed));
    Ok(())
}

/// The expiry family's command table.
pub const COMMANDS: &[Command] = &[
    Command::new("expire", -3, expire)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc(
            "generic",
            "1.0.0",
            "O(1)",
            "Sets a key's time to live in seconds.",
        ),
    Command::new("pexpire", -3, pexpire)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc(
            "generic",
            "2.6.0",
            "O(1)",
            "Sets a key's time to live in milliseconds.",
        ),
    Command::new("expireat", -3, expireat)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc(
            "generic",
            "1.2.0",
            "O(1)",
            "Sets the unix time in seconds at which a key expires.",
        ),
    Command::new("pexpireat", -3, pexpireat)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc(
            "generic",
            "2.6.0",
            "O(1)",
            "Sets the unix time in milliseconds at which a key expires.",
        ),
    Command::new("ttl", 2, ttl)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "1.0.0",
            "O(1)",
            "Returns a key's time to live in seconds.",
        ),
    Command::new("pttl", 2, pttl)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .tips(&["nondeterministic_output"])
        .doc(
            "generic",
            "2.6.0",
            "O(1)",
            "Returns a key's time to live in milliseconds.",
        ),
    Command::new("expiretime", 2, expiretime)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc(
            "generic",
            "7.0.0",
            "O(1)",
            "Returns the unix time in seconds at which a key expires.",
        ),
    Command::new("pexpiretime", 2, pexpiretime)
        .flags(flag::READONLY | flag::FAST)
        .acl(acl::KEYSPACE | acl::READ | acl::FAST)
        .keys(&[KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1)])
        .doc(
            "generic",
            "7.0.0",
            "O(1)",
            "Returns the unix time in milliseconds at which a key expires.",
        ),
    Command::new("persist", 2, persist)
        .flags(flag::WRITE | flag::FAST)
        .acl(acl::KEYSPACE | acl::WRITE | acl::FAST)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc(
            "generic",
            "2.2.0",
            "O(1)",
            "Removes a key's expiry, making it persistent.",
        ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(nx: bool, xx: bool, gt: bool, lt: bool) -> Conditions {
        Conditions { nx, xx, gt, lt }
    }

    #[test]
    fn conditions_treat_no_expiry_as_infinite() {
        let none = Conditions::default();
        assert!(none.allow(None, 5) && none.allow(Some(9), 5));
        assert!(cond(true, false, false, false).allow(None, 5));
        assert!(!cond(true, false, false, false).allow(Some(9), 5));
        assert!(!cond(false, true, false, false).allow(None, 5));
        assert!(!cond(false, false, true, false).allow(None, 5));
        assert!(!cond(false, false, true, false).allow(Some(5), 5));
        assert!(cond(false, false, true, false).allow(Some(4), 5));
        assert!(cond(false, false, false, true).allow(None, 5));
        assert!(!cond(false, false, false, true).allow(Some(5), 5));
        assert!(!cond(false, true, false, true).allow(None, 5));
    }

    #[test]
    fn expiry_arithmetic_overflows_into_the_command_error() {
        let err = Err(errors::invalid_expire("expire"));
        assert_eq!(
            absolute_ms(b"9223372036854776", Unit::Seconds, Base::Epoch, "expire"),
            err
        );
        assert_eq!(
            absolute_ms(b"-9223372036854776", Unit::Seconds, Base::Epoch, "expire"),
            err
        );
        assert_eq!(
            absolute_ms(b"9223370399119966", Unit::Seconds, Base::Now, "expire"),
            err
        );
        assert_eq!(
            absolute_ms(b"-9223372036854775", Unit::Seconds, Base::Epoch, "x"),
            Ok(-9223372036854775000)
        );
        assert_eq!(
            absolute_ms(b"", Unit::Seconds, Base::Now, "x"),
            Err(errors::NOT_INTEGER.into())
        );
    }
}
