//! GEO commands: GEOADD, GEODIST, GEOHASH, GEOPOS, and the searches
//! GEORADIUS, GEORADIUSBYMEMBER (and their `_RO` forms), GEOSEARCH and
//! GEOSEARCHSTORE.
//!
//! A GEO index is a sorted set whose scores are 52-bit geohashes
//! (`crate::types::geohash` holds the arithmetic), so every sorted-set
//! command works on it and GEO commands answer WRONGTYPE on anything else.
//! As in Redis 7.0.15's geo.c: GEOADD turns its points into scores and is
//! then ZADD (it replies, raises `zadd` and propagates as ZADD); a search
//! reads its options in one walk whose first failure is the reply, finds
//! members cell by cell, sorts them with the sorts Redis uses (so ties and
//! unsorted results come out in Redis's order), and replies with
//! distances as `%.4f`-like fixed point and coordinates in Redis's human
//! long double form, or stores them as a new sorted set (scores, or
//! distances with STOREDIST).

use super::zsets::{add_pairs, c_string, strict_double};
use super::{int_arg, is_opt};
use crate::long_double::LongDouble;
use crate::server::client::Client;
use crate::server::errors::{self, CmdError, CmdResult};
use crate::server::spec::{acl, flag, ks, Args, Begin, Command, Find, KeySpec};
use crate::server::write::{KeyEvent, DEL};
use crate::server::Server;
use crate::types::geohash::{self, order, Extent, Found, Shape};
use crate::types::zset::{AddFlags, ListpackLimits};
use crate::types::{Value, ZSet};
use std::cmp::Ordering;

const UNSUPPORTED_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";
const NEED_RADIUS: &str = "ERR need numeric radius";
const NEED_WIDTH: &str = "ERR need numeric width";
const NEED_HEIGHT: &str = "ERR need numeric height";
const RADIUS_NEGATIVE: &str = "ERR radius cannot be negative";
const BOX_NEGATIVE: &str = "ERR height or width cannot be negative";
const NO_MEMBER: &str = "ERR could not decode requested zset member";
const COUNT_POSITIVE: &str = "ERR COUNT must be > 0";
const ANY_NEEDS_COUNT: &str = "ERR the ANY argument requires COUNT argument";

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

/// An option name as C's `strcasecmp` compares it: up to the first NUL.
fn is_word(arg: &[u8], name: &str) -> bool {
    is_opt(c_string(arg), name)
}

/// A longitude and latitude argument pair, within Redis's limits.
fn lon_lat_args(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = strict_double(lon).ok_or(errors::NOT_FLOAT)?;
    let lat = strict_double(lat).ok_or(errors::NOT_FLOAT)?;
    if !geohash::valid_lon_lat(lon, lat) {
        return Err(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}").into());
    }
    Ok((lon, lat))
}

/// Meters per unit of a unit argument.
fn unit_arg(arg: &[u8]) -> Result<f64, CmdError> {
    let unit = c_string(arg);
    [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]
        .iter()
        .find(|(name, _)| is_opt(unit, name))
        .map(|&(_, meters)| meters)
        .ok_or(CmdError::Static(UNSUPPORTED_UNIT))
}

/// `<radius> <unit>`: the radius and meters per unit.
fn radius_args(radius: &[u8], unit: &[u8]) -> Result<(Extent, f64), CmdError> {
    let r = strict_double(radius).ok_or(NEED_RADIUS)?;
    if r < 0.0 {
        return Err(RADIUS_NEGATIVE.into());
    }
    Ok((Extent::Radius(r), unit_arg(unit)?))
}

/// `<width> <height> <unit>`: the box and meters per unit.
fn box_args(width: &[u8], height: &[u8], unit: &[u8]) -> Result<(Extent, f64), CmdError> {
    let width = strict_double(width).ok_or(NEED_WIDTH)?;
    let height = strict_double(height).ok_or(NEED_HEIGHT)?;
    if height < 0.0 || width < 0.0 {
        return Err(BOX_NEGATIVE.into());
    }
    Ok((Extent::Box { width, height }, unit_arg(unit)?))
}

/// The position of a member of the index, if it is there.
fn member_position(z: &ZSet, member: &[u8]) -> Result<(f64, f64), CmdError> {
    z.score(member)
        .map(geohash::lon_lat_of)
        .ok_or(CmdError::Static(NO_MEMBER))
}

// ---------------------------------------------------------------------------
// GEOADD, GEODIST, GEOHASH, GEOPOS
// ---------------------------------------------------------------------------

/// GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...]: ZADD of
/// the points' scores, propagated as that ZADD.
pub fn geoadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut flags = AddFlags::default();
    let mut ch = false;
    let mut first = 2;
    while let Some(opt) = args.get(first) {
        if is_word(opt, "nx") {
            flags.nx = true;
        } else if is_word(opt, "xx") {
            flags.xx = true;
        } else if is_word(opt, "ch") {
            ch = true;
        } else {
            break;
        }
        first += 1;
    }
    let points = args.len() - first;
    if !points.is_multiple_of(3) || (flags.nx && flags.xx) {
        return Err(errors::SYNTAX.into());
    }
    let mut scores = Vec::with_capacity(points / 3);
    for i in (first..args.len()).step_by(3) {
        let (lon, lat) = lon_lat_args(&args[i], &args[i + 1])?;
        scores.push(geohash::score_of(lon, lat).unwrap_or(0));
    }
    if scores.is_empty() {
        return Err(errors::SYNTAX.into());
    }
    let members = (first..args.len()).step_by(3).map(|i| &args[i + 2]);
    let pairs: Vec<(f64, &[u8])> = scores.iter().map(|&s| s as f64).zip(members).collect();
    propagate_as_zadd(srv, args, first, &scores);
    add_pairs(srv, c, &args[1], &pairs, flags, ch)
}

/// GEOADD reaches replicas as the ZADD it runs: `zadd`, the key and
/// options as given, then each score and member.
fn propagate_as_zadd(srv: &mut Server, args: &Args, first: usize, scores: &[u64]) {
    let mut parts: Vec<Vec<u8>> = Vec::with_capacity(first + 2 * scores.len());
    parts.push(b"zadd".to_vec());
    parts.extend((1..first).map(|i| args[i].to_vec()));
    let members = (first..args.len()).step_by(3).map(|i| &args[i + 2]);
    for (score, member) in scores.iter().zip(members) {
        parts.push(score.to_string().into_bytes());
        parts.push(member.to_vec());
    }
    srv.propagate_as(&parts);
}

/// GEODIST key member1 member2 [unit]: the distance, or null when a member
/// (or the key) is missing.
pub fn geodist(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let unit = match args.len() {
        4 => 1.0,
        5 => unit_arg(&args[4])?,
        _ => return Err(errors::SYNTAX.into()),
    };
    let Some(z) = srv.read_key::<ZSet>(c.db, &args[1])? else {
        c.reply.null();
        return Ok(());
    };
    match (z.score(&args[2]), z.score(&args[3])) {
        (Some(a), Some(b)) => {
            let (lon1, lat1) = geohash::lon_lat_of(a);
            let (lon2, lat2) = geohash::lon_lat_of(b);
            let meters = geohash::distance(lon1, lat1, lon2, lat2);
            c.reply.bulk(distance_text(meters / unit).as_bytes());
        }
        _ => c.reply.null(),
    }
    Ok(())
}

/// One reply per member argument: `known` with the member's position, or
/// `missing` (also for every member when the key is missing).
fn reply_per_member(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    known: fn(&mut Client, f64, f64),
    missing: fn(&mut Client),
) -> CmdResult {
    let z = srv.read_key::<ZSet>(c.db, &args[1])?;
    c.reply.array(args.len() - 2);
    for member in args.tail(2).iter() {
        match z.and_then(|z| z.score(member)) {
            Some(score) => {
                let (lon, lat) = geohash::lon_lat_of(score);
                known(c, lon, lat);
            }
            None => missing(c),
        }
    }
    Ok(())
}

/// GEOHASH key [member ...]: each member's standard 11-letter geohash, or
/// null.
pub fn geohash_cmd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let known = |c: &mut Client, lon, lat| c.reply.bulk(&geohash::standard_geohash(lon, lat));
    reply_per_member(srv, c, args, known, |c| c.reply.null())
}

/// GEOPOS key [member ...]: each member's longitude and latitude, or a
/// null array.
pub fn geopos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_per_member(srv, c, args, reply_coordinates, |c| c.reply.null_array())
}

// ---------------------------------------------------------------------------
// Reply formats
// ---------------------------------------------------------------------------

/// C's `llrint` as x86-64 computes it: to nearest even, and the
/// "integer indefinite" value for NaN and what does not fit.
fn llrint(v: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() || !(-LIMIT..LIMIT).contains(&v) {
        i64::MIN
    } else {
        v.round_ties_even() as i64
    }
}

