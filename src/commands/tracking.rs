//! The CLIENT subcommands of client-side caching: TRACKING, CACHING,
//! GETREDIR and TRACKINGINFO. They check what the client asks for, with
//! Redis's error texts, and leave the state to `server::tracking`.
//! `connection.rs` lists them among CLIENT's subcommands.

use super::{int_arg, is_opt};
use crate::db::Key;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::tracking::{ClientRef, Modes};
use crate::server::Server;
use std::collections::BTreeSet;

const NO_SUCH_REDIRECT: &str = "ERR The client ID you want redirect to does not exist";
const ONE_REDIRECT: &str = "ERR A client can only redirect to a single other client";
const PREFIX_NEEDS_BCAST: &str = "ERR PREFIX option requires BCAST mode to be enabled";
const BCAST_SWITCH: &str = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
const OPT_WITH_BCAST: &str = "ERR OPTIN and OPTOUT are not compatible with BCAST";
const OPTIN_AND_OPTOUT: &str = "ERR You can't specify both OPTIN mode and OPTOUT mode";
const OPT_SWITCH: &str = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
const CACHING_NEEDS_TRACKING: &str = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled";
const CACHING_YES_NEEDS_OPTIN: &str =
    "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
const CACHING_NO_NEEDS_OPTOUT: &str =
    "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";

