//! The shape of a command declaration, and the registry built from the
//! command tables (`commands::TABLES`, one table per command family).
//!
//! A command is declared once, as data next to its handler: name, arity,
//! flags, ACL categories, key specs, docs, handler, subcommands. Arity errors, key extraction
//! (COMMAND GETKEYS), COMMAND INFO/DOCS/LIST/COUNT and per-command stats all
//! read the same declaration.

use crate::resp::parser::Span;
use crate::server::client::Client;
use crate::server::errors::CmdResult;
use crate::server::histogram::Histogram;
use crate::server::Server;
use std::collections::HashMap;

/// A command implementation. Arity has been checked before it runs.
pub type Handler = fn(&mut Server, &mut Client, &Args) -> CmdResult;

/// Flags a command computes from its arguments for the checks before it
/// runs (Redis's `getCommandFlags`: a script's shebang flags replace
/// EVAL's); given the table flags.
pub type FlagsFor = fn(&Server, &Args, u64) -> u64;

/// Custom key extraction for commands whose keys cannot be described by
/// key specs alone (`movablekeys`, or specs with `variable_flags`): returns
/// each key's argument position with its key-spec flags (`ks::*`), as
/// Redis's `getkeys_proc` does.
pub type KeyFinder = fn(&Args) -> Vec<KeyRef>;

/// A key argument found in a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef {
    pub pos: usize,
    /// Key-spec flags (`ks::RO`, `ks::ACCESS`, ...) of this key.
    pub flags: u32,
}

/// Command flags, as COMMAND INFO names them.
pub mod flag {
    pub const WRITE: u64 = 1 << 0;
    pub const READONLY: u64 = 1 << 1;
    pub const DENYOOM: u64 = 1 << 2;
    pub const MODULE: u64 = 1 << 3;
    pub const ADMIN: u64 = 1 << 4;
    pub const PUBSUB: u64 = 1 << 5;
    pub const NOSCRIPT: u64 = 1 << 6;
    pub const BLOCKING: u64 = 1 << 8;
    pub const LOADING: u64 = 1 << 9;
    pub const STALE: u64 = 1 << 10;
    pub const SKIP_MONITOR: u64 = 1 << 11;
    pub const SKIP_SLOWLOG: u64 = 1 << 12;
    pub const ASKING: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const NO_AUTH: u64 = 1 << 15;
    pub const MAY_REPLICATE: u64 = 1 << 16;
    pub const SENTINEL: u64 = 1 << 17;
    pub const ONLY_SENTINEL: u64 = 1 << 18;
    pub const NO_MANDATORY_KEYS: u64 = 1 << 19;
    pub const PROTECTED: u64 = 1 << 20;
    pub const NO_ASYNC_LOADING: u64 = 1 << 23;
    pub const NO_MULTI: u64 = 1 << 24;
    pub const MOVABLE_KEYS: u64 = 1 << 25;
    pub const ALLOW_BUSY: u64 = 1 << 26;
    /// May touch (and lazily expire) keys not named in its arguments;
    /// Redis hides it from COMMAND INFO.
    pub const TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;
    /// reddish's own, never listed: a RESP2 client subscribed to anything
    /// may run it (Redis names these commands in `processCommand`).
    pub const SUBSCRIBED_OK: u64 = 1 << 40;