/// A distance as Redis replies it (`fixedpoint_d2string` with 4 digits):
/// the value times 10^4 rounded to an integer, written with four decimals.
fn distance_text(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = llrint(d * 10000.0);
    let sign = if scaled < 0 { "-" } else { "" };
    let magnitude = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", magnitude / 10000, magnitude % 10000)
}

/// A coordinate pair in Redis's human long double form.
fn reply_coordinates(c: &mut Client, lon: f64, lat: f64) {
    c.reply.array(2);
    for v in [lon, lat] {
        c.reply
            .double_text(LongDouble::from_f64(v).human_text().as_bytes());
    }
}

// ---------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------

/// Which search command runs (Redis's `georadiusGeneric` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS key lon lat radius unit ...
    Radius { store_allowed: bool },
    /// GEORADIUSBYMEMBER key member radius unit ...
    ByMember { store_allowed: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE dst key ...
    SearchStore,
}

impl Variant {
    fn is_search(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    fn store_allowed(self) -> bool {
        matches!(
            self,
            Variant::Radius {
                store_allowed: true
            } | Variant::ByMember {
                store_allowed: true
            }
        )
    }

    fn source_index(self) -> usize {
        if self == Variant::SearchStore {
            2
        } else {
            1
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Unsorted,
    Asc,
    Desc,
}

/// A search as its arguments ask for it.
struct Request<'a> {
    shape: Shape,
    store: Option<&'a [u8]>,
    store_dist: bool,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    any: bool,
    /// COUNT's value; 0 when not given.
    count: i64,
}

/// What GEOSEARCH's walk has seen of its required options.
#[derive(Default)]
struct Seen {
    from_member: bool,
    from_lon_lat: bool,
    by_radius: bool,
    by_box: bool,
}

impl<'a> Request<'a> {
    fn new() -> Request<'a> {
        Request {
            shape: Shape {
                lon: 0.0,
                lat: 0.0,
                extent: Extent::Radius(0.0),
                unit: 0.0,
            },
            store: None,
            store_dist: false,
            with_dist: false,
            with_hash: false,
            with_coord: false,
            sort: Sort::Unsorted,
            any: false,
            count: 0,
        }
    }
}

/// Reads a search's arguments in Redis's order, `z` being the source set
/// (members named by the arguments are looked up as they are read).
fn parse_request<'a>(
    args: &Args<'a>,
    variant: Variant,
    z: Option<&ZSet>,
) -> Result<Request<'a>, CmdError> {
    let mut req = Request::new();
    let first_option = match variant {
        Variant::Radius { .. } => {
            (req.shape.lon, req.shape.lat) = lon_lat_args(&args[2], &args[3])?;
            (req.shape.extent, req.shape.unit) = radius_args(&args[4], &args[5])?;
            6
        }
        Variant::ByMember { .. } => {
            if let Some(z) = z {
                (req.shape.lon, req.shape.lat) = member_position(z, &args[2])?;
                (req.shape.extent, req.shape.unit) = radius_args(&args[3], &args[4])?;
            }
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => {
            req.store = Some(args.get(1).unwrap_or_default());
            3
        }
    };
    let mut seen = Seen::default();
    let mut i = first_option;
    while let Some(arg) = args.get(i) {
        i += parse_option(args, i, arg, variant, z, &mut req, &mut seen)?;
    }
    check_request(args, variant, &req, &seen)?;
    Ok(req)
}

