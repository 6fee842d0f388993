//! Keys a writable replica's own clients wrote with a TTL. A replica does
//! not expire keys on its own (its primary sends the DELs), but the primary
//! knows nothing of these keys, so the replica tracks them and expires them
//! itself from the cron, as Redis does with `slaveKeysWithExpire`.

use crate::server::spec::{command_keys, Args, Command};
use crate::server::Server;
use std::collections::HashMap;

/// The bit of database `db` (databases past 63 share the last bit, which
/// only makes the cron look at a key in more places).
fn db_bit(db: usize) -> u64 {
    1u64 << db.min(63)
}

impl Server {
    /// After a client of a replica (not the primary) wrote: remembers the
    /// command's keys that now carry a TTL.
    pub fn remember_local_keys_with_expire(&mut self, db: usize, cmd: &Command, args: &Args) {
        for key_ref in command_keys(cmd, args) {
            let key = &args[key_ref.pos];
            if self.db(db).expire_of(key).is_some() {
                *self
                    .replication
                    .local_expiry
                    .keys
                    .entry(key.to_vec())
                    .or_default() |= db_bit(db);
            }
        }
    }

    /// Deletes the tracked keys whose time has come and forgets the ones
    /// that are gone or no longer have a TTL.
    pub fn expire_local_replica_keys(&mut self) {
        let tracked = std::mem::take(&mut self.replication.local_expiry.keys);
        let now = crate::util::now_ms();
        let mut kept = HashMap::with_capacity(tracked.len());
        for (key, dbs) in tracked {
            let mut still = 0;
            for db in (0..self.dbs.len()).filter(|&db| dbs & db_bit(db) != 0) {
                match self.db(db).expire_of(&key) {
                    Some(when) if when <= now => self.delete_expired(db, &key),
                    Some(_) => still |= db_bit(db),
                    None => {}
                }
            }
            if still != 0 {
                kept.insert(key, still);
            }
        }
        self.replication.local_expiry.keys = kept;
    }
}
