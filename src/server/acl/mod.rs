//! Access control lists, as Redis 7.0 has them: users with passwords
//! (stored as SHA-256 hex), flags and selectors (`selector.rs`), the rules
//! that change them (`rules.rs`), their canonical description
//! (`describe.rs`), the ACL LOG (`log.rs`) and the ACL file (`file.rs`).
//!
//! Every connection has a user: `default` until AUTH or HELLO AUTH names
//! another; the link to our primary has none (`None`: it may do anything,
//! Redis's NULL user). A user's clients refer to it by [`UserId`], its
//! index in the user table, so checking a command costs one lookup; a user
//! that allows every command, key and channel is flagged `unrestricted`
//! and checks nothing more, which is the fast path of the default user.
//!
//! The checks: [`Server::acl_check`] before any command runs (dispatch,
//! MULTI queueing and again at EXEC, and the scripting engine's
//! `redis.call` and `redis.acl_check_cmd`: see its documentation), then
//! [`Server::acl_log_denial`] for the ACL LOG.

pub mod describe;
pub mod file;
pub mod log;
pub mod rules;
pub mod selector;

use crate::server::client::{Client, ClientKind};
use crate::server::spec::{ks, Args, Registry};
use crate::server::Server;
use log::{AclContext, AclLog, LogEntry, LogReason};
use rules::RuleContext;
pub use selector::{Reason, Selector};
use std::collections::BTreeMap;

/// The user every connection starts with.
pub const DEFAULT_USER: &[u8] = b"default";

/// A password as stored: the lowercase hex SHA-256 of the clear text.
pub type PasswordHash = [u8; 64];

/// The hex SHA-256 of a password.
pub fn hash_password(clear: &[u8]) -> PasswordHash {
    use sha2::Digest as _;
    let mut out = [0u8; 64];
    let digest = sha2::Sha256::digest(clear);
    // 32 bytes always encode to 64 hex digits.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

/// A user's index in the user table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(u32);

impl UserId {
    /// The default user is always the first.
    pub const DEFAULT: UserId = UserId(0);

    fn index(self) -> usize {
        self.0 as usize
    }
}

/// `sanitize-payload` / `skip-sanitize-payload` (RESTORE payloads of this
/// user are checked, or not, whatever `sanitize-dump-payload clients` says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sanitize {
    #[default]
    Default,
    Skip,
    Always,
}

/// One ACL user.
#[derive(Debug, Clone)]
pub struct User {
    pub name: Vec<u8>,
    /// `on`: it may authenticate (new users are `off`).
    pub enabled: bool,
    /// `nopass`: any password authenticates it.
    pub nopass: bool,
    pub sanitize: Sanitize,
    pub passwords: Vec<PasswordHash>,
    /// The root selector first, then those added in parentheses.
    pub selectors: Vec<Selector>,
    /// One selector allowing every command, key and channel.
    unrestricted: bool,
}

impl User {
    /// A new user: off, no password, allowed nothing.
    pub fn new(name: &[u8], ctx: &RuleContext) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Default,
            passwords: Vec::new(),
            selectors: vec![ctx.new_selector(true)],
            unrestricted: false,
        }
    }

    /// The default user of a fresh server: `on nopass ~* &* +@all`.
    fn new_default(ctx: &RuleContext) -> User {
        let mut user = User::new(DEFAULT_USER, ctx);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = user.apply(rule.as_bytes(), ctx);
        }
        user
    }

    /// Recomputes what is derived from the rules.
    fn refresh(&mut self) {
        self.unrestricted = matches!(self.selectors.as_slice(), [root] if root.unrestricted());
    }

    /// Whether `password` authenticates this user (it must be on).
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let given = hash_password(password);
        // Compared without stopping at the first difference.
        self.passwords
            .iter()
            .fold(false, |ok, p| ok | constant_time_eq(p, &given))
    }

    /// Checks a command line against every selector (Redis's
    /// `ACLCheckAllUserCommandPerm`): allowed if one selector allows it;
    /// otherwise the most relevant refusal (a channel, else a key, else
    /// the command), the last argument at fault among equals.
    pub fn check(&self, registry: &Registry, id: usize, args: &Args) -> Result<(), AclDenial> {
        let mut keys = selector::KeyCache::default();
        let mut worst = (Reason::Command, 0);
        let mut position = 0;
        for s in &self.selectors {
            let (reason, pos) = match s.check(registry, id, args, &mut keys) {
                Ok(()) => return Ok(()),
                Err(refusal) => refusal,
            };
            // As in Redis, a command refusal leaves the position as it was.
            if reason != Reason::Command {
                position = pos;
            }
            if reason > worst.0 || (reason == worst.0 && position > worst.1) {
                worst = (reason, position);
            }
        }
        Err(AclDenial {
            reason: worst.0,
            pos: worst.1,
            command: id,
        })
    }

    /// Whether one selector allowing the command also allows every key
    /// with the access of `spec_flags` (SORT's BY and GET).
    pub fn has_full_key_access(
        &self,
        registry: &Registry,
        id: usize,
        args: &Args,
        spec_flags: u32,
    ) -> bool {
        let mut keys = selector::KeyCache::default();
        self.selectors.iter().any(|s| {
            s.check(registry, id, args, &mut keys).is_ok() && s.allows_every_key(spec_flags)
        })
    }

    /// True when some selector allows every channel.
    fn all_channels(&self) -> bool {
        self.selectors.iter().any(|s| s.allchannels)
    }

    /// Every channel pattern of every selector.
    fn channel_patterns(&self) -> Vec<Vec<u8>> {
        self.selectors
            .iter()
            .flat_map(|s| s.channels.iter().cloned())
            .collect()
    }
}

