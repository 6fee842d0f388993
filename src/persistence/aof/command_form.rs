//! The dataset as commands, for an AOF base with `aof-use-rdb-preamble
//! no`: first a FUNCTION LOAD per function library, then per database a
//! SELECT, then per key the commands Redis's rewrite
//! emits (SET; RPUSH, SADD, ZADD, HMSET at most 64 items each; a stream
//! as XADDs, XSETID, XGROUP CREATE with ENTRIESREAD, XCLAIM ... FORCE for
//! pending entries and XGROUP CREATECONSUMER for idle consumers), and a
//! PEXPIREAT for keys with a TTL.

use crate::persistence::value::{save_form, RdbValue, StreamId, StreamValue, ValueRef};
use crate::resp::command::push_command;
use crate::server::Server;
use crate::util::format_double_g17;
use std::io::{self, Write};

/// Items per variadic command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_COMMAND: usize = 64;

/// Writes every key as commands; `on_key` hears the count after each key.
pub fn write_commands<W: Write>(
    srv: &Server,
    mut out: W,
    on_key: &mut dyn FnMut(u64),
    timestamp: Option<i64>,
) -> io::Result<W> {
    if let Some(now) = timestamp {
        out.write_all(super::write::timestamp_annotation(now).as_bytes())?;
    }
    let mut buf = Vec::with_capacity(1 << 16);
    if let Some(hooks) = srv.scripting.library_hooks {
        for code in (hooks.codes)(srv) {
            push_command(&mut buf, [b"FUNCTION".as_slice(), b"LOAD", &code]);
        }
    }
    let mut written = 0u64;
    for (index, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        push_command(
            &mut buf,
            [b"SELECT".as_slice(), index.to_string().as_bytes()],
        );
        for (key, obj) in &db.keys {
            key_commands(&mut buf, key, &save_form(&obj.value));
            if let Some(at) = db.expire_of(key) {
                push_command(
                    &mut buf,
                    [b"PEXPIREAT".as_slice(), &key[..], at.to_string().as_bytes()],
                );
            }
            if buf.len() >= 1 << 16 {
                out.write_all(&buf)?;
                buf.clear();
            }
            written += 1;
            on_key(written);
            if srv.config.rdb_key_save_delay != 0 {
                crate::persistence::snapshot::debug_delay(srv.config.rdb_key_save_delay);
            }
        }
    }
    out.write_all(&buf)?;
    Ok(out)
}

/// The commands that rebuild one key's value.
fn key_commands(out: &mut Vec<u8>, key: &[u8], value: &ValueRef) {
    let neutral = match value {
        ValueRef::Str(s) => {
            let mut tmp = [0u8; 21];
            push_command(out, [b"SET".as_slice(), key, s.bytes(&mut tmp)]);
            return;
        }
        ValueRef::Neutral(v) => v,
    };
    match neutral {
        RdbValue::Str(s) => {
            let mut tmp = [0u8; 21];
            push_command(out, [b"SET".as_slice(), key, s.bytes(&mut tmp)]);
        }
        RdbValue::List(items) => {
            variadic(out, b"RPUSH", key, items.iter().map(|i| vec![i.clone()]))
        }
        RdbValue::Set { members, .. } => {
            variadic(out, b"SADD", key, members.iter().map(|m| vec![m.clone()]))
        }
        RdbValue::ZSet { members, .. } => variadic(
            out,
            b"ZADD",
            key,
            members
                .iter()
                .map(|(m, score)| vec![format_double_g17(*score).into_bytes(), m.clone()]),
        ),
        RdbValue::Hash { pairs, .. } => variadic(
            out,
            b"HMSET",
            key,
            pairs.iter().map(|(f, v)| vec![f.clone(), v.clone()]),
        ),
        RdbValue::Stream(stream) => stream_commands(out, key, stream),
    }
}

/// `name key item...` commands of at most 64 items each.
fn variadic(out: &mut Vec<u8>, name: &[u8], key: &[u8], items: impl Iterator<Item = Vec<Vec<u8>>>) {
    let items: Vec<Vec<Vec<u8>>> = items.collect();
    for chunk in items.chunks(ITEMS_PER_COMMAND) {
        let mut parts: Vec<&[u8]> = vec![name, key];
        parts.extend(chunk.iter().flatten().map(Vec::as_slice));
        push_command(out, parts);
    }
}

fn id_text(id: StreamId) -> Vec<u8> {
    format!("{}-{}", id.ms, id.seq).into_bytes()
}

/// A stream: its entries, last ID and counters, groups with their
/// consumers and pending entries.
fn stream_commands(out: &mut Vec<u8>, key: &[u8], s: &StreamValue) {
    let entries = s.entries().unwrap_or_default();
    if entries.is_empty() {
        // XADD MAXLEN 0 makes an empty stream.
        push_command(
            out,
            [b"XADD".as_slice(), key, b"MAXLEN", b"0", b"0-1", b"x", b"y"],
        );
    }
    for e in &entries {
        let id = id_text(e.id);
        let mut parts: Vec<&[u8]> = vec![b"XADD", key, &id];
        parts.extend(
            e.fields
                .iter()
                .flat_map(|(f, v)| [f.as_slice(), v.as_slice()]),
        );
        push_command(out, parts);
    }
    let last = id_text(s.last_id);
    let added = s.entries_added.to_string();
    let max_deleted = id_text(s.max_deleted_id);
    push_command(
        out,
        [
            b"XSETID".as_slice(),
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &max_deleted,
        ],
    );
    for g in &s.groups {
        let group_last = id_text(g.last_id);
        let read = g.entries_read.unwrap_or(-1).to_string();
        push_command(
            out,
            [
                b"XGROUP".as_slice(),
                b"CREATE",
                key,
                &g.name,
                &group_last,
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for consumer in &g.consumers {
            if consumer.pending.is_empty() {
                push_command(
                    out,
                    [
                        b"XGROUP".as_slice(),
                        b"CREATECONSUMER",
                        key,
                        &g.name,
                        &consumer.name,
                    ],
                );
                continue;
            }
            for id in &consumer.pending {
                let Ok(at) = g.pending.binary_search_by(|p| p.id.cmp(id)) else {
                    continue;
                };
                let Some(nack) = g.pending.get(at) else {
                    continue;
                };
                let id = id_text(*id);
                let time = nack.delivery_time_ms.to_string();
                let count = nack.delivery_count.to_string();
                push_command(
                    out,
                    [
                        b"XCLAIM".as_slice(),
                        key,
                        &g.name,
                        &consumer.name,
                        b"0",
                        &id,
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}