    /// Names in the order COMMAND INFO lists them.
    pub const NAMES: &[(u64, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (MODULE, "module"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        // MAY_REPLICATE is left out: Redis hides it from COMMAND INFO.
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// ACL categories (`@read`, `@string`, ...). A command declares only the
/// ones Redis gives it by hand; [`Command::acl_categories`] adds those
/// Redis derives from its flags.
pub mod acl {
    pub const KEYSPACE: u64 = 1 << 0;
    pub const READ: u64 = 1 << 1;
    pub const WRITE: u64 = 1 << 2;
    pub const SET: u64 = 1 << 3;
    pub const SORTEDSET: u64 = 1 << 4;
    pub const LIST: u64 = 1 << 5;
    pub const HASH: u64 = 1 << 6;
    pub const STRING: u64 = 1 << 7;
    pub const BITMAP: u64 = 1 << 8;
    pub const HYPERLOGLOG: u64 = 1 << 9;
    pub const GEO: u64 = 1 << 10;
    pub const STREAM: u64 = 1 << 11;
    pub const PUBSUB: u64 = 1 << 12;
    pub const ADMIN: u64 = 1 << 13;
    pub const FAST: u64 = 1 << 14;
    pub const SLOW: u64 = 1 << 15;
    pub const BLOCKING: u64 = 1 << 16;
    pub const DANGEROUS: u64 = 1 << 17;
    pub const CONNECTION: u64 = 1 << 18;
    pub const TRANSACTION: u64 = 1 << 19;
    pub const SCRIPTING: u64 = 1 << 20;

    pub const NAMES: &[(u64, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];

    /// The categories Redis 7.0 derives from command flags
    /// (`setImplicitACLCategories`): write, read (except scripting
    /// commands), admin and dangerous, pubsub, fast, blocking, and slow
    /// for whatever is not fast.
    pub const fn implied(flags: u64, declared: u64) -> u64 {
        use super::flag;
        let mut acl = declared;
        if flags & flag::WRITE != 0 {
            acl |= WRITE;
        }
        if flags & flag::READONLY != 0 && declared & SCRIPTING == 0 {
            acl |= READ;
        }
        if flags & flag::ADMIN != 0 {
            acl |= ADMIN | DANGEROUS;
        }
        if flags & flag::PUBSUB != 0 {
            acl |= PUBSUB;
        }
        if flags & flag::FAST != 0 {
            acl |= FAST;
        }
        if flags & flag::BLOCKING != 0 {
            acl |= BLOCKING;
        }
        if acl & FAST == 0 {
            acl |= SLOW;
        }
        acl
    }

    /// The category named `name` (any case).
    pub fn by_name(name: &[u8]) -> Option<u64> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|&(bit, _)| bit)
    }
}

/// Which arguments of a pub/sub command are channels, for ACL checks (as
/// Redis's `commands_with_channels`).
pub mod channel {
    /// The command subscribes to them.
    pub const SUBSCRIBE: u8 = 1 << 0;
    /// The command unsubscribes from them (never checked).
    pub const UNSUBSCRIBE: u8 = 1 << 1;
    /// The command publishes to them.
    pub const PUBLISH: u8 = 1 << 2;
    /// They are patterns: ACL rules must allow the pattern literally.
    pub const PATTERN: u8 = 1 << 3;
}

/// The channel arguments of a command: `count` of them from position
/// `first` (-1: all the rest), each with the `channel::*` flags.
#[derive(Debug, Clone, Copy)]
pub struct ChannelSpec {
    pub flags: u8,
    pub first: usize,
    pub count: i32,
}

impl ChannelSpec {
    /// Positions of the channels in a command line of `argc` arguments.
    pub fn positions(&self, argc: usize) -> std::ops::Range<usize> {
        let stop = match usize::try_from(self.count) {
            Ok(n) => (self.first + n).min(argc),
            Err(_) => argc,
        };
        self.first..stop.max(self.first)
    }
}

/// Key spec flags.
pub mod ks {
    pub const RO: u32 = 1 << 0;
    pub const RW: u32 = 1 << 1;
    pub const OW: u32 = 1 << 2;
    pub const RM: u32 = 1 << 3;
    pub const ACCESS: u32 = 1 << 4;
    pub const UPDATE: u32 = 1 << 5;
    pub const INSERT: u32 = 1 << 6;
    pub const DELETE: u32 = 1 << 7;
    pub const NOT_KEY: u32 = 1 << 8;
    pub const INCOMPLETE: u32 = 1 << 9;
    pub const VARIABLE_FLAGS: u32 = 1 << 10;

    pub const NAMES: &[(u32, &str)] = &[
        (RO, "RO"),
        (RW, "RW"),
        (OW, "OW"),
        (RM, "RM"),
        (ACCESS, "access"),
        (UPDATE, "update"),
        (INSERT, "insert"),
        (DELETE, "delete"),
        (NOT_KEY, "not_key"),
        (INCOMPLETE, "incomplete"),
        (VARIABLE_FLAGS, "variable_flags"),
    ];
}

/// Where the search for keys starts.
#[derive(Debug, Clone, Copy)]
pub enum Begin {
    /// At a fixed argument position.
    Index(i32),
    /// After the first (or, with a negative `start_from`, last) occurrence of a keyword.
    Keyword {
        keyword: &'static str,
        start_from: i32,
    },
    Unknown,
}

/// How keys are found from the start position.
#[derive(Debug, Clone, Copy)]
pub enum Find {
    /// Keys up to `last` (relative; negative counts from the end) every
    /// `step`; `limit` > 1 keeps only 1/limit of the remaining args.
    Range {
        last: i32,
        step: i32,
        limit: i32,
    },
    /// The argument at `num_idx` says how many keys follow from `first`.
    Keynum {
        num_idx: i32,
        first: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub flags: u32,
    pub begin: Begin,
    pub find: Find,
    /// Remarks COMMAND INFO shows with the spec (empty: none).
    pub notes: &'static str,
}

impl KeySpec {
    /// The most common spec: keys from `index` to `last` every `step`.
    pub const fn range(flags: u32, index: i32, last: i32, step: i32) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Index(index),
            find: Find::Range {
                last,
                step,
                limit: 0,
            },
            notes: "",
        }
    }

    /// Keys counted by an argument (`numkeys key [key ...]`).
    pub const fn keynum(flags: u32, index: i32, num_idx: i32, first: i32, step: i32) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Index(index),
            find: Find::Keynum {
                num_idx,
                first,
                step,
            },
            notes: "",
        }
    }

