//! DEBUG: the testing and introspection hooks Redis's test suite relies on
//! (DIGEST, OBJECT, POPULATE, PROTOCOL, RELOAD, SLEEP, SET-ACTIVE-EXPIRE,
//! PAUSE-CRON, SET-DISABLE-DENY-SCRIPTS, LOG, ERROR). The dispatcher only
//! lets it run when `enable-debug-command` allows the client.
//!
//! DEBUG DIGEST uses Redis's algorithm, so the same dataset gives the same
//! hex string on both servers: every key's digest is SHA1-mixed from the
//! key, the value type and the value (order-sensitive parts are mixed,
//! unordered parts xored), and the key digests are xored together per
//! database. A new value type plugs in by adding its arm to
//! [`mix_value_digest`] and [`type_code`].

use super::reply_help;
use crate::persistence::snapshot::write_options;
use crate::persistence::writer::serialized_len;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::keyspace::LRU_CLOCK_RESOLUTION_MS;
use crate::server::spec::{acl, flag, Args, Command};
use crate::server::Server;
use crate::types::{Object, StrValue, Stream, TableShape, Value};
use sha1::{Digest as _, Sha1};

/// A 20-byte running digest.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 20]);

impl Digest {
    /// Xors in SHA1(data): order-insensitive accumulation.
    pub fn xor(&mut self, data: &[u8]) {
        for (d, h) in self.0.iter_mut().zip(Sha1::digest(data)) {
            *d ^= h;
        }
    }

    /// Xors in SHA1(data), then replaces the digest by its own SHA1:
    /// order-sensitive accumulation.
    pub fn mix(&mut self, data: &[u8]) {
        self.xor(data);
        self.0 = Sha1::digest(self.0).into();
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

/// Redis's numeric object type (`OBJ_STRING` = 0, ...), mixed into digests.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::Set(_) => 2,
        Value::List(_) => 1,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
        Value::ZSet(_) => 3,
    }
}

/// Mixes the contents of a value into `d`.
fn mix_value_digest(d: &mut Digest, value: &Value) {
    match value {
        Value::Str(s) => {
            let mut tmp = [0u8; 21];
            d.mix(s.bytes(&mut tmp));
        }
        Value::ZSet(z) => {
            for (member, score) in z.iter() {
                d.xor(&member_score_digest(member, score).0);
            }
        }
        Value::Set(set) => {
            let mut tmp = [0u8; 21];
            for member in set.iter() {
                d.xor(member.bytes(&mut tmp));
            }
        }
        Value::List(l) => {
            for element in l.iter() {
                d.mix(element);
            }
        }
        Value::Hash(h) => xor_pairs_digest(d, h.iter()),
        Value::Stream(s) => mix_stream_digest(d, s),
    }
}

/// Xors in one order-sensitive digest per (field, value) pair: the digest
/// of an unordered collection of pairs (hashes, and sorted sets with their
/// scores as text).
pub fn xor_pairs_digest<'a>(d: &mut Digest, pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) {
    for (field, value) in pairs {
        let mut pair = Digest::default();
        pair.mix(field);
        pair.mix(value);
        d.xor(&pair.0);
    }
}

/// Every entry in order: its ID as `<ms>.<seq>`, then each field and
/// value (consumer groups are not part of the digest).
fn mix_stream_digest(d: &mut Digest, s: &Stream) {
    let mut tmp = [0u8; 21];
    for entry in s.entries.iter() {
        d.mix(entry.id.text_with(b'.').as_ref());
        for (field, value) in entry.fields() {
            d.mix(field.bytes(&mut tmp));
            d.mix(value.bytes(&mut tmp));
        }
    }
}

/// The digest of one sorted-set entry: member, then the `%.17g` score.
fn member_score_digest(member: &[u8], score: f64) -> Digest {
    let mut e = Digest::default();
    e.mix(member);
    e.mix(crate::util::format_double_g17(score).as_bytes());
    e
}

/// Adds one value (type, contents, whether it has a TTL) to `d`.
fn object_digest(d: &mut Digest, value: &Value, has_expire: bool) {
    d.mix(&type_code(value).to_be_bytes());
    mix_value_digest(d, value);
    if has_expire {
        d.xor(b"!!expire!!");
    }
}