/// What CLIENT TRACKING was asked, options parsed.
struct Request<'a> {
    redirect: Option<ClientRef>,
    modes: Modes,
    prefixes: Vec<&'a [u8]>,
}

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP]`. As in Redis the options are parsed (and the
/// redirect looked up) before ON or OFF is read.
fn client_tracking(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let request = parse_request(srv, c, args)?;
    let switch = &args[2];
    if is_opt(switch, "on") {
        check_request(c, &request)?;
        srv.enable_tracking(c, request.redirect, request.modes, &request.prefixes);
    } else if is_opt(switch, "off") {
        srv.disable_tracking(c);
    } else {
        return Err(errors::SYNTAX.into());
    }
    c.reply.ok();
    Ok(())
}

fn parse_request<'a>(srv: &Server, c: &Client, args: &Args<'a>) -> Result<Request<'a>, CmdError> {
    let mut request = Request {
        redirect: None,
        modes: Modes::default(),
        prefixes: Vec::new(),
    };
    let mut j = 3;
    while j < args.len() {
        let option = &args[j];
        let has_value = j + 1 < args.len();
        if is_opt(option, "redirect") && has_value {
            j += 1;
            if request.redirect.is_some() {
                return Err(ONE_REDIRECT.into());
            }
            let id = int_arg(&args[j])?;
            request.redirect = Some(client_by_id(srv, c, id).ok_or(NO_SUCH_REDIRECT)?);
        } else if is_opt(option, "bcast") {
            request.modes.bcast = true;
        } else if is_opt(option, "optin") {
            request.modes.optin = true;
        } else if is_opt(option, "optout") {
            request.modes.optout = true;
        } else if is_opt(option, "noloop") {
            request.modes.noloop = true;
        } else if is_opt(option, "prefix") && has_value {
            j += 1;
            request.prefixes.push(args.get(j).unwrap_or_default());
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    Ok(request)
}

/// The client with `id`: the caller itself or one in the table.
fn client_by_id(srv: &Server, c: &Client, id: i64) -> Option<ClientRef> {
    let id = u64::try_from(id).ok()?;
    if id == c.id {
        return Some(ClientRef::of(c));
    }
    srv.clients.iter().find(|o| o.id == id).map(ClientRef::of)
}

/// Whether TRACKING ON with these options fits them together and with
/// the client's current modes, in the order Redis checks.
fn check_request(c: &Client, request: &Request) -> CmdResult {
    let new = request.modes;
    if !new.bcast && !request.prefixes.is_empty() {
        return Err(PREFIX_NEEDS_BCAST.into());
    }
    let current = c.tracking.as_deref();
    if current.is_some_and(|t| t.modes.bcast != new.bcast) {
        return Err(BCAST_SWITCH.into());
    }
    if new.bcast && (new.optin || new.optout) {
        return Err(OPT_WITH_BCAST.into());
    }
    if new.optin && new.optout {
        return Err(OPTIN_AND_OPTOUT.into());
    }
    let old = current.map(|t| t.modes).unwrap_or_default();
    if (new.optin && old.optout) || (new.optout && old.optin) {
        return Err(OPT_SWITCH.into());
    }
    if new.bcast {
        check_prefix_overlaps(current.map(|t| &t.prefixes), &request.prefixes)?;
    }
    Ok(())
}

/// Two prefixes overlap when one starts the other: a key under both
/// would be sent twice.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a.get(..n) == b.get(..n)
}

/// A prefix as Redis's `%s` prints it: up to its first NUL byte.
fn c_text(s: &[u8]) -> &[u8] {
    s.split(|&b| b == 0).next().unwrap_or_default()
}

/// The new prefixes must overlap neither the client's prefixes nor each
/// other. (Redis 7.0.15 answers an overlap between two new prefixes other
/// than the first with the error and then OK, enabling tracking anyway:
/// two replies to one command. Here the error is the only reply.)
fn check_prefix_overlaps(existing: Option<&BTreeSet<Key>>, prefixes: &[&[u8]]) -> CmdResult {
    for (i, &prefix) in prefixes.iter().enumerate() {
        if let Some(old) = existing
            .into_iter()
            .flatten()
            .find(|old| overlap(old, prefix))
        {
            return Err(overlap_error(prefix, "an existing", old));
        }
        let later = prefixes.get(i + 1..).unwrap_or_default();
        if let Some(other) = later.iter().find(|other| overlap(prefix, other)) {
            return Err(overlap_error(prefix, "another provided", other));
        }
    }
    Ok(())
}

fn overlap_error(prefix: &[u8], whose: &str, other: &[u8]) -> CmdError {
    CmdError::concat(&[
        b"ERR Prefix '",
        c_text(prefix),
        b"' overlaps with ",
        whose.as_bytes(),
        b" prefix '",
        c_text(other),
        b"'. Prefixes for a single client must not overlap.",
    ])
}

/// `CLIENT CACHING YES|NO`: whether the next command's reads are
/// remembered, in OPTIN (YES) or OPTOUT (NO) mode.
fn client_caching(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(state) = c.tracking.as_deref_mut() else {
        return Err(CACHING_NEEDS_TRACKING.into());
    };
    let answer = &args[2];
    if is_opt(answer, "yes") {
        if !state.modes.optin {
            return Err(CACHING_YES_NEEDS_OPTIN.into());
        }
    } else if is_opt(answer, "no") {
        if !state.modes.optout {
            return Err(CACHING_NO_NEEDS_OPTOUT.into());
        }
    } else {
        return Err(errors::SYNTAX.into());
    }
    state.caching = true;
    c.reply.ok();
    Ok(())
}

/// `CLIENT GETREDIR`: the client invalidations go to (0: itself), -1
/// when tracking is off.
fn client_getredir(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let redirect = c.tracking.as_deref().map_or(-1, |t| t.redirect_id() as i64);
    c.reply.int(redirect);
    Ok(())
}

/// `CLIENT TRACKINGINFO`: flags (a set), redirect and prefixes.
fn client_trackinginfo(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let state = c.tracking.as_deref();
    let flags = tracking_flags(c);
    let redirect = state.map_or(-1, |t| t.redirect_id() as i64);
    let prefixes: Vec<Vec<u8>> = state
        .map(|t| t.prefixes.iter().map(|p| p.to_vec()).collect())
        .unwrap_or_default();
    c.reply.map(3);
    c.reply.bulk(b"flags");
    c.reply.set(flags.len());
    for f in flags {
        c.reply.bulk(f.as_bytes());
    }
    c.reply.bulk(b"redirect");
    c.reply.int(redirect);
    c.reply.bulk(b"prefixes");
    c.reply.array(prefixes.len());
    for p in &prefixes {
        c.reply.bulk(p);
    }
    Ok(())
}

/// The TRACKINGINFO flags of `c`, in Redis's order.
fn tracking_flags(c: &Client) -> Vec<&'static str> {
    let Some(state) = c.tracking.as_deref() else {
        return vec!["off"];
    };
    let m = state.modes;
    let caching = state.caching;
    [
        (true, "on"),
        (m.bcast, "bcast"),
        (m.optin, "optin"),
        (m.optin && caching, "caching-yes"),
        (m.optout, "optout"),
        (m.optout && caching, "caching-no"),
        (m.noloop, "noloop"),
        (state.broken_redirect, "broken_redirect"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect()
}

const CONNECTION_FLAGS: u64 = flag::NOSCRIPT | flag::LOADING | flag::STALE;

pub const TRACKING: Command = Command::new("tracking", -3, client_tracking)
    .flags(CONNECTION_FLAGS)
    .acl(acl::SLOW | acl::CONNECTION)
    .doc(
        "connection",
        "6.0.0",
        "O(1). Some options may introduce additional complexity.",
        "Turns client-side caching invalidations on or off for this connection.",
    );

pub const CACHING: Command = Command::new("caching", 3, client_caching)
    .flags(CONNECTION_FLAGS)
    .acl(acl::SLOW | acl::CONNECTION)
    .doc(
        "connection",
        "6.0.0",
        "O(1)",
        "Says whether the next command's keys are tracked (OPTIN and OPTOUT modes).",
    );

pub const GETREDIR: Command = Command::new("getredir", 2, client_getredir)
    .flags(CONNECTION_FLAGS)
    .acl(acl::SLOW | acl::CONNECTION)
    .doc(
        "connection",
        "6.0.0",
        "O(1)",
        "Returns the id of the client invalidations are redirected to.",
    );

pub const TRACKINGINFO: Command = Command::new("trackinginfo", 2, client_trackinginfo)
    .flags(CONNECTION_FLAGS)
    .acl(acl::SLOW | acl::CONNECTION)
    .doc(
        "connection",
        "6.2.0",
        "O(1)",
        "Describes this connection's client-side caching state.",
    );

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_overlap_when_one_starts_the_other() {
        assert!(overlap(b"foo", b"foobar"));
        assert!(overlap(b"foobar", b"foo"));
        assert!(overlap(b"", b"x"));
        assert!(!overlap(b"foo", b"bar"));
        let existing: BTreeSet<Key> = [Key::from(&b"BAR"[..])].into_iter().collect();
        let err = check_prefix_overlaps(Some(&existing), &[b"x", b"BARB"]).err();
        assert_eq!(
            err.as_ref().map(CmdError::bytes),
            Some(&b"ERR Prefix 'BARB' overlaps with an existing prefix 'BAR'. Prefixes for a single client must not overlap."[..])
        );
        let err = check_prefix_overlaps(None, &[b"a", b"b", b"bc"]).err();
        assert_eq!(
            err.as_ref().map(CmdError::bytes),
            Some(&b"ERR Prefix 'b' overlaps with another provided prefix 'bc'. Prefixes for a single client must not overlap."[..])
        );
        assert_eq!(c_text(b"x\0y"), b"x");
    }
}