/// Why a command line is refused, and which argument is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclDenial {
    pub reason: Reason,
    /// The key or channel argument (0 for the command itself).
    pub pos: usize,
    /// Registry id of the command.
    pub command: usize,
}

impl AclDenial {
    /// The error a refused command gets (`NOPERM ...`).
    pub fn error(&self, registry: &Registry) -> String {
        match self.reason {
            Reason::Command => format!(
                "NOPERM this user has no permissions to run the '{}' command",
                registry.get(self.command).map_or("", |e| e.fullname.as_str())
            ),
            Reason::Key => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .to_string()
            }
            Reason::Channel => "NOPERM this user has no permissions to access one of the channels used as arguments".to_string(),
        }
    }

    /// The error of a queued command EXEC no longer may run.
    pub fn exec_error(&self) -> String {
        let why = match self.reason {
            Reason::Command => "no permission to execute the command or subcommand",
            Reason::Key => "no permission to touch the specified keys",
            Reason::Channel => "no permission to access one of the channels used as arguments",
        };
        format!("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {}", why)
    }

    /// What a script's refused `redis.call` raises (Redis's
    /// `getAclErrorMessage` after "The user executing the script ").
    pub fn script_error(&self) -> String {
        let why = match self.reason {
            Reason::Command => "can't run this command or subcommand",
            Reason::Key => {
                "can't access at least one of the keys mentioned in the command arguments"
            }
            Reason::Channel => "can't publish to the channel mentioned in the command",
        };
        format!("The user executing the script {}", why)
    }

    /// ACL DRYRUN's answer for a refused command line.
    pub fn dryrun_text(&self, registry: &Registry, args: &Args) -> Vec<u8> {
        let (what, name, kind): (&[u8], &[u8], &[u8]) = match self.reason {
            Reason::Command => (
                b"run",
                registry
                    .get(self.command)
                    .map_or(b"", |e| e.fullname.as_bytes()),
                b"command",
            ),
            Reason::Key => (b"access", &args[self.pos], b"key"),
            Reason::Channel => (b"access", &args[self.pos], b"channel"),
        };
        [
            b"This user has no permissions to ".as_slice(),
            what,
            b" the '",
            name,
            b"' ",
            kind,
        ]
        .concat()
    }

    fn log_reason(&self) -> LogReason {
        match self.reason {
            Reason::Command => LogReason::Command,
            Reason::Key => LogReason::Key,
            Reason::Channel => LogReason::Channel,
        }
    }
}

/// Refusals and failed authentications counted for INFO (Redis 7.2's
/// `acl_access_denied_*` fields).
#[derive(Debug, Default, Clone, Copy)]
pub struct DenialCounts {
    pub auth: u64,
    pub command: u64,
    pub key: u64,
    pub channel: u64,
}

/// Every user, by id and by name, and the ACL LOG.
#[derive(Debug)]
pub struct Acl {
    users: Vec<Option<User>>,
    /// Names in byte order (ACL LIST and USERS order, as Redis's radix tree).
    by_name: BTreeMap<Vec<u8>, UserId>,
    pub log: AclLog,
    pub denials: DenialCounts,
}