    pub const fn new(flags: u32, begin: Begin, find: Find) -> KeySpec {
        KeySpec {
            flags,
            begin,
            find,
            notes: "",
        }
    }

    /// Adds the remark COMMAND INFO shows for this spec.
    pub const fn notes(mut self, notes: &'static str) -> KeySpec {
        self.notes = notes;
        self
    }
}

/// Documentation facts for COMMAND DOCS.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub complexity: &'static str,
}

/// One command (or subcommand) declaration.
#[derive(Clone, Copy)]
pub struct Command {
    pub name: &'static str,
    pub handler: Handler,
    pub arity: i32,
    pub flags: u64,
    pub acl: u64,
    pub key_specs: &'static [KeySpec],
    pub key_finder: Option<KeyFinder>,
    /// Flags computed from the arguments, when they depend on them.
    pub flags_for: Option<FlagsFor>,
    /// Pub/sub channel arguments, for ACL checks.
    pub channels: Option<ChannelSpec>,
    pub tips: &'static [&'static str],
    pub doc: Doc,
    pub subcommands: &'static [Command],
}

impl Command {
    pub const fn new(name: &'static str, arity: i32, handler: Handler) -> Command {
        Command {
            name,
            handler,
            arity,
            flags: 0,
            acl: 0,
            key_specs: &[],
            key_finder: None,
            flags_for: None,
            channels: None,
            tips: &[],
            doc: Doc {
                summary: "",
                since: "1.0.0",
                group: "generic",
                complexity: "",
            },
            subcommands: &[],
        }
    }

    pub const fn flags(mut self, flags: u64) -> Command {
        self.flags = flags;
        self
    }

    pub const fn acl(mut self, acl: u64) -> Command {
        self.acl = acl;
        self
    }

    pub const fn keys(mut self, specs: &'static [KeySpec]) -> Command {
        self.key_specs = specs;
        self
    }

    /// Its pub/sub channel arguments (see [`ChannelSpec`]).
    pub const fn channels(mut self, flags: u8, first: usize, count: i32) -> Command {
        self.channels = Some(ChannelSpec {
            flags,
            first,
            count,
        });
        self
    }

    pub const fn key_finder(mut self, finder: KeyFinder) -> Command {
        self.key_finder = Some(finder);
        self
    }

    /// The command computes its flags from its arguments (see [`FlagsFor`]).
    pub const fn flags_for(mut self, f: FlagsFor) -> Command {
        self.flags_for = Some(f);
        self
    }

