//! The append-only file, as Redis 7.0 keeps it: a directory
//! (`appenddirname`) holding a manifest, one base file and incremental
//! files, interchangeable with real Redis's in both directions.
//!
//! - [`manifest`]: the manifest's syntax, file naming, atomic writes.
//! - [`load`]: start-up and DEBUG LOADAOF loading, legacy upgrade,
//!   truncated tails.
//! - [`write`]: the propagation sink, the buffer and the fsync policies.
//! - [`rewrite`]: BGREWRITEAOF and automatic rewrites in a forked child,
//!   turning the AOF on and off at run time.
//! - [`command_form`]: the dataset as commands (a base without RDB).
//!
//! It plugs into the core through [`FEATURE`]: the sink (the same stream
//! replicas get), the before-sleep flush (ahead of replies), the cron,
//! MISCONF after a write error, the shutdown fsync and CONFIG SET
//! appendonly.

pub mod command_form;
pub mod load;
pub mod manifest;
pub mod rewrite;
pub mod write;

use crate::config::Apply;
use crate::server::client::Client;
use crate::server::hooks::{Feature, Sink};
use crate::server::spec::{flag, Command};
use crate::server::state::aof::AofStatus;
use crate::server::{Server, ShutdownFlags};
use log::{info, warn};
use std::sync::OnceLock;

/// The AOF's hooks.
pub const FEATURE: Feature = Feature {
    cron: Some(|srv| srv.aof_cron()),
    before_sleep: Some(before_sleep),
    admit: Some(admit),
    after_write: None,
    shutdown: Some(shutdown),
    socket: None,
    sink: Some(Sink {
        active: |srv| srv.aof_wants_stream(),
        selected_db: |srv| &mut srv.aof.selected_db,
        write: |srv, bytes| srv.aof_feed(bytes),
        target: crate::server::propagate::target::AOF,
    }),
    roles: None,
    apply_config: Some(apply_config),
};

/// Writes the buffer before replies go out (what `appendfsync always`
/// promises needs it there).
fn before_sleep(srv: &mut Server) {
    if srv.aof.is_on() {
        srv.flush_aof(false);
    }
}

/// MISCONF while AOF writes (or background fsyncs) fail, for writes and
/// PING, except what the primary sends.
fn admit(srv: &Server, c: &Client, cmd: &Command, flags: u64) -> Option<&'static str> {
    let concerned = flags & flag::WRITE != 0 || cmd.name == "ping";
    // A failed RDB save's MISCONF comes first, as in Redis.
    if !concerned || c.kind.is_primary_link() || srv.writes_refused_by_save_error() {
        return None;
    }
    srv.aof_write_errno().map(misconf_text)
}

/// `-MISCONF Errors writing to the AOF file: <strerror>`, made once per
/// errno.
fn misconf_text(errno: i32) -> &'static str {
    static TEXTS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..134)
            .map(|n| {
                let e = std::io::Error::from_raw_os_error(n);
                let text = format!(
                    "MISCONF Errors writing to the AOF file: {}",
                    crate::config::value::strerror(&e)
                );
                &*Box::leak(text.into_boxed_str())
            })
            .collect()
    });
    usize::try_from(errno)
        .ok()
        .and_then(|i| texts.get(i).copied())
        .unwrap_or("MISCONF Errors writing to the AOF file: Unknown error")
}

/// Stops a rewrite child (refusing while the first base is being written,
/// unless forced) and fsyncs the AOF.
fn shutdown(srv: &mut Server, flags: ShutdownFlags) -> bool {
    if srv.aof_rewrite_running() {
        if srv.aof.status == AofStatus::WaitRewrite {
            if !flags.force {
                warn!("Writing initial AOF, can't exit.");
                return false;
            }
            warn!("Writing initial AOF. Exit anyway.");
        }
        warn!("There is a child rewriting the AOF. Killing it!");
        srv.kill_aof_child();
    }
    if srv.aof.is_on() {
        info!("Calling fsync() on the AOF file.");
        srv.flush_and_fsync_aof();
    }
    true
}

/// CONFIG SET appendonly yes/no, aof-disable-auto-gc no.
fn apply_config(srv: &mut Server, what: Apply) -> Option<Result<(), String>> {
    if what == Apply::AofAutoGc {
        srv.delete_aof_history();
        return Some(Ok(()));
    }
    if what != Apply::AppendOnly {
        return None;
    }
    let wanted = srv.config.appendonly;
    let outcome = if wanted && !srv.aof.is_on() {
        if srv.start_append_only() {
            Ok(())
        } else {
            Err("Unable to turn on AOF. Check server logs.".to_string())
        }
    } else {
        if !wanted && srv.aof.is_on() {
            srv.stop_append_only();
        }
        Ok(())
    };
    Some(outcome)
}

/// INFO persistence's `aof_*` fields that are always there.
pub fn info_fields(srv: &Server) -> Vec<(&'static str, String)> {
    let a = &srv.aof;
    let ok = |b: bool| if b { "ok" } else { "err" }.to_string();
    let current = a
        .rewrite_started_s
        .map_or(-1, |s| crate::util::unix_seconds() - s);
    vec![
        ("aof_enabled", u8::from(a.is_on()).to_string()),
        (
            "aof_rewrite_in_progress",
            u8::from(srv.aof_rewrite_running()).to_string(),
        ),
        (
            "aof_rewrite_scheduled",
            u8::from(a.rewrite_scheduled).to_string(),
        ),
        ("aof_last_rewrite_time_sec", a.last_rewrite_secs.to_string()),
        ("aof_current_rewrite_time_sec", current.to_string()),
        ("aof_last_bgrewrite_status", ok(a.last_rewrite_ok)),
        ("aof_rewrites", a.rewrites.to_string()),
        (
            "aof_rewrites_consecutive_failures",
            a.consecutive_failures.to_string(),
        ),
        (
            "aof_last_write_status",
            ok(a.write_error.is_none() && a.bio.last_error().is_none()),
        ),
        ("aof_last_cow_size", a.last_cow_size.to_string()),
    ]
}

/// INFO persistence's fields shown with `appendonly yes`.
pub fn info_enabled_fields(srv: &Server) -> Vec<(&'static str, String)> {
    let a = &srv.aof;
    let mut fields = Vec::new();
    if srv.config.appendonly {
        fields.extend([
            ("aof_current_size", a.current_size.to_string()),
            ("aof_base_size", a.rewrite_base_size.to_string()),
            (
                "aof_pending_rewrite",
                u8::from(a.rewrite_scheduled).to_string(),
            ),
            ("aof_buffer_length", a.buf.len().to_string()),
            ("aof_pending_bio_fsync", a.bio.pending().to_string()),
            ("aof_delayed_fsync", a.delayed_fsync.to_string()),
        ]);
    }
    fields
}