impl Acl {
    /// Only the default user, allowed everything without a password.
    pub fn new(registry: &Registry, all_channels: bool) -> Acl {
        let ctx = RuleContext {
            registry,
            all_channels,
        };
        let mut acl = Acl {
            users: Vec::new(),
            by_name: BTreeMap::new(),
            log: AclLog::default(),
            denials: DenialCounts::default(),
        };
        acl.insert(User::new_default(&ctx));
        acl
    }

    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(id.index()).and_then(Option::as_ref)
    }

    fn user_mut(&mut self, id: UserId) -> Option<&mut User> {
        self.users.get_mut(id.index()).and_then(Option::as_mut)
    }

    pub fn find(&self, name: &[u8]) -> Option<UserId> {
        self.by_name.get(name).copied()
    }

    /// Users in name order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.by_name.values().filter_map(|&id| self.user(id))
    }

    pub fn default_user(&self) -> Option<&User> {
        self.user(UserId::DEFAULT)
    }

    /// Adds a user (whose name is not taken) in a free slot.
    fn insert(&mut self, user: User) -> UserId {
        let free = self.users.iter().position(Option::is_none);
        let index = free.unwrap_or(self.users.len());
        let id = UserId(u32::try_from(index).unwrap_or(u32::MAX));
        self.by_name.insert(user.name.clone(), id);
        match self.users.get_mut(index) {
            Some(slot) => *slot = Some(user),
            None => self.users.push(Some(user)),
        }
        id
    }

    fn remove(&mut self, id: UserId) -> Option<User> {
        let user = self.users.get_mut(id.index())?.take()?;
        self.by_name.remove(&user.name);
        Some(user)
    }

    /// True when `user` may run anything (or is the primary's link):
    /// nothing needs checking.
    #[inline]
    pub fn unrestricted(&self, user: Option<UserId>) -> bool {
        match user {
            None => true,
            Some(id) => self
                .users
                .get(id.index())
                .is_some_and(|u| u.as_ref().is_some_and(|u| u.unrestricted)),
        }
    }

    /// New connections are authenticated when the default user is on and
    /// needs no password.
    pub fn default_is_open(&self) -> bool {
        self.default_user().is_some_and(|u| u.nopass && u.enabled)
    }

    /// Whether the default user has no password (protected mode applies).
    pub fn default_has_no_password(&self) -> bool {
        self.default_user().is_some_and(|u| u.nopass)
    }

    /// Whether `user` is `skip-sanitize-payload` (its RESTOREs are not
    /// deeply checked under `sanitize-dump-payload clients`).
    pub fn skips_payload_sanitizing(&self, user: Option<UserId>) -> bool {
        user.and_then(|u| self.user(u))
            .is_some_and(|u| u.sanitize == Sanitize::Skip)
    }

    /// The name of a client's user, `(superuser)` for the primary's link.
    pub fn user_name(&self, user: Option<UserId>) -> &[u8] {
        match user {
            None => b"(superuser)",
            Some(id) => self.user(id).map_or(b"", |u| u.name.as_slice()),
        }
    }
}

impl Server {
    /// Checks whether `user` may run command `id` (a registry id) with
    /// `args` (the whole command line, name first): the command or
    /// subcommand, its keys with the access their key specs declare, and
    /// the channels of pub/sub commands. This is the check every command
    /// passes before it runs; the scripting engine calls it for each
    /// `redis.call` (with the script caller's `c.user`) and for
    /// `redis.acl_check_cmd`, then, for a refusal, logs it with
    /// [`Server::acl_log_denial`] (context [`AclContext::Lua`]) and raises
    /// [`AclDenial::script_error`]. A user allowed everything (the default
    /// user unless changed) costs one lookup.
    #[inline]
    pub fn acl_check(&self, user: Option<UserId>, id: usize, args: &Args) -> Result<(), AclDenial> {
        if self.acl.unrestricted(user) {
            return Ok(());
        }
        self.acl_check_rules(user, id, args)
    }

    fn acl_check_rules(
        &self,
        user: Option<UserId>,
        id: usize,
        args: &Args,
    ) -> Result<(), AclDenial> {
        match user.and_then(|u| self.acl.user(u)) {
            Some(u) => u.check(&self.registry, id, args),
            None => Err(AclDenial {
                reason: Reason::Command,
                pos: 0,
                command: id,
            }),
        }
    }

