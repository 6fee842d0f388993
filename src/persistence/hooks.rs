//! How persistence plugs into the core: save points and the save child
//! in the cron, MISCONF before writes after a failed save, and the last
//! save at shutdown.

use crate::server::client::Client;
use crate::server::errors::MISCONF;
use crate::server::hooks::Feature;
use crate::server::spec::{flag, Command};
use crate::server::{Server, ShutdownFlags};
use log::{info, warn};

/// Persistence's hooks.
pub const FEATURE: Feature = Feature {
    cron: Some(|srv| srv.persistence_cron()),
    before_sleep: None,
    admit: Some(admit),
    after_write: None,
    shutdown: Some(shutdown),
    socket: None,
    sink: None,
    roles: None,
    apply_config: None,
};

/// MISCONF: writes (and PING) are refused while the last background save
/// failed, except those the primary sends.
fn admit(srv: &Server, c: &Client, cmd: &Command, flags: u64) -> Option<&'static str> {
    let concerned = flags & flag::WRITE != 0 || cmd.name == "ping";
    (concerned && !c.kind.is_primary_link() && srv.writes_refused_by_save_error())
        .then_some(MISCONF)
}

/// Stops a save child, then saves when save points are configured (or
/// SHUTDOWN SAVE asks; never with NOSAVE). A failed save refuses the
/// shutdown unless it is forced.
fn shutdown(srv: &mut Server, flags: ShutdownFlags) -> bool {
    srv.stop_save_child_now();
    if (srv.config.save.is_empty() || flags.nosave) && !flags.save {
        return true;
    }
    info!("Saving the final RDB snapshot before exiting.");
    if srv.rdb_save() {
        return true;
    }
    if flags.force {
        warn!("Error trying to save the DB. Exit anyway.");
        true
    } else {
        warn!("Error trying to save the DB, can't exit.");
        false
    }
}