    pub const fn tips(mut self, tips: &'static [&'static str]) -> Command {
        self.tips = tips;
        self
    }

    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Command {
        self.doc = Doc {
            summary,
            since,
            group,
            complexity,
        };
        self
    }

    pub const fn subcommands(mut self, subs: &'static [Command]) -> Command {
        self.subcommands = subs;
        self
    }

    /// True if `argc` arguments (including the name) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        (arity > 0 && argc == arity) || (arity < 0 && argc >= -arity)
    }

    pub fn has(&self, f: u64) -> bool {
        self.flags & f != 0
    }

    /// Its ACL categories: the declared ones and those its flags imply.
    pub const fn acl_categories(&self) -> u64 {
        acl::implied(self.flags, self.acl)
    }

    /// Legacy (first, last, step) key positions COMMAND INFO shows, derived
    /// from the key specs as Redis does: a single index+range spec as it
    /// is, otherwise the union of the consecutive step-1 range specs.
    pub fn legacy_range(&self) -> (i32, i32, i32) {
        if let [spec] = self.key_specs {
            if let (Begin::Index(first), Find::Range { last, step, .. }) = (spec.begin, spec.find) {
                let last = if last >= 0 { last + first } else { last };
                return (first, last, step);
            }
        }
        let mut first = i32::MAX;
        // Compared as unsigned, so a negative (from-the-end) position wins.
        let mut last: u32 = 0;
        for spec in self.key_specs {
            let (Begin::Index(pos), Find::Range { last: l, step, .. }) = (spec.begin, spec.find)
            else {
                continue;
            };
            if step != 1 || (last != 0 && last as i32 != pos - 1) {
                continue;
            }
            first = first.min(pos);
            let absolute = if l >= 0 { l + pos } else { l };
            last = last.max(absolute as u32);
        }
        if first == i32::MAX {
            return (0, 0, 0);
        }
        (first, last as i32, 1)
    }
}

/// A command's arguments: spans into a buffer, argument 0 being the name.
/// Indexing past the end yields an empty slice instead of panicking.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    pub buf: &'a [u8],
    pub spans: &'a [Span],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], spans: &'a [Span]) -> Self {
        Args { buf, spans }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let &(start, end) = self.spans.get(i)?;
        self.buf.get(start..end)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }

    /// Arguments from position `from` on.
    pub fn tail(&self, from: usize) -> Args<'a> {
        Args {
            buf: self.buf,
            spans: self.spans.get(from..).unwrap_or_default(),
        }
    }

    /// An owned copy of every argument (for MULTI queues, propagation).
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.iter().map(|a| a.to_vec()).collect()
    }
}

impl<'a> std::ops::Index<usize> for Args<'a> {
    type Output = [u8];
    fn index(&self, i: usize) -> &[u8] {
        self.get(i).unwrap_or_default()
    }
}

/// Owned arguments laid out so they can be borrowed as [`Args`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedArgs {
    pub buf: Vec<u8>,
    pub spans: Vec<Span>,
}

impl OwnedArgs {
    pub fn from_slices<T: AsRef<[u8]>>(parts: &[T]) -> Self {
        let mut out = OwnedArgs::default();
        for p in parts {
            out.push(p.as_ref());
        }
        out
    }

    /// A copy of borrowed arguments.
    pub fn from_args(args: &Args) -> Self {
        let mut out = OwnedArgs {
            buf: Vec::with_capacity(args.iter().map(<[u8]>::len).sum()),
            spans: Vec::with_capacity(args.len()),
        };
        for a in args.iter() {
            out.push(a);
        }
        out
    }

    pub fn push(&mut self, arg: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(arg);
        self.spans.push((start, self.buf.len()));
    }

    pub fn args(&self) -> Args<'_> {
        Args::new(&self.buf, &self.spans)
    }
}

/// Per-command counters for INFO commandstats, plus the latency histogram
/// for INFO latencystats and LATENCY HISTOGRAM (allocated on first call).
#[derive(Debug, Default, Clone)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    pub latency: Option<Box<Histogram>>,
}