    /// Whether the client's user may read every key when running command
    /// `id`, as SORT's BY and GET options need.
    pub fn acl_full_key_access(&self, c: &Client, id: usize, args: &Args) -> bool {
        if self.acl.unrestricted(c.user) {
            return true;
        }
        c.user
            .and_then(|u| self.acl.user(u))
            .is_some_and(|u| u.has_full_key_access(&self.registry, id, args, ks::ACCESS))
    }

    /// True while the client must authenticate before running commands.
    #[inline]
    pub fn auth_required(&self, c: &Client) -> bool {
        !c.authenticated && !self.acl.default_is_open()
    }

    /// Adds a refusal to the ACL LOG (and the INFO counts): the object is
    /// the command's full name, or the key or channel at fault.
    pub fn acl_log_denial(
        &mut self,
        c: &Client,
        denial: &AclDenial,
        context: AclContext,
        args: &Args,
    ) {
        let object = match denial.reason {
            Reason::Command => self
                .registry
                .get(denial.command)
                .map(|e| e.fullname.as_bytes().to_vec())
                .unwrap_or_default(),
            Reason::Key | Reason::Channel => args[denial.pos].to_vec(),
        };
        let username = self.acl.user_name(c.user).to_vec();
        self.acl_log(c, denial.log_reason(), context, object, username);
    }

    fn acl_log(
        &mut self,
        c: &Client,
        reason: LogReason,
        context: AclContext,
        object: Vec<u8>,
        username: Vec<u8>,
    ) {
        let counter = match reason {
            LogReason::Auth => &mut self.acl.denials.auth,
            LogReason::Command => &mut self.acl.denials.command,
            LogReason::Key => &mut self.acl.denials.key,
            LogReason::Channel => &mut self.acl.denials.channel,
        };
        *counter += 1;
        let entry = LogEntry {
            count: 1,
            reason,
            context,
            object,
            username,
            time_ms: crate::util::now_ms(),
            client_info: self.client_info_string(c),
        };
        let max_len = usize::try_from(self.config.acllog_max_len).unwrap_or(usize::MAX);
        self.acl.log.add(entry, max_len);
    }

    /// AUTH and HELLO AUTH: authenticates `c` as `username` if the
    /// password is right and the user on; a failure is logged (the object
    /// is the command name as sent) and answered WRONGPASS.
    pub fn authenticate(
        &mut self,
        c: &mut Client,
        username: &[u8],
        password: &[u8],
        command: &[u8],
    ) -> Result<(), crate::server::errors::CmdError> {
        let found = self
            .acl
            .find(username)
            .filter(|&id| self.acl.user(id).is_some_and(|u| u.accepts(password)));
        match found {
            Some(id) => {
                c.user = Some(id);
                c.authenticated = true;
                Ok(())
            }
            None => {
                let context = if c.multi.is_open() {
                    AclContext::Multi
                } else {
                    AclContext::Toplevel
                };
                self.acl_log(
                    c,
                    LogReason::Auth,
                    context,
                    command.to_vec(),
                    username.to_vec(),
                );
                Err(crate::server::errors::WRONGPASS.into())
            }
        }
    }

    /// A connection's user and authentication as when it connected (new
    /// connections, RESET).
    pub fn set_default_auth(&self, c: &mut Client) {
        c.user = Some(UserId::DEFAULT);
        c.authenticated = self.acl.default_is_open();
    }