/// Reads the option at `i`; returns how many arguments it took.
fn parse_option<'a>(
    args: &Args<'a>,
    i: usize,
    arg: &[u8],
    variant: Variant,
    z: Option<&ZSet>,
    req: &mut Request<'a>,
    seen: &mut Seen,
) -> Result<usize, CmdError> {
    let left = args.len() - i - 1;
    let search = variant.is_search();
    let next = |k: usize| args.get(i + k).unwrap_or_default();
    if is_word(arg, "withdist") {
        req.with_dist = true;
    } else if is_word(arg, "withhash") {
        req.with_hash = true;
    } else if is_word(arg, "withcoord") {
        req.with_coord = true;
    } else if is_word(arg, "any") {
        req.any = true;
    } else if is_word(arg, "asc") {
        req.sort = Sort::Asc;
    } else if is_word(arg, "desc") {
        req.sort = Sort::Desc;
    } else if is_word(arg, "count") && left >= 1 {
        req.count = int_arg(next(1))?;
        if req.count <= 0 {
            return Err(COUNT_POSITIVE.into());
        }
        return Ok(2);
    } else if (is_word(arg, "store") || is_word(arg, "storedist"))
        && left >= 1
        && variant.store_allowed()
    {
        req.store = Some(next(1));
        req.store_dist = is_word(arg, "storedist");
        return Ok(2);
    } else if is_word(arg, "storedist") && variant == Variant::SearchStore {
        req.store_dist = true;
    } else if is_word(arg, "frommember") && left >= 1 && search && !seen.from_lon_lat {
        if let Some(z) = z {
            (req.shape.lon, req.shape.lat) = member_position(z, next(1))?;
        }
        seen.from_member = true;
        return Ok(2);
    } else if is_word(arg, "fromlonlat") && left >= 2 && search && !seen.from_member {
        (req.shape.lon, req.shape.lat) = lon_lat_args(next(1), next(2))?;
        seen.from_lon_lat = true;
        return Ok(3);
    } else if is_word(arg, "byradius") && left >= 2 && search && !seen.by_box {
        (req.shape.extent, req.shape.unit) = radius_args(next(1), next(2))?;
        seen.by_radius = true;
        return Ok(3);
    } else if is_word(arg, "bybox") && left >= 3 && search && !seen.by_radius {
        (req.shape.extent, req.shape.unit) = box_args(next(1), next(2), next(3))?;
        seen.by_box = true;
        return Ok(4);
    } else {
        return Err(errors::SYNTAX.into());
    }
    Ok(1)
}

/// The checks Redis makes once every option is read.
fn check_request(args: &Args, variant: Variant, req: &Request, seen: &Seen) -> CmdResult {
    if req.store.is_some() && (req.with_dist || req.with_hash || req.with_coord) {
        let what: &str = if variant == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )
        .into());
    }
    let name = c_string(args.get(0).unwrap_or_default());
    if variant.is_search() && !(seen.from_member || seen.from_lon_lat) {
        return Err(CmdError::concat(&[
            b"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ",
            name,
        ]));
    }
    if variant.is_search() && !(seen.by_radius || seen.by_box) {
        return Err(CmdError::concat(&[
            b"ERR exactly one of BYRADIUS and BYBOX can be specified for ",
            name,
        ]));
    }
    if req.any && req.count == 0 {
        return Err(ANY_NEEDS_COUNT.into());
    }
    Ok(())
}

