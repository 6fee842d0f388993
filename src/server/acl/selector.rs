//! One ACL selector: the commands, keys and channels one set of rules
//! allows, the rules that change it (Redis's `ACLSetSelector`) and the
//! check of a command line against it.
//!
//! Commands are bits indexed by registry id (subcommands have ids of their
//! own). `future` stands for Redis's reserved bit: `+@all` sets it and only
//! `-@all` clears it, so a user built by subtracting from everything is
//! described as `+@all -...` and one built by adding as `-@all +...`.

use super::rules::RuleError;
use crate::db::glob::glob_match;
use crate::server::spec::{acl, channel, command_keys, has_keys, ks, Args, KeyRef, Registry};

/// A key pattern may be read (`%R~`), written (`%W~`) or both (`~`).
pub const KEY_READ: u8 = 1;
pub const KEY_WRITE: u8 = 2;
pub const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

/// A key pattern with the access it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    pub flags: u8,
    pub pattern: Vec<u8>,
}

impl KeyPattern {
    /// As rules write it: `~p`, `%R~p` or `%W~p`.
    pub fn describe_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.flags {
            KEY_READ => b"%R~".as_slice(),
            KEY_WRITE => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }

    fn allows(&self, needed: u8, key: &[u8]) -> bool {
        self.flags & needed == needed && glob_match(&self.pattern, key, false)
    }
}

/// One bit per registry id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBits(Vec<u64>);

impl CommandBits {
    fn new(commands: usize) -> CommandBits {
        CommandBits(vec![0; commands / 64 + 1])
    }

    pub fn get(&self, id: usize) -> bool {
        self.0
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn put(&mut self, id: usize, on: bool) {
        if let Some(w) = self.0.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
    }

    fn fill(&mut self, on: bool) {
        let word = if on { u64::MAX } else { 0 };
        self.0.iter_mut().for_each(|w| *w = word);
    }
}

/// Why a selector refuses a command line, in Redis's order of relevance
/// (`ACL_DENIED_CMD` < `_KEY` < `_CHANNEL`): with several selectors the
/// most relevant refusal is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Command,
    Key,
    Channel,
}

/// The keys of the command line being checked, found once for all the
/// selectors of a user.
#[derive(Default)]
pub struct KeyCache(Option<Vec<KeyRef>>);

impl KeyCache {
    fn keys(&mut self, registry: &Registry, id: usize, args: &Args) -> &[KeyRef] {
        self.0.get_or_insert_with(|| {
            registry
                .get(id)
                .map(|e| command_keys(e.cmd, args))
                .unwrap_or_default()
        })
    }
}