    /// What rules need to know.
    fn rule_context(&self) -> RuleContext<'_> {
        RuleContext {
            registry: &self.registry,
            all_channels: self.config.acl_pubsub_default_all,
        }
    }

    /// ACL SETUSER: creates the user or changes it, all rules or none.
    /// Subscribers of the user who lost a channel they listen to are
    /// disconnected; nothing else is (not even by `off` or new passwords).
    pub fn acl_set_user(
        &mut self,
        c: &mut Client,
        name: &[u8],
        rules: &[&[u8]],
    ) -> Result<(), Vec<u8>> {
        let ctx = self.rule_context();
        let Some(id) = self.acl.find(name) else {
            let mut user = User::new(name, &ctx);
            user.apply_all(rules, &ctx)?;
            self.acl.insert(user);
            return Ok(());
        };
        let Some(mut changed) = self.acl.user(id).cloned() else {
            return Ok(());
        };
        changed.apply_all(rules, &ctx)?;
        let revoked = self
            .acl
            .user(id)
            .and_then(|before| revoked_channels(before, &changed));
        if let Some(slot) = self.acl.user_mut(id) {
            *slot = changed;
        }
        if let Some(allowed) = revoked {
            self.disconnect_revoked_subscribers(c, id, &allowed);
        }
        Ok(())
    }

    /// Closes the subscribers of user `id` listening to a channel or
    /// pattern `allowed` (the user's channel patterns now) no longer
    /// covers, as Redis's `ACLKillPubsubClientsIfNeeded`.
    fn disconnect_revoked_subscribers(
        &mut self,
        current: &mut Client,
        id: UserId,
        allowed: &[Vec<u8>],
    ) {
        let doomed: Vec<usize> = self
            .clients
            .iter()
            .filter(|o| o.user == Some(id) && lost_a_channel(o, allowed))
            .map(|o| o.slot)
            .collect();
        for slot in doomed {
            self.free_client(slot);
        }
        if current.user == Some(id) && lost_a_channel(current, allowed) {
            current.close_asap = true;
        }
    }

    /// ACL DELUSER of one user: its connections are closed (the caller's
    /// after this reply). False if there was no such user.
    pub fn acl_delete_user(&mut self, c: &mut Client, name: &[u8]) -> bool {
        let Some(id) = self.acl.find(name) else {
            return false;
        };
        self.acl.remove(id);
        self.disconnect_user(Some(c), id);
        true
    }

    /// Closes every connection authenticated as `id`; the current one,
    /// after its reply, is meanwhile an unauthenticated default user.
    fn disconnect_user(&mut self, current: Option<&mut Client>, id: UserId) {
        let doomed: Vec<usize> = self
            .clients
            .iter()
            .filter(|o| o.user == Some(id))
            .map(|o| o.slot)
            .collect();
        for slot in doomed {
            self.free_client(slot);
        }
        if let Some(current) = current.filter(|c| c.user == Some(id)) {
            current.user = Some(UserId::DEFAULT);
            current.authenticated = false;
            current.close_after_reply = true;
        }
    }

    /// `requirepass`: the default user's only password, or `nopass`.
    pub fn set_default_password(&mut self, password: Option<&[u8]>) {
        let ctx = self.rule_context();
        let Some(mut user) = self.acl.default_user().cloned() else {
            return;
        };
        let _ = user.apply(b"resetpass", &ctx);
        let _ = match password {
            Some(p) => user.apply(&[b">".as_slice(), p].concat(), &ctx),
            None => user.apply(b"nopass", &ctx),
        };
        if let Some(slot) = self.acl.user_mut(UserId::DEFAULT) {
            *slot = user;
        }
    }

    /// The name of the client's user (CLIENT LIST `user=`, ACL WHOAMI).
    pub fn client_user_name(&self, c: &Client) -> &[u8] {
        self.acl.user_name(c.user)
    }

    /// The context a refusal for `c` is logged in.
    pub fn acl_context(c: &Client) -> AclContext {
        if c.multi.is_open() {
            AclContext::Multi
        } else {
            AclContext::Toplevel
        }
    }
}

/// The channel patterns a changed user keeps, when it lost some: `None`
/// when it keeps every channel it had (some selector allows all of them,
/// or its patterns include every old one), as Redis's quick checks.
fn revoked_channels(before: &User, after: &User) -> Option<Vec<Vec<u8>>> {
    if after.all_channels() {
        return None;
    }
    let upcoming = after.channel_patterns();
    let kept = !before.all_channels()
        && before
            .selectors
            .iter()
            .flat_map(|s| s.channels.iter())
            .all(|c| upcoming.contains(c));
    (!kept).then_some(upcoming)
}

/// Whether a subscriber listens to something `allowed` does not cover.
fn lost_a_channel(c: &Client, allowed: &[Vec<u8>]) -> bool {
    if c.kind != ClientKind::PubSub {
        return false;
    }
    let Some(subs) = c.subscriptions.as_ref() else {
        return false;
    };
    subs.patterns
        .iter()
        .any(|p| !selector::channel_allowed(allowed, p, true))
        || subs
            .channels
            .iter()
            .chain(subs.shard_channels.iter())
            .any(|ch| !selector::channel_allowed(allowed, ch, false))
}

/// Compares two hashes without stopping at the first difference.
fn constant_time_eq(a: &PasswordHash, b: &PasswordHash) -> bool {
    a.iter().zip(b.iter()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_as_redis_hashes_them() {
        assert_eq!(
            &hash_password(b"passwd4"),
            b"34344e4d60c2b6d639b7bd22e18f2b0b91bc34bf0ac5f9952744435093cfb4e6"
        );
    }
}
