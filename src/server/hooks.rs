//! Where the features above the core plug in. The core never names a
//! feature: each feature describes what it wants to hear about in one
//! [`Feature`] value, start-up hands the list to [`Server::new`], and the
//! core calls up only through the tables built from it here.
//!
//! Hooks are plain function pointers over the whole server (features keep
//! their state in it, see `server::state`), called in the order the
//! features were listed.

use super::client::Client;
use super::spec::{Args, Command};
use super::{Server, ShutdownFlags};
use mio::Token;

/// A check a feature makes before a command runs: `Some(error)` refuses
/// it. It gets the command and its effective flags (`spec::flag`).
pub type Admission = fn(&Server, &Client, &Command, u64) -> Option<&'static str>;

/// Told after a command that changed the dataset ran.
pub type AfterWrite = fn(&mut Server, &Client, &Command, &Args);

/// Readiness (readable, writable) of a socket a feature registered with
/// the loop.
pub type SocketEvent = fn(&mut Server, bool, bool);

/// One feature's hooks; each is optional.
#[derive(Clone, Copy, Default)]
pub struct Feature {
    /// Periodic work, run by the cron (`hz` times a second).
    pub cron: Option<fn(&mut Server)>,
    /// Work done once per loop iteration, before it sleeps.
    pub before_sleep: Option<fn(&mut Server)>,
    /// Refusals of a command before it runs (MISCONF, READONLY, ...).
    pub admit: Option<Admission>,
    /// After a command that changed the dataset ran.
    pub after_write: Option<AfterWrite>,
    /// The shutdown is being prepared; `false` refuses it.
    pub shutdown: Option<fn(&mut Server, ShutdownFlags) -> bool>,
    /// A socket the feature registered with the loop under this token
    /// became ready (readable, writable).
    pub socket: Option<(Token, SocketEvent)>,
    /// A consumer of the propagated stream.
    pub sink: Option<Sink>,
    /// The connections whose role the feature gives (not `Normal`).
    pub roles: Option<RoleHooks>,
    /// CONFIG SET changed a directive whose effect the feature owns:
    /// `None` when it is not the feature's, otherwise the outcome.
    pub apply_config: Option<ApplyConfig>,
}

/// Makes a changed directive take effect (see [`Feature::apply_config`]).
pub type ApplyConfig = fn(&mut Server, crate::config::Apply) -> Option<Result<(), String>>;

/// A consumer of the stream of propagated writes (replication; next, the
/// AOF). The core frames what it receives: SELECT when its stream is in
/// another database, MULTI/EXEC around a transaction.
#[derive(Clone, Copy)]
pub struct Sink {
    /// Whether it consumes the stream now; nothing is collected while no
    /// sink does.
    pub active: fn(&Server) -> bool,
    /// The database its stream has selected (`None` forces a SELECT).
    pub selected_db: fn(&mut Server) -> &mut Option<usize>,
    /// Takes the RESP bytes of one or more commands.
    pub write: fn(&mut Server, &[u8]),
    /// Which consumer it is (`propagate::target::*`): commands meant for
    /// other sinks only are left out of its stream.
    pub target: u8,
}

/// What happens on a connection that has a role (the link to our primary,
/// a replica): one hook per event of the I/O path.
#[derive(Clone, Copy)]
pub struct RoleHooks {
    /// The query buffer was consumed from `from` to its parse cursor
    /// (commands, or bytes the parser skipped).
    pub consumed: fn(&mut Server, &Client, usize),
    /// A command of it was handled (run or refused, `true`; or held by
    /// CLIENT PAUSE, `false`); its reply started at the given offset.
    pub command_done: fn(&mut Server, &mut Client, &Args, usize, bool),
    /// All its pending output was written: true when more was queued.
    pub drained: fn(&mut Server, usize) -> bool,
    /// It is being freed.
    pub freed: fn(&mut Server, &Client),
}

/// The hooks of every feature, by event.
#[derive(Default)]
pub struct Hooks {
    pub cron: Vec<fn(&mut Server)>,
    pub before_sleep: Vec<fn(&mut Server)>,
    pub admit: Vec<Admission>,
    pub after_write: Vec<AfterWrite>,
    pub shutdown: Vec<fn(&mut Server, ShutdownFlags) -> bool>,
    pub sockets: Vec<(Token, SocketEvent)>,
    pub sinks: Vec<Sink>,
    pub roles: Option<RoleHooks>,
    pub apply_config: Vec<ApplyConfig>,
}

impl Hooks {
    /// Gathers the features' hooks, in their order.
    pub fn new(features: &[Feature]) -> Hooks {
        let mut hooks = Hooks::default();
        for f in features {
            hooks.cron.extend(f.cron);
            hooks.before_sleep.extend(f.before_sleep);
            hooks.admit.extend(f.admit);
            hooks.after_write.extend(f.after_write);
            hooks.shutdown.extend(f.shutdown);
            hooks.sockets.extend(f.socket);
            hooks.sinks.extend(f.sink);
            hooks.roles = hooks.roles.or(f.roles);
            hooks.apply_config.extend(f.apply_config);
        }
        hooks
    }
}

impl Server {
    /// Runs every feature's cron hook.
    pub fn run_cron_hooks(&mut self) {
        for hook in self.hooks.cron.clone() {
            hook(self);
        }
    }

    /// Runs every feature's before-sleep hook.
    pub fn run_before_sleep_hooks(&mut self) {
        for hook in self.hooks.before_sleep.clone() {
            hook(self);
        }
    }

    /// The first refusal a feature gives the command, if any.
    pub fn feature_refusal(&self, c: &Client, cmd: &Command, flags: u64) -> Option<&'static str> {
        self.hooks
            .admit
            .iter()
            .find_map(|admit| admit(self, c, cmd, flags))
    }

    /// Tells the features a command changed the dataset.
    pub fn run_after_write_hooks(&mut self, c: &Client, cmd: &Command, args: &Args) {
        for i in 0..self.hooks.after_write.len() {
            if let Some(hook) = self.hooks.after_write.get(i).copied() {
                hook(self, c, cmd, args);
            }
        }
    }

    /// Asks every feature to prepare the shutdown; false if one refused.
    pub fn run_shutdown_hooks(&mut self, flags: ShutdownFlags) -> bool {
        self.hooks
            .shutdown
            .clone()
            .into_iter()
            .all(|hook| hook(self, flags))
    }

    /// Lets the feature that owns a changed directive apply it; `Ok` when
    /// no feature does.
    pub fn run_apply_config_hooks(&mut self, what: crate::config::Apply) -> Result<(), String> {
        for hook in self.hooks.apply_config.clone() {
            if let Some(outcome) = hook(self, what) {
                return outcome;
            }
        }
        Ok(())
    }

    /// Hands a readiness event to the feature that owns `token`; false
    /// when none does.
    pub fn run_socket_hook(&mut self, token: Token, readable: bool, writable: bool) -> bool {
        let owner = self.hooks.sockets.iter().find(|(t, _)| *t == token);
        match owner.map(|&(_, hook)| hook) {
            Some(hook) => {
                hook(self, readable, writable);
                true
            }
            None => false,
        }
    }
}