/// What one selector allows.
#[derive(Debug, Clone)]
pub struct Selector {
    /// The user's own rules (outside parentheses).
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    /// Every command, checked without looking at the bits.
    pub allcommands: bool,
    /// Redis's reserved bit: the rules started from `+@all`.
    pub future: bool,
    pub commands: CommandBits,
    /// First arguments allowed for an otherwise denied command
    /// (`+select|0`), by command id.
    pub first_args: Vec<(usize, Vec<Vec<u8>>)>,
    pub keys: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// A selector allowing nothing; `all_channels` is `acl-pubsub-default`.
    pub fn new(root: bool, commands: usize, all_channels: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels: all_channels,
            allcommands: false,
            future: false,
            commands: CommandBits::new(commands),
            first_args: Vec::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// True when it allows every command, key and channel.
    pub fn unrestricted(&self) -> bool {
        self.allcommands && self.allkeys && self.allchannels
    }

    /// Applies one rule (Redis's `ACLSetSelector`).
    pub fn apply(&mut self, op: &[u8], registry: &Registry) -> Result<(), RuleError> {
        let word = c_string(op);
        let is = |name: &str| word.eq_ignore_ascii_case(name.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.commands.fill(true);
            self.future = true;
            self.allcommands = true;
            self.first_args.clear();
        } else if is("nocommands") || is("-@all") {
            self.commands.fill(false);
            self.future = false;
            self.allcommands = false;
            self.first_args.clear();
        } else {
            match op {
                [b'~' | b'%', ..] => self.add_key_pattern(op)?,
                [b'&', pattern @ ..] => self.add_channel(pattern)?,
                [b'+' | b'-', b'@', category @ ..] => {
                    let bit = acl::by_name(c_string(category)).ok_or(RuleError::UnknownName)?;
                    self.set_category(registry, bit, op[0] == b'+');
                }
                [b'+', name @ ..] => self.allow_command(c_string(name), registry)?,
                [b'-', name @ ..] => {
                    let id = registry
                        .find_original(c_string(name))
                        .ok_or(RuleError::UnknownName)?;
                    self.change_permission(registry, id, false);
                }
                _ => return Err(RuleError::Syntax),
            }
        }
        Ok(())
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`. As in the
    /// Redis 7.0.15 Debian ships (with the fix for CVE-2024-31227), `%`
    /// needs at least one permission before its `~`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::PatternAfterAllKeys);
        }
        let (flags, pattern) = if op.first() == Some(&b'~') {
            (KEY_ALL, &op[1..])
        } else {
            parse_key_permissions(op)?
        };
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pattern) {
            Some(existing) => existing.flags |= flags,
            None => self.keys.push(KeyPattern {
                flags,
                pattern: pattern.to_vec(),
            }),
        }
        self.allkeys = false;
        Ok(())
    }

    fn add_channel(&mut self, pattern: &[u8]) -> Result<(), RuleError> {
        if self.allchannels {
            return Err(RuleError::PatternAfterAllChannels);
        }
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        if !self.channels.iter().any(|c| c == pattern) {
            self.channels.push(pattern.to_vec());
        }
        Ok(())
    }

    /// `+command`, `+container|subcommand` or `+command|first-arg`.
    fn allow_command(&mut self, name: &[u8], registry: &Registry) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = registry.find_original(name).ok_or(RuleError::UnknownName)?;
            self.change_permission(registry, id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = registry.find_original(base).ok_or(RuleError::UnknownName)?;
        let entry = registry.get(id).ok_or(RuleError::UnknownName)?;
        if entry.parent.is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !entry.cmd.subcommands.is_empty() {
            let sub_id = registry.find_original(name).ok_or(RuleError::UnknownName)?;
            self.change_permission(registry, sub_id, true);
            return Ok(());
        }
        log::warn!(
            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
            String::from_utf8_lossy(name)
        );
        self.add_first_arg(id, sub);
        Ok(())
    }

    fn add_first_arg(&mut self, id: usize, arg: &[u8]) {
        let position = self.first_args.iter().position(|(i, _)| *i == id);
        let args = match position {
            Some(p) => &mut self.first_args[p].1,
            None => {
                self.first_args.push((id, Vec::new()));
                let last = self.first_args.len() - 1;
                &mut self.first_args[last].1
            }
        };
        if !args.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            args.push(arg.to_vec());
        }
    }

    /// First arguments allowed for command `id`.
    pub fn first_args_of(&self, id: usize) -> &[Vec<u8>] {
        self.first_args
            .iter()
            .find(|(i, _)| *i == id)
            .map_or(&[], |(_, args)| args.as_slice())
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        self.commands.put(id, on);
        if !on {
            self.allcommands = false;
        }
    }

    /// Allows or denies command `id`, and with a container all its
    /// subcommands (Redis's `ACLChangeSelectorPerm`).
    pub fn change_permission(&mut self, registry: &Registry, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.retain(|(i, _)| *i != id);
        for sub in registry.subcommands_of(id) {
            self.set_bit(sub, allow);
        }
    }

    /// `+@category` / `-@category`: every command of the category, a
    /// container with all its subcommands, then the subcommands of any
    /// container that are in the category themselves.
    pub fn set_category(&mut self, registry: &Registry, category: u64, allow: bool) {
        for id in registry.top_level() {
            let Some(entry) = registry.get(id) else {
                continue;
            };
            if entry.cmd.acl_categories() & category != 0 {
                self.change_permission(registry, id, allow);
            }
            for sub in registry.subcommands_of(id) {
                let in_category = registry
                    .get(sub)
                    .is_some_and(|e| e.cmd.acl_categories() & category != 0);
                if in_category {
                    self.change_permission(registry, sub, allow);
                }
            }
        }
    }

    /// Checks a command line (Redis's `ACLSelectorCheckCmd`): the command
    /// (or one of its allowed first arguments), then its keys, then its
    /// channels. A refusal names the argument at fault (0 for the command).
    pub fn check(
        &self,
        registry: &Registry,
        id: usize,
        args: &Args,
        keys: &mut KeyCache,
    ) -> Result<(), (Reason, usize)> {
        let Some(entry) = registry.get(id) else {
            return Err((Reason::Command, 0));
        };
        let cmd = entry.cmd;
        let exempt = cmd.has(crate::server::spec::flag::NO_AUTH);
        if !self.allcommands && !exempt && !self.commands.get(id) {
            let at = if entry.parent.is_some() { 2 } else { 1 };
            let allowed_arg = args.len() >= 2
                && self
                    .first_args_of(id)
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(c_string(&args[at])));
            if !allowed_arg {
                return Err((Reason::Command, 0));
            }
        }
        if !self.allkeys && has_keys(cmd) {
            for key in keys.keys(registry, id, args) {
                if !self.allows_key(&args[key.pos], key.flags) {
                    return Err((Reason::Key, key.pos));
                }
            }
        }
        if let Some(spec) = cmd.channels {
            let checked = spec.flags & (channel::PUBLISH | channel::SUBSCRIBE) != 0;
            if !self.allchannels && checked {
                let is_pattern = spec.flags & channel::PATTERN != 0;
                for pos in spec.positions(args.len()) {
                    if !self.allows_channel(&args[pos], is_pattern) {
                        return Err((Reason::Channel, pos));
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether `key` may be used with the access its key-spec flags say
    /// (reading for `access`, writing for `insert`, `delete`, `update`).
    pub fn allows_key(&self, key: &[u8], spec_flags: u32) -> bool {
        if self.allkeys {
            return true;
        }
        let needed = needed_access(spec_flags);
        self.keys.iter().any(|p| p.allows(needed, key))
    }

    /// True when every key may be used with that access: `allkeys`, or a
    /// `*` pattern granting it (what SORT's BY and GET need).
    pub fn allows_every_key(&self, spec_flags: u32) -> bool {
        let needed = needed_access(spec_flags);
        self.allkeys
            || self
                .keys
                .iter()
                .any(|p| p.flags & needed == needed && p.pattern == b"*")
    }

    /// A channel is matched against the channel patterns; a pattern (of
    /// PSUBSCRIBE) must be one of them literally.
    pub fn allows_channel(&self, name: &[u8], is_pattern: bool) -> bool {
        self.allchannels || channel_allowed(&self.channels, name, is_pattern)
    }
}

/// Whether `name` passes a list of channel patterns (literally for a
/// pattern).
pub fn channel_allowed(patterns: &[Vec<u8>], name: &[u8], is_pattern: bool) -> bool {
    patterns.iter().any(|p| {
        if is_pattern {
            p == name
        } else {
            glob_match(p, name, false)
        }
    })
}

fn needed_access(spec_flags: u32) -> u8 {
    let mut needed = 0;
    if spec_flags & ks::ACCESS != 0 {
        needed |= KEY_READ;
    }
    if spec_flags & (ks::INSERT | ks::DELETE | ks::UPDATE) != 0 {
        needed |= KEY_WRITE;
    }
    needed
}

/// The permissions and pattern of a `%...~pattern` rule.
fn parse_key_permissions(op: &[u8]) -> Result<(u8, &[u8]), RuleError> {
    let mut flags = 0;
    let mut offset = 1;
    while let Some(&c) = op.get(offset) {
        match c.to_ascii_uppercase() {
            b'R' if flags & KEY_READ == 0 => flags |= KEY_READ,
            b'W' if flags & KEY_WRITE == 0 => flags |= KEY_WRITE,
            b'~' if flags != 0 => {
                offset += 1;
                break;
            }
            _ => return Err(RuleError::Syntax),
        }
        offset += 1;
    }
    if flags == 0 {
        return Err(RuleError::Syntax);
    }
    Ok((flags, op.get(offset..).unwrap_or_default()))
}

/// Spaces (C's `isspace`) or NUL bytes, which names and patterns may not
/// contain.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&b| b == 0 || crate::util::is_c_space(b))
}

/// The bytes before the first NUL: Redis compares rule keywords and looks
/// command names up as C strings.
pub fn c_string(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |end| &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_permissions() {
        assert_eq!(parse_key_permissions(b"%R~a*"), Ok((KEY_READ, &b"a*"[..])));
        assert_eq!(parse_key_permissions(b"%wr~x"), Ok((KEY_ALL, &b"x"[..])));
        assert_eq!(parse_key_permissions(b"%W"), Ok((KEY_WRITE, &b""[..])));
        for bad in [&b"%"[..], b"%~a", b"%RR~a", b"%X~a", b"%RWR~x"] {
            assert_eq!(
                parse_key_permissions(bad),
                Err(RuleError::Syntax),
                "{:?}",
                bad
            );
        }
    }

    #[test]
    fn key_access_follows_spec_flags() {
        let mut s = Selector::new(true, 10, false);
        s.keys.push(KeyPattern {
            flags: KEY_READ,
            pattern: b"r*".to_vec(),
        });
        assert!(s.allows_key(b"r1", ks::RO | ks::ACCESS));
        assert!(!s.allows_key(b"r1", ks::RW | ks::UPDATE));
        // Neither read nor write (EXISTS): any pattern will do.
        assert!(s.allows_key(b"r1", ks::RO));
        assert!(!s.allows_key(b"x", ks::RO));
        assert!(!s.allows_every_key(ks::ACCESS));
        s.keys.push(KeyPattern {
            flags: KEY_READ,
            pattern: b"*".to_vec(),
        });
        assert!(s.allows_every_key(ks::ACCESS));
        assert!(!s.allows_every_key(ks::UPDATE));
    }

    #[test]
    fn channels_match_as_patterns_or_literally() {
        let list = vec![b"news.*".to_vec()];
        assert!(channel_allowed(&list, b"news.tech", false));
        assert!(!channel_allowed(&list, b"news.t*", true));
        assert!(channel_allowed(&list, b"news.*", true));
    }
}