/// Redis's comparison of two results by distance: NaN is "less" both ways.
fn by_distance(a: &Found, b: &Found) -> Ordering {
    if a.dist > b.dist {
        Ordering::Greater
    } else if a.dist == b.dist {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// Finds the members a request selects, sorted as Redis sorts them; the
/// first `returned` of them are the answer.
fn run_search(z: &ZSet, req: &mut Request) -> (Vec<Found>, usize) {
    if req.count != 0 && req.sort == Sort::Unsorted && !req.any {
        req.sort = Sort::Asc;
    }
    let limit = req
        .any
        .then(|| usize::try_from(req.count).unwrap_or(usize::MAX));
    let mut found = geohash::search(z, &req.shape, limit);
    let returned = match usize::try_from(req.count) {
        Ok(count) if count != 0 && count < found.len() => count,
        _ => found.len(),
    };
    let desc = |a: &Found, b: &Found| by_distance(a, b).reverse();
    match (req.sort, returned == found.len()) {
        (Sort::Unsorted, _) => {}
        (Sort::Asc, true) => order::merge_sort(&mut found, &by_distance),
        (Sort::Desc, true) => order::merge_sort(&mut found, &desc),
        (Sort::Asc, false) => order::partial_quicksort(&mut found, 0, returned - 1, &by_distance),
        (Sort::Desc, false) => order::partial_quicksort(&mut found, 0, returned - 1, &desc),
    }
    (found, returned)
}

/// The search commands (Redis's `georadiusGeneric`).
fn search_generic(srv: &mut Server, c: &mut Client, args: &Args, variant: Variant) -> CmdResult {
    let source = &args[variant.source_index()];
    let (mut req, results) = {
        let z = srv.read_key::<ZSet>(c.db, source)?;
        let mut req = parse_request(args, variant, z)?;
        let results = z.map(|z| run_search(z, &mut req));
        (req, results)
    };
    let event = if variant.is_search() {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    match (results, req.store.take()) {
        (None, None) => c.reply.empty_array(),
        (None, Some(dst)) => store_nothing(srv, c, dst),
        (Some((found, _)), None) if found.is_empty() => c.reply.empty_array(),
        (Some((found, returned)), None) => reply_found(c, &req, &found[..returned]),
        (Some((found, returned)), Some(dst)) => {
            let found = found.get(..returned).unwrap_or_default();
            store_found(srv, c, dst, &req, found, KeyEvent::zset(event));
        }
    }
    Ok(())
}

/// The reply of a search: members, each with what WITHDIST, WITHHASH and
/// WITHCOORD ask for (in that order).
fn reply_found(c: &mut Client, req: &Request, found: &[Found]) {
    let extras = [req.with_dist, req.with_hash, req.with_coord]
        .iter()
        .filter(|&&w| w)
        .count();
    c.reply.array(found.len());
    for f in found {
        if extras > 0 {
            c.reply.array(extras + 1);
        }
        c.reply.bulk(&f.member);
        if req.with_dist {
            c.reply
                .bulk(distance_text(f.dist / req.shape.unit).as_bytes());
        }
        if req.with_hash {
            c.reply.int(f.score as i64);
        }
        if req.with_coord {
            reply_coordinates(c, f.lon, f.lat);
        }
    }
}

/// STORE with nothing to store: the destination is deleted.
fn store_nothing(srv: &mut Server, c: &mut Client, dst: &[u8]) {
    // Redis deletes the destination as stored, without expiring it first.
    let mut w = srv.write_key_as_stored(c.db, dst);
    if w.delete() {
        w.changed(1, DEL);
    }
    c.reply.int(0);
}

/// STORE / STOREDIST: the results become a sorted set (scores, or
/// distances in the request's unit), encoded by its size.
fn store_found(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    req: &Request,
    found: &[Found],
    event: KeyEvent,
) {
    if found.is_empty() {
        return store_nothing(srv, c, dst);
    }
    let mut entries: Vec<(&[u8], f64)> = found
        .iter()
        .map(|f| {
            let score = if req.store_dist {
                f.dist / req.shape.unit
            } else {
                f.score
            };
            (f.member.as_slice(), score)
        })
        .collect();
    entries.sort_by(|a, b| crate::types::zset::entry_cmp(a.1, a.0, b.1, b.0));
    // A member found twice (possible only in cells Redis would visit twice)
    // is stored once.
    entries.dedup_by(|a, b| a.0 == b.0);
    let limits = ListpackLimits {
        max_entries: srv.config.zset_max_listpack_entries,
        max_value: srv.config.zset_max_listpack_value,
    };
    let z = ZSet::from_sorted(entries.iter().copied(), limits);
    let mut w = srv.write_key(c.db, dst);
    w.set(Value::ZSet(z));
    w.changed(found.len() as u64, event);
    c.reply.int(found.len() as i64);
}

/// The handlers of the search commands, one per variant.
macro_rules! search_commands {
    ($($name:ident => $variant:expr;)*) => {
        $(
            pub fn $name(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
                search_generic(srv, c, args, $variant)
            }
        )*
    };
}

search_commands! {
    georadius => Variant::Radius { store_allowed: true };
    georadius_ro => Variant::Radius { store_allowed: false };
    georadiusbymember => Variant::ByMember { store_allowed: true };
    georadiusbymember_ro => Variant::ByMember { store_allowed: false };
    geosearch => Variant::Search;
    geosearchstore => Variant::SearchStore;
}

// ---------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------

/// The source key of the radius searches.
const SOURCE: KeySpec = KeySpec::range(ks::RO | ks::ACCESS, 1, 0, 1);

/// GEORADIUS's optional destination after STORE or STOREDIST, searched from
/// the first option.
const fn store_spec(keyword: &'static str, start_from: i32) -> KeySpec {
    KeySpec::new(
        ks::OW | ks::UPDATE,
        Begin::Keyword {
            keyword,
            start_from,
        },
        Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
    )
}

const RADIUS_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

pub const COMMANDS: &[Command] = &[
    Command::new("geoadd", -5, geoadd)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::GEO | acl::SLOW)
        .keys(&[KeySpec::range(ks::RW | ks::UPDATE, 1, 0, 1)])
        .doc("geo", "3.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "Adds points (longitude, latitude, name) to a geospatial index kept in a sorted set."),
    Command::new("geodist", -4, geodist)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "3.2.0", "O(log(N))", "Returns the distance between two points of a geospatial index."),
    Command::new("geohash", -2, geohash_cmd)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "3.2.0", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", "Returns the standard geohash strings of points of a geospatial index."),
    Command::new("geopos", -2, geopos)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "3.2.0", "O(N) where N is the number of members requested.", "Returns the longitude and latitude of points of a geospatial index."),
    Command::new("georadius", -6, georadius)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::GEO | acl::SLOW)
        .keys(&[SOURCE, store_spec("STORE", 6), store_spec("STOREDIST", 6)])
        .doc("geo", "3.2.0", RADIUS_COMPLEXITY, "Finds the points of a geospatial index within a radius of a position, optionally storing them."),
    Command::new("georadius_ro", -6, georadius_ro)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "3.2.10", RADIUS_COMPLEXITY, "Finds the points of a geospatial index within a radius of a position (read-only variant of GEORADIUS)."),
    Command::new("georadiusbymember", -5, georadiusbymember)
        .flags(flag::WRITE | flag::DENYOOM | flag::MOVABLE_KEYS)
        .acl(acl::WRITE | acl::GEO | acl::SLOW)
        .keys(&[SOURCE, store_spec("STORE", 5), store_spec("STOREDIST", 5)])
        .doc("geo", "3.2.0", RADIUS_COMPLEXITY, "Finds the points of a geospatial index within a radius of one of its members, optionally storing them."),
    Command::new("georadiusbymember_ro", -5, georadiusbymember_ro)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "3.2.10", RADIUS_COMPLEXITY, "Finds the points of a geospatial index within a radius of one of its members (read-only variant of GEORADIUSBYMEMBER)."),
    Command::new("geosearch", -7, geosearch)
        .flags(flag::READONLY)
        .acl(acl::READ | acl::GEO | acl::SLOW)
        .keys(&[SOURCE])
        .doc("geo", "6.2.0", SEARCH_COMPLEXITY, "Finds the points of a geospatial index inside a circle or a box around a position or a member."),
    Command::new("geosearchstore", -8, geosearchstore)
        .flags(flag::WRITE | flag::DENYOOM)
        .acl(acl::WRITE | acl::GEO | acl::SLOW)
        .keys(&[KeySpec::range(ks::OW | ks::UPDATE, 1, 0, 1), KeySpec::range(ks::RO | ks::ACCESS, 2, 0, 1)])
        .doc("geo", "6.2.0", SEARCH_COMPLEXITY, "Finds the points of a geospatial index inside a circle or a box and stores them in a sorted set."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{
        decode_commands, run_line, server_keeping_stream, whole_stream,
    };

    #[test]
    fn distances_print_as_fixed_point() {
        assert_eq!(distance_text(166274.15156960032), "166274.1516");
        assert_eq!(distance_text(0.0), "0.0000");
        assert_eq!(distance_text(-0.0), "0.0000");
        assert_eq!(distance_text(1e-9), "0.0000");
        assert_eq!(distance_text(0.00051), "0.0005");
        assert_eq!(distance_text(-1.25), "-1.2500");
        // NaN goes through `llrint` as the x86-64 "integer indefinite".
        assert_eq!(distance_text(f64::NAN), "-922337203685477.5808");
    }

    #[test]
    fn geoadd_propagates_as_the_zadd_it_runs() {
        let (mut srv, mut c) = server_keeping_stream();
        run_line(
            &mut srv,
            &mut c,
            "GEOADD g Ch nx 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        );
        // Nothing changed: nothing propagated.
        run_line(&mut srv, &mut c, "GEOADD g xx 1 1 nothere");
        run_line(&mut srv, &mut c, "GEOADD g 200 1 bad");
        run_line(&mut srv, &mut c, "GEORADIUS nokey 15 37 200 km STORE d");
        run_line(
            &mut srv,
            &mut c,
            "GEOSEARCHSTORE d2 g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
        );
        run_line(
            &mut srv,
            &mut c,
            "GEOSEARCHSTORE d2 g FROMLONLAT 15 37 BYRADIUS 1 m",
        );
        let stream = decode_commands(&whole_stream(&srv));
        assert_eq!(
            stream,
            [
                "SELECT 0",
                "zadd g Ch nx 3479099956230698 Palermo 3479447370796909 Catania",
                "GEOSEARCHSTORE d2 g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
                "GEOSEARCHSTORE d2 g FROMLONLAT 15 37 BYRADIUS 1 m",
            ]
        );
    }
}