/// The digest of every database (keys logically expired but not yet
/// deleted included, as in Redis).
pub fn dataset_digest(srv: &Server) -> Digest {
    let mut total = Digest::default();
    for (index, db) in srv.dbs.iter().enumerate() {
        if db.keys.is_empty() {
            continue;
        }
        total.mix(&(index as u32).to_be_bytes());
        for (key, obj) in &db.keys {
            let mut d = Digest::default();
            d.mix(key);
            object_digest(&mut d, &obj.value, db.expire_of(key).is_some());
            total.xor(&d.0);
        }
    }
    total
}

/// The digest of one key's value in the client's database (zeros if absent).
fn value_digest(srv: &Server, db: usize, key: &[u8]) -> Digest {
    let mut d = Digest::default();
    if let Some(db) = srv.dbs.get(db) {
        if let Some(obj) = db.keys.get(key) {
            object_digest(&mut d, &obj.value, db.expire_of(key).is_some());
        }
    }
    d
}

/// C's `atoi`: optional blanks and sign, then digits; 0 when none.
fn atoi(arg: &[u8]) -> i64 {
    let text = std::str::from_utf8(arg).unwrap_or("");
    let text = text.trim_start_matches(|ch: char| ch.is_ascii_whitespace());
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
        });
    if negative {
        n.wrapping_neg()
    } else {
        n
    }
}

