//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer.
//!
//! Each claimed entry is propagated as an XCLAIM that recreates its pending
//! state exactly (see `Effects::xclaim`); a pending entry whose stream entry
//! was deleted is dropped from the PEL, and that is propagated too.

use super::groups::no_such_key_or_group;
use super::{
    range_start, reply_entry, reply_id, stream_update, strict_id, CmdError, CmdResult, Effects,
    Stream, StreamId,
};
use crate::commands::is_opt;
use crate::server::client::Client;
use crate::server::errors;
use crate::server::spec::Args;
use crate::server::write::KeyWrite;
use crate::server::Server;
use crate::types::stream::{ConsumerGroup, ConsumerId, Pending, NO_CONSUMER};
use crate::util::parse_i64;

/// The consumer entries are claimed for, created on first use.
struct Claimant<'a> {
    name: &'a [u8],
    id: Option<ConsumerId>,
    now: i64,
}

impl Claimant<'_> {
    fn get(&mut self, group: &mut ConsumerGroup, effects: &mut Effects) -> ConsumerId {
        if let Some(id) = self.id {
            return id;
        }
        let (id, created) = group.touch_or_create_consumer(self.name, self.now);
        if created {
            effects.consumer_created();
        }
        self.id = Some(id);
        id
    }
}

/// True if a pending entry has been idle less than `min_idle` (0: any
/// idle time is enough).
fn too_recent(p: &Pending, min_idle: i64, now: i64) -> bool {
    min_idle != 0 && now.saturating_sub(p.delivery_time) < min_idle
}

/// Replies with claimed entries: their IDs, or the entries themselves,
/// once the array's header is written. As Redis: a consumer created for
/// the claim is announced after that header.
fn reply_claimed(c: &mut Client, w: &mut KeyWrite, claimed: &[StreamId], justid: bool) {
    c.reply.array(claimed.len());
    w.pushes_after_reply(c);
    let Ok(Some(stream)) = w.existing::<Stream>() else {
        return;
    };
    let entries = &stream.entries;
    for &id in claimed {
        match entries.range(id, id, false).next() {
            Some(entry) if !justid => reply_entry(c, &entry),
            _ => reply_id(c, id),
        }
    }
}