impl CommandStats {
    /// Adds one duration to the latency histogram.
    pub fn record_latency(&mut self, duration_us: u64) {
        let nanos = i64::try_from(duration_us.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.latency
            .get_or_insert_with(Default::default)
            .record(nanos);
    }
}

/// A command as registered: the declaration plus its full name and stats.
pub struct Entry {
    pub cmd: &'static Command,
    /// `get`, or `client|list` for a subcommand.
    pub fullname: String,
    pub parent: Option<usize>,
    pub stats: CommandStats,
    subs: NameMap,
}

/// All commands by id, with lookups by name.
pub struct Registry {
    pub entries: Vec<Entry>,
    top: NameMap,
}

impl Registry {
    pub fn new(tables: &[&'static [Command]]) -> Self {
        let mut reg = Registry {
            entries: Vec::new(),
            top: NameMap::default(),
        };
        for cmd in tables.iter().flat_map(|t| t.iter()) {
            let id = reg.add(cmd, None, cmd.name.to_string());
            reg.top.insert(cmd.name.as_bytes().to_vec(), id);
            for sub in cmd.subcommands {
                let fullname = format!("{}|{}", cmd.name, sub.name);
                let sub_id = reg.add(sub, Some(id), fullname);
                reg.entries[id]
                    .subs
                    .insert(sub.name.as_bytes().to_vec(), sub_id);
            }
        }
        reg
    }

    fn add(&mut self, cmd: &'static Command, parent: Option<usize>, fullname: String) -> usize {
        self.entries.push(Entry {
            cmd,
            fullname,
            parent,
            stats: CommandStats::default(),
            subs: NameMap::default(),
        });
        self.entries.len() - 1
    }

    /// A top-level command by (any-case) name.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 64];
        let lower = crate::util::lowercase_into(name, &mut buf)?;
        self.top.get(lower).copied()
    }

    /// Makes a top-level command answer to `to` instead of `from`
    /// (`rename-command`); an empty `to` removes it.
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(id) = self.top.remove(from.to_ascii_lowercase().as_bytes()) {
            if !to.is_empty() {
                self.top.insert(to.to_ascii_lowercase().into_bytes(), id);
            }
        }
    }

    /// A subcommand of `parent` by (any-case) name.
    pub fn find_sub(&self, parent: usize, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 64];
        let lower = crate::util::lowercase_into(name, &mut buf)?;
        self.entries.get(parent)?.subs.get(lower).copied()
    }

    /// Resolves a whole command line to a command or subcommand id, as
    /// Redis's `lookupCommand`: a container resolves to its subcommand.
    pub fn lookup(&self, args: &Args) -> Lookup {
        let Some(id) = self.find(&args[0]) else {
            return Lookup::Unknown;
        };
        let Some(entry) = self.entries.get(id) else {
            return Lookup::Unknown;
        };
        if entry.cmd.subcommands.is_empty() || args.len() < 2 {
            return Lookup::Found(id);
        }
        match self.find_sub(id, &args[1]) {
            Some(sub) => Lookup::Found(sub),
            None => Lookup::UnknownSub(id),
        }
    }

    pub fn get(&self, id: usize) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// A command by full name under its original name, whatever
    /// `rename-command` did (ACL rules name commands so, as Redis's
    /// `ACLLookupCommand` reads its original table).
    pub fn find_original(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.split(|&b| b == b'|');
        let base = parts.next()?;
        let parent = self
            .entries
            .iter()
            .position(|e| e.parent.is_none() && e.cmd.name.as_bytes().eq_ignore_ascii_case(base))?;
        match (parts.next(), parts.next()) {
            (None, _) => Some(parent),
            (Some(sub), None) => self.find_sub(parent, sub),
            (Some(_), Some(_)) => None,
        }
    }

    /// A command by full name (`get`, `config|get`), as Redis's
    /// `lookupCommandBySds`: one level of subcommands, any case.
    pub fn find_fullname(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.split(|&b| b == b'|');
        let parent = self.find(parts.next()?)?;
        let Some(sub) = parts.next() else {
            return Some(parent);
        };
        if parts.next().is_some() {
            return None;
        }
        self.find_sub(parent, sub)
    }

    /// Zeroes every command's counters and histograms (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        for e in &mut self.entries {
            e.stats = CommandStats::default();
        }
    }

    /// Ids of top-level commands, in declaration order.
    pub fn top_level(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.parent.is_none())
            .map(|(i, _)| i)
    }

    /// Ids of the subcommands of `id`.
    pub fn subcommands_of(&self, id: usize) -> impl Iterator<Item = usize> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.parent == Some(id))
            .map(|(i, _)| i)
    }
}

/// Result of resolving a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Found(usize),
    Unknown,
    /// The container exists but the subcommand does not.
    UnknownSub(usize),
}

/// Positions of the key arguments of a command line (see [`command_keys`]).
pub fn key_positions(cmd: &Command, args: &Args) -> Vec<usize> {
    command_keys(cmd, args).into_iter().map(|k| k.pos).collect()
}