/// C's `strtod` on the longest decimal prefix (0 when there is none).
fn strtod_prefix(arg: &[u8]) -> f64 {
    const MAX_NUMBER_LEN: usize = 400;
    let start = arg.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let number: Vec<u8> = arg[start..]
        .iter()
        .take(MAX_NUMBER_LEN)
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        .copied()
        .collect();
    (1..=number.len())
        .rev()
        .find_map(|end| {
            std::str::from_utf8(&number[..end])
                .ok()?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
}

/// Redis shares the integers 0..10000 between all keys; such values report
/// the shared object's reference count.
fn refcount(value: &Value) -> i64 {
    match value {
        Value::Str(StrValue::Int(n)) if (0..10_000).contains(n) => i64::from(i32::MAX),
        _ => 1,
    }
}

/// DEBUG OBJECT's quicklist details: nodes, average fill, fill setting,
/// compression (never) and total node bytes.
fn quicklist_details(value: &Value) -> String {
    let Value::List(l) = value else {
        return String::new();
    };
    let nodes = l.node_count();
    format!(
        " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:0 ql_uncompressed_size:{}",
        nodes,
        l.len() as f64 / nodes as f64,
        l.fill(),
        l.node_bytes().sum::<usize>()
    )
}

/// Seconds since the object was last accessed, from the LRU clock.
fn idle_seconds(srv: &Server, obj: &Object) -> u64 {
    let clock = srv.lru_clock();
    u64::from(crate::server::keyspace::idle_ticks(clock, obj.lru)) * LRU_CLOCK_RESOLUTION_MS as u64
        / 1000
}

/// DEBUG REPLYBUFFER RESIZING <0|1> turns the clients cron's resizing of
/// reply buffers off or on; PEAK-RESET-TIME <ms>|NEVER|RESET sets how often
/// their peaks restart.
fn debug_replybuffer(srv: &mut Server, args: &Args) -> Result<(), CmdError> {
    let arg = |i| args.get(i).unwrap_or_default();
    let (what, value) = (arg(2), arg(3));
    if what.eq_ignore_ascii_case(b"resizing") {
        srv.reply_buffer_resizing = atoi(value) != 0;
    } else if what.eq_ignore_ascii_case(b"peak-reset-time") {
        srv.reply_buffer_peak_reset_ms = if value.eq_ignore_ascii_case(b"never") {
            -1
        } else if value.eq_ignore_ascii_case(b"reset") {
            crate::server::clients_cron::REPLY_PEAK_RESET_MS
        } else {
            crate::util::parse_i64(value).ok_or(CmdError::Static(errors::NOT_INTEGER))?
        };
    } else {
        return Err(errors::subcommand_syntax(arg(0), arg(1)));
    }
    Ok(())
}

/// DEBUG OBJECT key: Redis's one-line description of the stored value.
fn debug_object(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let db = c.db.min(srv.dbs.len().saturating_sub(1));
    let Some(obj) = srv.dbs.get(db).and_then(|d| d.keys.get(key)) else {
        return Err(errors::NO_SUCH_KEY.into());
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}{}",
        obj as *const Object,
        refcount(&obj.value),
        obj.value.encoding(),
        serialized_len(
            &crate::persistence::value::save_form(&obj.value),
            write_options(srv)
        ),
        obj.lru,
        idle_seconds(srv, obj),
        quicklist_details(&obj.value)
    );
    c.reply.simple(&line);
    Ok(())
}

/// Longest chain Redis's statistics count on their own (`DICT_STATS_VECTLEN`
/// less one: longer chains are counted, not listed).
const CHAIN_STATS_LEN: usize = 50;

/// A hash table's statistics in the text of Redis's `dictGetStats`, from
/// the length of the chain in each of its buckets; `table` 0 is the main
/// table, 1 the one a resize moves into.
fn table_stats(table: u8, elements: usize, chains: impl ExactSizeIterator<Item = usize>) -> String {
    let role = if table == 0 {
        "main hash table"
    } else {
        "rehashing target"
    };
    let header = format!("Hash table {table} stats ({role}):\n");
    if elements == 0 {
        return format!("{header}No stats available for empty dictionaries\n");
    }
    let size = chains.len();
    let mut histogram = [0usize; CHAIN_STATS_LEN];
    let (mut slots, mut longest, mut total) = (0usize, 0usize, 0usize);
    for chain in chains {
        if let Some(count) = histogram.get_mut(chain.min(CHAIN_STATS_LEN - 1)) {
            *count += 1;
        }
        if chain > 0 {
            slots += 1;
            longest = longest.max(chain);
            total += chain;
        }
    }
    let mut text = format!(
        "{header} table size: {size}\n number of elements: {elements}\n different slots: {slots}\n \
         max chain length: {longest}\n avg chain length (counted): {:.2}\n \
         avg chain length (computed): {:.2}\n Chain length distribution:\n",
        total as f32 / slots as f32,
        elements as f32 / slots as f32,
    );
    for (chain, &count) in histogram.iter().enumerate().take(CHAIN_STATS_LEN - 1) {
        if count > 0 {
            let percent = count as f32 / size as f32 * 100.0;
            text += &format!("   {chain}: {count} ({percent:.2}%)\n");
        }
    }
    text
}

/// The statistics of a table without chains (open addressing, or the
/// expiry records): every element has a bucket of its own, in a table of
/// the next power of two.
fn unchained_table_stats(shape: TableShape) -> String {
    let size = shape.capacity.max(shape.elements).next_power_of_two();
    let chains = (0..size).map(|i| usize::from(i < shape.elements));
    table_stats(0, shape.elements, chains)
}

/// DEBUG HTSTATS dbid: the keyspace's and the expiry table's statistics.
fn debug_htstats(srv: &Server, c: &mut Client, dbid: &[u8]) -> CmdResult {
    let index = crate::util::parse_i64(dbid).ok_or(CmdError::Static(errors::NOT_INTEGER))?;
    let Some(db) = usize::try_from(index).ok().and_then(|i| srv.dbs.get(i)) else {
        return Err(CmdError::Static("ERR Out of range database"));
    };
    let keys = &db.keys;
    let expires = TableShape {
        elements: keys.expires_len(),
        capacity: keys.expires_capacity(),
    };
    let (main, target) = keys.chain_lengths();
    let mut text = String::from("[Dictionary HT]\n");
    for (table, chains) in [Some(main), target].into_iter().flatten().enumerate() {
        let elements = chains.iter().sum();
        text += &table_stats(table as u8, elements, chains.into_iter());
    }
    text += "[Expires HT]\n";
    text += &unchained_table_stats(expires);
    c.reply.verbatim(text.as_bytes());
    Ok(())
}

/// DEBUG HTSTATS-KEY key: the statistics of the hash table inside a value.
fn debug_htstats_key(srv: &Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let Some(obj) = srv.dbs.get(c.db).and_then(|d| d.keys.get(key)) else {
        return Err(errors::NO_SUCH_KEY.into());
    };
    let Some(shape) = obj.value.hash_table_shape() else {
        return Err(CmdError::Static(
            "ERR The value stored at the specified key is not represented using an hash table",
        ));
    };
    c.reply.verbatim(unchained_table_stats(shape).as_bytes());
    Ok(())
}

/// Longest key DEBUG POPULATE builds (Redis formats into 128 bytes).
const POPULATE_KEY_MAX: usize = 127;

/// DEBUG POPULATE count [prefix] [size]: creates `prefix:N` string keys
/// holding `value:N` (cut or zero-padded to `size`), skipping existing keys.
fn debug_populate(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let positive = |arg: &[u8]| {
        crate::util::parse_i64(arg)
            .filter(|n| *n >= 0)
            .ok_or(CmdError::Static(errors::OUT_OF_RANGE_POSITIVE))
    };
    let count = positive(&args[2])?;
    let size = match args.get(4) {
        Some(arg) => positive(arg)? as usize,
        None => 0,
    };
    let prefix = match args.get(3) {
        Some(p) => p.split(|&b| b == 0).next().unwrap_or_default(),
        None => b"key",
    };
    let mut key = Vec::with_capacity(POPULATE_KEY_MAX);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(format!(":{}", j).as_bytes());
        key.truncate(POPULATE_KEY_MAX);
        let mut w = srv.write_key(c.db, &key);
        if w.exists() {
            continue;
        }
        let mut value = format!("value:{}", j).into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        // As Redis: the key is signalled, but no event is raised and no
        // change counted.
        w.set(Value::Str(StrValue::from_text(&value)));
        w.touched();
    }
    c.reply.ok();
    Ok(())
}