/// What XCLAIM was asked to do.
struct ClaimArgs {
    min_idle: i64,
    /// IDs with the position of their argument (propagated as written).
    ids: Vec<(StreamId, usize)>,
    delivery_time: i64,
    retry_count: i64,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

/// An option's integer value, with XCLAIM's error naming the option.
fn claim_int(arg: &[u8], what: &str) -> Result<i64, CmdError> {
    parse_i64(arg)
        .ok_or_else(|| CmdError::from(format!("ERR Invalid {} argument for XCLAIM", what)))
}

fn parse_claim(args: &Args, now: i64) -> Result<ClaimArgs, CmdError> {
    let argc = args.len();
    let mut out = ClaimArgs {
        min_idle: claim_int(&args[4], "min-idle-time")?.max(0),
        ids: Vec::new(),
        delivery_time: -1,
        retry_count: -1,
        force: false,
        justid: false,
        last_id: StreamId::MIN,
    };
    let mut j = 5;
    while let Some(id) = args.get(j).and_then(|a| strict_id(a).ok()) {
        out.ids.push((id, j));
        j += 1;
    }
    while j < argc {
        let opt = &args[j];
        let value = (j + 1 < argc).then(|| &args[j + 1]);
        match value {
            _ if is_opt(opt, "force") => out.force = true,
            _ if is_opt(opt, "justid") => out.justid = true,
            Some(v) if is_opt(opt, "idle") => {
                out.delivery_time = now.wrapping_sub(claim_int(v, "IDLE option")?);
                j += 1;
            }
            Some(v) if is_opt(opt, "time") => {
                out.delivery_time = claim_int(v, "TIME option")?;
                j += 1;
            }
            Some(v) if is_opt(opt, "retrycount") => {
                out.retry_count = claim_int(v, "RETRYCOUNT option")?;
                j += 1;
            }
            Some(v) if is_opt(opt, "lastid") => {
                out.last_id = strict_id(v)?;
                j += 1;
            }
            _ => {
                return Err(CmdError::concat(&[
                    b"ERR Unrecognized XCLAIM option '",
                    opt,
                    b"'",
                ]))
            }
        }
        j += 1;
    }
    // A delivery time in the future or before 1970 is taken as now.
    if out.delivery_time == -1 || out.delivery_time < 0 || out.delivery_time > now {
        out.delivery_time = now;
    }
    Ok(out)
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (db, key, name) = (c.db, &args[1], &args[2]);
    let now = srv.cmd_time_ms;
    let parsed = parse_claim(args, now);
    let mut w = stream_update(srv, db, key);
    let stream = w.existing::<Stream>()?;
    let Some(stream) = stream.filter(|s| s.group(name).is_some()) else {
        return Err(no_such_key_or_group(key, name));
    };
    let a = parsed?;
    let entries = &stream.entries;
    let Some(group) = stream.groups.get_mut(name) else {
        return Err(no_such_key_or_group(key, name));
    };
    let mut effects = Effects::default();
    let mut propagate_last_id = false;
    if a.last_id > group.last_id {
        group.last_id = a.last_id;
        propagate_last_id = true;
    }
    let mut claimant = Claimant {
        name: &args[3],
        id: None,
        now,
    };
    let mut claimed = Vec::new();
    for &(id, pos) in &a.ids {
        if !entries.contains(id) {
            if drop_deleted(group, id, &args[pos], key, name, &mut effects) {
                propagate_last_id = false;
            }
            continue;
        }
        if a.force {
            group.force_pending(id, now);
        }
        let Some(p) = group.pel.get(&id) else {
            continue;
        };
        if p.consumer != NO_CONSUMER && too_recent(p, a.min_idle, now) {
            continue;
        }
        let consumer = claimant.get(group, &mut effects);
        let claimed_entry = group.claim(id, consumer, |p| {
            p.delivery_time = a.delivery_time;
            if a.retry_count >= 0 {
                p.delivery_count = a.retry_count as u64;
            } else if !a.justid {
                p.delivery_count += 1;
            }
        });
        if let Some(p) = claimed_entry {
            claimed.push(id);
            effects.xclaim(key, name, claimant.name, &args[pos], &p, group.last_id);
            effects.dirty += 1;
            propagate_last_id = false;
        }
    }
    if propagate_last_id {
        effects.setid(key, name, group.last_id, group.entries_read);
        effects.dirty += 1;
    }
    reply_claimed(c, &mut w, &claimed, a.justid);
    effects.apply(&mut w);
    Ok(())
}

/// Drops the pending entry of a deleted stream entry, propagating the
/// drop; true if there was one.
fn drop_deleted(
    group: &mut ConsumerGroup,
    id: StreamId,
    id_arg: &[u8],
    key: &[u8],
    name: &[u8],
    effects: &mut Effects,
) -> bool {
    let Some(p) = group.pel.get(&id).copied() else {
        return false;
    };
    let owner = group.consumer_name(p.consumer).to_vec();
    effects.xclaim(key, name, &owner, id_arg, &p, group.last_id);
    effects.dirty += 1;
    group.ack(id);
    true
}

/// Most entries XAUTOCLAIM may claim per call.
const AUTOCLAIM_MAX_COUNT: i64 = i64::MAX / 16;
/// Pending entries XAUTOCLAIM looks at per entry it may claim.
const AUTOCLAIM_ATTEMPTS_FACTOR: u64 = 10;

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let min_idle = parse_i64(&args[4])
        .ok_or("ERR Invalid min-idle-time argument for XAUTOCLAIM")?
        .max(0);
    let start = range_start(&args[5])?;
    let mut count: u64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        if is_opt(&args[j], "count") && j + 1 < args.len() {
            count = parse_i64(&args[j + 1])
                .filter(|n| (1..=AUTOCLAIM_MAX_COUNT).contains(n))
                .ok_or("ERR COUNT must be > 0")? as u64;
            j += 1;
        } else if is_opt(&args[j], "justid") {
            justid = true;
        } else {
            return Err(errors::SYNTAX.into());
        }
        j += 1;
    }
    let (db, key, name) = (c.db, &args[1], &args[2]);
    let now = srv.cmd_time_ms;
    let mut w = stream_update(srv, db, key);
    let stream = w.existing::<Stream>()?;
    let Some(stream) = stream.filter(|s| s.group(name).is_some()) else {
        return Err(no_such_key_or_group(key, name));
    };
    let entries = &stream.entries;
    let Some(group) = stream.groups.get_mut(name) else {
        return Err(no_such_key_or_group(key, name));
    };
    let mut effects = Effects::default();
    let mut claimant = Claimant {
        name: &args[3],
        id: None,
        now,
    };
    let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
    let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
    let mut last_seen: Option<StreamId> = None;
    let next_pending = |group: &ConsumerGroup, last: Option<StreamId>| {
        let from = match last {
            Some(id) => id.next()?,
            None => start,
        };
        group.pel.range(from..).next().map(|(id, _)| *id)
    };
    let mut exhausted = false;
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(id) = next_pending(group, last_seen) else {
            exhausted = true;
            break;
        };
        last_seen = Some(id);
        if !entries.contains(id) {
            drop_deleted(group, id, id.text().as_ref(), key, name, &mut effects);
            deleted.push(id);
            count -= 1;
            continue;
        }
        if group
            .pel
            .get(&id)
            .is_some_and(|p| too_recent(p, min_idle, now))
        {
            continue;
        }
        let consumer = claimant.get(group, &mut effects);
        let claimed_entry = group.claim(id, consumer, |p| {
            p.delivery_time = now;
            if !justid {
                p.delivery_count += 1;
            }
        });
        if let Some(p) = claimed_entry {
            claimed.push(id);
            count -= 1;
            effects.xclaim(
                key,
                name,
                claimant.name,
                id.text().as_ref(),
                &p,
                group.last_id,
            );
            effects.dirty += 1;
        }
    }
    let cursor = if exhausted {
        None
    } else {
        next_pending(group, last_seen)
    };
    c.reply.array(3);
    reply_id(c, cursor.unwrap_or(StreamId::MIN));
    reply_claimed(c, &mut w, &claimed, justid);
    c.reply.array(deleted.len());
    for id in deleted {
        reply_id(c, id);
    }
    effects.apply(&mut w);
    Ok(())
}