/// True if the command can have key arguments at all (Redis's
/// `doesCommandHaveKeys`).
pub fn has_keys(cmd: &Command) -> bool {
    cmd.key_finder.is_some() || cmd.key_specs.iter().any(|s| s.flags & ks::NOT_KEY == 0)
}

/// The keys of a command line with their flags, as Redis's
/// `getKeysFromCommandWithSpecs`: the key specs when they are complete and
/// their flags fixed, otherwise the command's own finder. A command whose
/// specs have `variable_flags` but that declares no finder falls back to its
/// specs (with the spec flags). Empty when the arguments do not match.
pub fn command_keys(cmd: &Command, args: &Args) -> Vec<KeyRef> {
    let variable_flags = cmd
        .key_specs
        .iter()
        .any(|s| s.flags & ks::VARIABLE_FLAGS != 0);
    if !variable_flags || cmd.key_finder.is_none() {
        if let Some(keys) = keys_from_specs(cmd, args) {
            return keys;
        }
    }
    cmd.key_finder.map(|f| f(args)).unwrap_or_default()
}

/// Keys by key specs alone; `None` when a spec cannot be evaluated for
/// these arguments (unknown or incomplete spec, numbers out of range).
pub fn keys_from_specs(cmd: &Command, args: &Args) -> Option<Vec<KeyRef>> {
    let argc = args.len() as i64;
    let mut out = Vec::new();
    for spec in cmd.key_specs {
        if spec.flags & ks::NOT_KEY != 0 {
            continue;
        }
        let first = match spec.begin {
            Begin::Index(i) => i64::from(i),
            Begin::Keyword {
                keyword,
                start_from,
            } => match keyword_position(args, keyword, start_from) {
                Some(pos) => pos + 1,
                None => continue,
            },
            Begin::Unknown => return None,
        };
        let (first, last, step) = spec_range(spec, args, first)?;
        if last >= argc || last < first || first >= argc || step <= 0 {
            return None;
        }
        let mut i = first;
        while i <= last {
            out.push(KeyRef {
                pos: i as usize,
                flags: spec.flags,
            });
            i += step;
        }
        if spec.flags & ks::INCOMPLETE != 0 {
            return None;
        }
    }
    Some(out)
}

/// Where a `Begin::Keyword` spec finds its keyword: searching forward from
/// `start_from`, or backward from the end when it is negative. As in Redis
/// the last position of the walk (the last argument, or argument 1) is not
/// examined: no key could follow it.
fn keyword_position(args: &Args, keyword: &str, start_from: i32) -> Option<i64> {
    let argc = args.len() as i64;
    let start_from = i64::from(start_from);
    let (mut i, end, step) = if start_from > 0 {
        (start_from, argc - 1, 1)
    } else {
        (argc + start_from, 1, -1)
    };
    while i != end {
        if i >= argc || i < 1 {
            return None;
        }
        if args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
            return Some(i);
        }
        i += step;
    }
    None
}

/// The (first, last, step) key positions of a spec that starts at `first`.
fn spec_range(spec: &KeySpec, args: &Args, first: i64) -> Option<(i64, i64, i64)> {
    let argc = args.len() as i64;
    match spec.find {
        Find::Range { last, step, limit } => {
            let last = i64::from(last);
            let end = if last >= 0 {
                first + last
            } else if limit == 0 {
                argc + last
            } else {
                first + ((argc - first) / i64::from(limit) + last)
            };
            Some((first, end, i64::from(step)))
        }
        Find::Keynum {
            num_idx,
            first: first_key,
            step,
        } => {
            let count = args
                .get(usize::try_from(first + i64::from(num_idx)).ok()?)
                .and_then(crate::util::parse_i64)
                .filter(|n| *n >= 0)?;
            let start = first + i64::from(first_key);
            Some((start, start + count - 1, i64::from(step)))
        }
        Find::Unknown => None,
    }
}

/// FNV-1a: a fast hasher for the fixed, server-defined command-name table
/// (its keys are ours, so collision attacks cannot grow it).
#[derive(Default, Clone, Copy)]
pub struct NameHasher(u64);

impl std::hash::Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

type NameMap = HashMap<Vec<u8>, usize, std::hash::BuildHasherDefault<NameHasher>>;