/// DEBUG PROTOCOL type: a sample reply of each RESP type.
fn debug_protocol(c: &mut Client, kind: &[u8]) -> CmdResult {
    let r = &mut c.reply;
    let is = |name: &str| kind.eq_ignore_ascii_case(name.as_bytes());
    if is("string") {
        r.bulk_str("Hello World");
    } else if is("integer") {
        r.int(12345);
    } else if is("double") {
        #[allow(clippy::approx_constant)] // Redis's sample value, not an approximation of pi
        r.double(3.141);
    } else if is("bignum") {
        const BIG: &str = "1234567999999999999999999999999999999";
        if r.resp3 {
            r.raw(format!("({}\r\n", BIG).as_bytes());
        } else {
            r.bulk_str(BIG);
        }
    } else if is("null") {
        r.null();
    } else if is("array") || is("set") {
        if is("set") {
            r.set(3);
        } else {
            r.array(3);
        }
        for j in 0..3 {
            r.int(j);
        }
    } else if is("map") {
        r.map(3);
        for j in 0..3 {
            r.int(j);
            r.boolean(j == 1);
        }
    } else if is("attrib") {
        if r.resp3 {
            r.raw(b"|1\r\n");
            r.bulk_str("key-popularity");
            r.array(2);
            r.bulk_str("key:123");
            r.int(90);
        }
        r.bulk_str("Some real reply following the attribute");
    } else if is("push") {
        if !r.resp3 {
            return Err(CmdError::Static(
                "ERR RESP2 is not supported by this command",
            ));
        }
        r.push(2);
        r.bulk_str("server-cpu-usage");
        r.int(42);
        r.bulk_str("Some real reply following the push reply");
    } else if is("true") || is("false") {
        r.boolean(is("true"));
    } else if is("verbatim") {
        r.verbatim(b"This is a verbatim\nstring");
    } else {
        return Err(CmdError::Static("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"));
    }
    Ok(())
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves, empties the dataset
/// and loads the file back.
fn debug_reload(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in args.tail(2).iter() {
        if opt.eq_ignore_ascii_case(b"merge") {
            merge = true;
        } else if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            return Err(CmdError::Static(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    srv.debug_reload(save, flush, merge)?;
    c.reply.ok();
    Ok(())
}

/// DEBUG SLEEP seconds: blocks the whole server (decimals allowed).
fn debug_sleep(arg: &[u8]) {
    let seconds = strtod_prefix(arg);
    if !seconds.is_finite() {
        return;
    }
    if let Ok(micros) = u64::try_from((seconds * 1_000_000.0) as i64) {
        std::thread::sleep(std::time::Duration::from_micros(micros));
    }
}

/// DEBUG ERROR text: replies `-text` as it is (newlines blanked), without
/// counting it in the error statistics, as Redis.
fn debug_error(c: &mut Client, text: &[u8]) {
    let mut line = Vec::with_capacity(text.len() + 3);
    line.push(b'-');
    line.extend(
        text.iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    line.extend_from_slice(b"\r\n");
    c.reply.raw(&line);
}

fn debug_help(c: &mut Client, name: &[u8]) {
    reply_help(
        c,
        name,
        &[
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "ASSERT",
            "    Crash by assertion failed.",
            "HTSTATS <dbid>",
            "    Return hash table statistics of the specified Redis database.",
            "HTSTATS-KEY <key>",
            "    Like HTSTATS but for the hash table stored at <key>'s value.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>. If <prefix> is specified then",
            "    it is used instead of the 'key' prefix. These are not propagated to",
            "    replicas. Cluster slots are not respected so keys not belonging to the",
            "    current node can be created in cluster mode.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
            "REPLICATE <string>",
            "    Replicates the provided string to replicas, allowing data divergence.",
            "RELOAD [option ...]",
            "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
            "    * MERGE: conflicting keys will be loaded from RDB.",
            "    * NOFLUSH: the existing database will not be removed before load, but",
            "      conflicting keys will generate an exception and kill the server.",
            "    * NOSAVE: the database will be loaded from an existing RDB file.",
            "    Examples:",
            "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
            "      the database.",
            "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
            "      existing RDB file.",
            "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
            "      file to the database.",
            "PANIC",
            "    Crash the server simulating a panic.",
            "SEGFAULT",
            "    Crash the server with sigsegv.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Sets the threshold for elements to be inserted as plain vs packed nodes",
            "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
            "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
            "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "PAUSE-CRON <0|1>",
            "    Stop periodic cron job processing.",
        ],
    );
}

/// DEBUG subcommand [arg ...]
/// DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing every
/// directive, those at their default too.
fn debug_config_rewrite_force_all(srv: &mut Server, c: &mut Client) -> CmdResult {
    let path = srv.config.config_file.clone().unwrap_or_default();
    match super::config::rewrite_config_file(srv, &path, true) {
        Ok(()) => {
            c.reply.ok();
            Ok(())
        }
        Err(e) => Err(format!(
            "ERR CONFIG-REWRITE-FORCE-ALL failed: {}",
            crate::config::value::strerror(&e)
        )
        .into()),
    }
}

fn debug(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let sub = &args[1];
    let is = |name: &str| sub.eq_ignore_ascii_case(name.as_bytes());
    let argc = args.len();
    if is("help") && argc == 2 {
        debug_help(c, &args[0]);
    } else if is("digest") && argc == 2 {
        c.reply.simple(&dataset_digest(srv).to_hex());
    } else if is("digest-value") {
        c.reply.array(argc - 2);
        for key in args.tail(2).iter() {
            let d = value_digest(srv, c.db, key);
            c.reply.simple(&d.to_hex());
        }
    } else if is("object") && argc == 3 {
        return debug_object(srv, c, &args[2]);
    } else if is("htstats") && argc == 3 {
        return debug_htstats(srv, c, &args[2]);
    } else if is("htstats-key") && argc == 3 {
        return debug_htstats_key(srv, c, &args[2]);
    } else if is("populate") && (3..=5).contains(&argc) {
        return debug_populate(srv, c, args);
    } else if is("protocol") && argc == 3 {
        return debug_protocol(c, &args[2]);
    } else if is("replicate") && argc >= 3 {
        let parts: Vec<&[u8]> = args.tail(2).iter().collect();
        if !srv.is_replica() {
            srv.feed_replication_command(&parts);
        }
        c.reply.ok();
    } else if is("sleep") && argc == 3 {
        debug_sleep(&args[2]);
        c.reply.ok();
    } else if is("set-active-expire") && argc == 3 {
        srv.active_expire_enabled = atoi(&args[2]) != 0;
        c.reply.ok();
    } else if is("set-disable-deny-scripts") && argc == 3 {
        srv.scripting.deny_scripts_disabled = atoi(&args[2]) != 0;
        c.reply.ok();
    } else if is("set-skip-checksum-validation") && argc == 3 {
        srv.skip_checksum_validation = atoi(&args[2]) != 0;
        c.reply.ok();
    } else if is("replybuffer") && argc == 4 {
        debug_replybuffer(srv, args)?;
        c.reply.ok();
    } else if is("pause-cron") && argc == 3 {
        srv.cron_paused = atoi(&args[2]) != 0;
        c.reply.ok();
    } else if is("quicklist-packed-threshold") && argc == 3 {
        let bytes = crate::config::value::memtoull(&args[2]);
        if !bytes.is_some_and(crate::types::list::set_packed_threshold) {
            return Err(CmdError::Static(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            ));
        }
        c.reply.ok();
    } else if is("segfault") {
        crate::crash::segfault();
    } else if is("panic") {
        let message = format!(
            "DEBUG PANIC called at Unix time {} #{}:{}",
            crate::util::now_ms() / 1000,
            file!(),
            line!()
        );
        crate::crash::panic(&message, srv.config.use_exit_on_panic);
    } else if is("assert") {
        crate::crash::assertion_failed("1 == 2", file!(), line!(), srv.config.use_exit_on_panic);
    } else if is("log") && argc == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2]));
        c.reply.ok();
    } else if is("error") && argc == 3 {
        debug_error(c, &args[2]);
    } else if is("reload") {
        return debug_reload(srv, c, args);
    } else if is("loadaof") {
        // What was loaded is not a change to propagate (or log again);
        // as in Redis the change counter starts over.
        srv.debug_load_aof();
        srv.dirty = 0;
        srv.persistence.dirty_at_save = 0;
        srv.suppress_propagation();
        c.reply.ok();
    } else if is("config-rewrite-force-all") && argc == 2 {
        return debug_config_rewrite_force_all(srv, c);
    } else if is("aof-flush-sleep") && argc == 3 {
        srv.aof.flush_sleep_us = atoi(&args[2]).max(0) as u64;
        c.reply.ok();
    } else {
        return Err(errors::subcommand_syntax(&args[0], sub));
    }
    Ok(())
}

pub const COMMANDS: &[Command] = &[Command::new("debug", -2, debug)
    .flags(flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE | flag::PROTECTED)
    .acl(acl::ADMIN | acl::SLOW | acl::DANGEROUS)
    .doc(
        "server",
        "1.0.0",
        "Depends on subcommand.",
        "Testing and introspection hooks for developers.",
    )];

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(pairs: &[(&[u8], &[u8], bool)]) -> String {
        let mut total = Digest::default();
        total.mix(&0u32.to_be_bytes());
        for (key, value, ttl) in pairs {
            let mut d = Digest::default();
            d.mix(key);
            object_digest(&mut d, &Value::Str(StrValue::from_bytes(value)), *ttl);
            total.xor(&d.0);
        }
        total.to_hex()
    }

    #[test]
    fn digests_match_redis() {
        // Values computed by Redis 7.0.15 for the same data.
        assert_eq!(
            digest_of(&[(b"a", b"1", false)]),
            "943d800368fb9c0e951138f1bc0e313ac769d91f"
        );
        let long = vec![b'x'; 100];
        assert_eq!(
            digest_of(&[
                (b"a", b"1", false),
                (b"foo", b"bar", false),
                (b"long", &long, false)
            ]),
            "e6ba17203de59a2e227627f2af0c51cc08b786fa"
        );
        assert_eq!(
            digest_of(&[
                (b"long", &long, false),
                (b"a", b"1", false),
                (b"foo", b"bar", true)
            ]),
            "bf1d3222ecd48ae8b87c746a87b688607fe74a9b"
        );
    }

    #[test]
    fn serialized_lengths_match_redis() {
        let opts = crate::persistence::writer::WriteOptions {
            compression: false,
            checksum: false,
            limits: Default::default(),
        };
        let len = |s: &[u8]| {
            let value = StrValue::from_bytes(s);
            serialized_len(&crate::persistence::value::ValueRef::Str(&value), opts)
        };
        assert_eq!(len(b"100"), 2);
        assert_eq!(len(b"20000"), 3);
        assert_eq!(len(b"bar"), 4);
        assert_eq!(len(&[b'z'; 400]), 402);
        assert_eq!(len(b"12345678901"), 12);
    }

    #[test]
    fn c_number_parsing() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"  -2x"), -2);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(strtod_prefix(b"0.25"), 0.25);
        assert_eq!(strtod_prefix(b"1.5s"), 1.5);
        assert_eq!(strtod_prefix(b"x"), 0.0);
    }
}
