//! GEO commands: GEOADD's options and errors, positions, geohash strings
//! and distances (every unit), searches with every option (WITHCOORD,
//! WITHDIST, WITHHASH, COUNT [ANY], ASC/DESC, FROMMEMBER/FROMLONLAT,
//! BYRADIUS/BYBOX), the order of unsorted and tied results, points near
//! the poles and the antimeridian, scores that are not geohashes, STORE and
//! STOREDIST, RESP3, encodings and the command table, and a search checked
//! against every member's distance.
//!
//! Every expected reply was taken from redis-server 7.0.15 for the same
//! commands; check them against it again with
//! `REDDISH_TEST_SERVER=$(command -v redis-server) cargo test --test geo`.
//! Replies are compared in [`render`]'s one-line form, which keeps their
//! types and nesting.

mod common;

use common::{changes_since_save, render, words, Frame, Raw, TestServer};

/// A fresh server and a connection to it.
fn start() -> (TestServer, Raw) {
    let server = TestServer::start();
    let raw = server.raw();
    (server, raw)
}

/// Runs each command line (words separated by spaces) and compares its
/// rendered reply with the expected one.
fn check(raw: &mut Raw, script: &[(&str, &str)]) {
    for (line, want) in script {
        let args = words(line);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(render(&raw.cmd(&args)), *want, "{line}");
    }
}

const SICILY: &str = "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.583333 37.316667 Agrigento";

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

/// Coordinates of the three cities as Redis prints them.
const PALERMO: &str = "[13.36138933897018433 38.11555639549629859]";
const CATANIA: &str = "[15.08726745843887329 37.50266842333162032]";
const AGRIGENTO: &str = "[13.5833314061164856 37.31666804993816555]";

#[test]
fn geoadd_scores_options_and_errors() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            (
                "ZRANGE Sicily 0 -1 WITHSCORES",
                "[Agrigento 3479030013248308 Palermo 3479099956230698 Catania 3479447370796909]",
            ),
            ("GEOADD Sicily xx nx 1 2 a", "-ERR syntax error"),
            (
                "GEOADD Sicily 1 2",
                "-ERR wrong number of arguments for 'geoadd' command",
            ),
            ("GEOADD Sicily 1 2 a 3", "-ERR syntax error"),
            ("GEOADD Sicily ch ch ch", "-ERR syntax error"),
            ("GEOADD Sicily NX CH XX 1 1 x", "-ERR syntax error"),
            (
                "GEOADD Sicily 200 10 bad",
                "-ERR invalid longitude,latitude pair 200.000000,10.000000",
            ),
            (
                "GEOADD Sicily 10 -85.06 bad",
                "-ERR invalid longitude,latitude pair 10.000000,-85.060000",
            ),
            (
                "GEOADD Sicily -180.000001 -85.05112878 bad",
                "-ERR invalid longitude,latitude pair -180.000001,-85.051129",
            ),
            (
                "GEOADD Sicily inf 0 bad",
                "-ERR invalid longitude,latitude pair inf,0.000000",
            ),
            (
                "GEOADD Sicily 1e400 0 bad",
                "-ERR value is not a valid float",
            ),
            ("GEOADD Sicily abc 1 bad", "-ERR value is not a valid float"),
            (
                "GEOADD Sicily 1 1 ok 1 x bad",
                "-ERR value is not a valid float",
            ),
            ("EXISTS ok", ":0"),
            ("GEOADD Sicily 0x10 1 hex", ":1"),
            ("GEOADD Sicily ch 13.361389 38.115556 Palermo 1 1 new", ":1"),
            ("GEOADD Sicily xx ch 13 38 Palermo 1 2 new 3 3 none", ":2"),
            ("GEOADD Sicily nx ch 14 38 Palermo 5 5 other", ":1"),
            ("GEOADD Sicily NX 14 38 Palermo 6 6 other2", ":1"),
            ("ZSCORE Sicily Palermo", "3479065152021743"),
            ("ZSCORE Sicily none", "(nil)"),
            ("GEOADD nothere xx 1 1 a", ":0"),
            ("EXISTS nothere", ":0"),
            ("SET str x", "+OK"),
            ("GEOADD str 1 1 a", WRONGTYPE),
            // The coordinates are checked before the key.
            (
                "GEOADD str 200 1 a",
                "-ERR invalid longitude,latitude pair 200.000000,1.000000",
            ),
            (
                "GEOADD edge 180 85.05112878 ne -180 -85.05112878 sw 0 0 zero",
                ":3",
            ),
            (
                "ZRANGE edge 0 -1 WITHSCORES",
                "[sw 0 zero 3377699720527872 ne 13510798882111488]",
            ),
        ],
    );
}

#[test]
fn positions_hashes_and_distances() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            (
                "GEOPOS Sicily Palermo nope Catania",
                &format!("[{PALERMO} (nil*) {CATANIA}]"),
            ),
            (
                "GEOHASH Sicily Palermo Catania Agrigento nope",
                "[sqc8b49rny0 sqdtr74hyu0 sq9sm1716e0 (nil)]",
            ),
            ("GEODIST Sicily Palermo Catania", "166274.1516"),
            ("GEODIST Sicily Palermo Catania km", "166.2742"),
            ("GEODIST Sicily Palermo Catania mi", "103.3182"),
            ("GEODIST Sicily Palermo Catania FT", "545518.8700"),
            ("GEODIST Sicily Palermo Catania M", "166274.1516"),
            ("GEODIST Sicily Palermo Palermo", "0.0000"),
            ("GEODIST Sicily Palermo nope", "(nil)"),
            ("GEODIST nokey a b", "(nil)"),
            (
                "GEODIST Sicily Palermo Catania yards",
                "-ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
            (
                "GEODIST Sicily Palermo Catania km extra",
                "-ERR syntax error",
            ),
            ("GEOPOS nokey a b", "[(nil*) (nil*)]"),
            ("GEOHASH nokey a", "[(nil)]"),
            ("GEOPOS Sicily", "[]"),
            ("GEOADD Sicily 0 0 z0 0.0001 0 z1", ":2"),
            ("GEODIST Sicily z0 z1", "10.7400"),
            ("SET str x", "+OK"),
            ("GEOPOS str a", WRONGTYPE),
            ("GEOHASH str a", WRONGTYPE),
            ("GEODIST str a b", WRONGTYPE),
            // The unit is read before the key.
            (
                "GEODIST str a b parsec",
                "-ERR unsupported unit provided. please use M, KM, FT, MI",
            ),
        ],
    );
}

#[test]
fn scores_that_are_not_geohashes_decode_as_in_redis() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            (
                "ZADD odd -1 neg 1e30 huge -1e30 neghuge inf inf 1.5 frac 9007199254740992 two53",
                ":6",
            ),
            (
                "GEOPOS odd neg huge neghuge inf frac two53",
                "[[180 85.0511287799999991] [-179.99999731779098511 -85.05112751263942528] \
                 [180 -85.05112751263942528] [-179.99999731779098511 -85.05112751263942528] \
                 [-179.99999731779098511 -85.05112497791824921] [180 -85.05112751263942528]]",
            ),
            (
                "GEOHASH odd neg huge neghuge inf frac two53",
                "[bp05b5048p0 00bh0hbj200 00bh0hbj200 00bh0hbj200 00bh0hbj210 00bh0hbj200]",
            ),
            ("GEODIST odd neg huge", "18919844.5891"),
            ("GEODIST odd huge inf", "0.0000"),
            ("ZADD g 3377699720527872 zero", ":1"),
            (
                "GEOPOS g zero",
                "[[0.00000268220901489 0.00000126736058093]]",
            ),
        ],
    );
}

#[test]
fn radius_searches_with_every_option() {
    let (_s, mut r) = start();
    let all = format!(
        "[[Agrigento 130.4235 :3479030013248308 {AGRIGENTO}] \
         [Palermo 190.4424 :3479099956230698 {PALERMO}] \
         [Catania 56.4413 :3479447370796909 {CATANIA}]]"
    );
    let asc_coord = format!(
        "[[Catania 56.4413 {CATANIA}] [Agrigento 130.4235 {AGRIGENTO}] [Palermo 190.4424 {PALERMO}]]"
    );
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            ("OBJECT ENCODING Sicily", "listpack"),
            ("GEORADIUS Sicily 15 37 200 km", "[Agrigento Palermo Catania]"),
            (
                "GEORADIUS Sicily 15 37 200 km WITHDIST",
                "[[Agrigento 130.4235] [Palermo 190.4424] [Catania 56.4413]]",
            ),
            (
                "GEORADIUS Sicily 15 37 200 km WITHHASH",
                "[[Agrigento :3479030013248308] [Palermo :3479099956230698] [Catania :3479447370796909]]",
            ),
            (
                "GEORADIUS Sicily 15 37 200 km WITHCOORD",
                &format!("[[Agrigento {AGRIGENTO}] [Palermo {PALERMO}] [Catania {CATANIA}]]"),
            ),
            ("GEORADIUS Sicily 15 37 200 km WITHCOORD WITHHASH WITHDIST", &all),
            ("GEORADIUS Sicily 15 37 200 km withdist withcoord ASC", &asc_coord),
            (
                "GEORADIUS Sicily 15 37 200 km WITHDIST DESC",
                "[[Palermo 190.4424] [Agrigento 130.4235] [Catania 56.4413]]",
            ),
            (
                "GEORADIUS Sicily 15 37 200 km WITHDIST COUNT 2",
                "[[Catania 56.4413] [Agrigento 130.4235]]",
            ),
            (
                "GEORADIUS Sicily 15 37 200 km WITHDIST COUNT 2 DESC",
                "[[Palermo 190.4424] [Agrigento 130.4235]]",
            ),
            ("GEORADIUS Sicily 15 37 200 km WITHDIST COUNT 1 ANY", "[[Agrigento 130.4235]]"),
            ("GEORADIUS Sicily 15 37 200 km COUNT 5 ANY DESC", "[Palermo Agrigento Catania]"),
            ("GEORADIUS Sicily 15 37 200000 m", "[Agrigento Palermo Catania]"),
            (
                "GEORADIUS Sicily 15 37 124.274 mi WITHDIST",
                "[[Agrigento 81.0416] [Palermo 118.3357] [Catania 35.0711]]",
            ),
            (
                "GEORADIUS Sicily 15 37 656168 ft WITHDIST",
                "[[Agrigento 427898.5796] [Palermo 624811.1215] [Catania 185174.7305]]",
            ),
            ("GEORADIUS Sicily 15 37 0 km", "[]"),
            (
                "GEORADIUS_RO Sicily 15 37 200 km WITHDIST",
                "[[Agrigento 130.4235] [Palermo 190.4424] [Catania 56.4413]]",
            ),
            (
                "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST",
                "[[Agrigento 90.9778] [Palermo 0.0000] [Catania 166.2742]]",
            ),
            (
                "GEORADIUSBYMEMBER Sicily Agrigento 100 km WITHDIST WITHCOORD",
                &format!("[[Agrigento 0.0000 {AGRIGENTO}] [Palermo 90.9778 {PALERMO}]]"),
            ),
            ("GEORADIUSBYMEMBER_RO Sicily Agrigento 100 km", "[Agrigento Palermo]"),
            (
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST",
                "[[Agrigento 130.4235] [Palermo 190.4424] [Catania 56.4413]]",
            ),
            (
                "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km WITHDIST ASC",
                "[[Palermo 0.0000] [Agrigento 90.9778] [Catania 166.2742]]",
            ),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 100 km WITHCOORD", "[]"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 10 km ASC", "[]"),
            (
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 1 ANY WITHDIST",
                "[]",
            ),
            ("GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 1 km", "[]"),
            ("GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km", "[]"),
            ("GEORADIUSBYMEMBER nokey nope notanumber notaunit", "[]"),
            ("GEORADIUSBYMEMBER nokey nope notanumber notaunit WITHDIST", "[]"),
        ],
    );
}

#[test]
fn ties_and_unsorted_results_come_in_redis_order() {
    let (_s, mut r) = start();
    let search = "GEOSEARCH ties FROMLONLAT 10 10 BYRADIUS 1 km";
    let with = |opts: &str| format!("{search} {opts}");
    check(
        &mut r,
        &[
            (
                "GEOADD ties 10 10 a 10 10 b 10 10 c 10.001 10 d 10.001 10 e 9.999 10 f \
                 10 10.001 g 10 9.999 h 10 10 i 10.002 10 j",
                ":10",
            ),
            // Unsorted: cell by cell, by score within a cell.
            (search, "[h f a b c i d e j g]"),
            // Sorted in full: a stable merge sort.
            (&with("ASC"), "[a b c i d e f g h j]"),
            (&with("DESC"), "[j h g f d e a b c i]"),
            (&with("COUNT 20"), "[a b c i d e f g h j]"),
            // COUNT: a partial quicksort, ties in its order.
            (&with("COUNT 2"), "[b a]"),
            (&with("COUNT 5"), "[b a c i d]"),
            (&with("COUNT 4 DESC"), "[j h g f]"),
            (&with("COUNT 3 ANY"), "[h f a]"),
        ],
    );
}

#[test]
fn poles_and_antimeridian() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            (
                "GEOADD edge 179.99 0 e1 -179.99 0 w1 179.5 0.5 e2 -179.5 -0.5 w2 0 85 n1 \
                 90 85.05112878 n2 -90 85.05112878 n3 180 -85.05112878 s1 -180 -85 s2 0 84.9 n4",
                ":10",
            ),
            (
                "ZRANGE edge 0 -1 WITHSCORES",
                "[s2 273961029 w2 375287765341997 w1 1125899909603456 n4 3752998275973440 \
                 n1 3752999415514384 e1 4128299655662122 e2 4128311862028498 \
                 n3 5066549580791808 n2 7318349394477056 s1 9007199254740992]",
            ),
            (
                "GEOPOS edge e1 w1 n2 s1 s2",
                "[[179.98999804258346558 0.00000126736058093] \
                 [-179.98999804258346558 0.00000126736058093] \
                 [90.00000268220901489 85.0511287799999991] [180 -85.05112751263942528] \
                 [-179.99999731779098511 -84.99999965213439168]]",
            ),
            (
                "GEOHASH edge e1 w1 n2 s1 s2",
                "[xbpbpb08nb0 800000p2100 yp05b5048p0 00bh0hbj200 00bh2n0p050]",
            ),
            ("GEODIST edge e1 w1", "2224.9614"),
            ("GEODIST edge n2 n3 km", "1100.8893"),
            (
                "GEOSEARCH edge FROMLONLAT 180 0 BYRADIUS 100 km WITHDIST",
                "[[e1 1.1125] [e2 78.6483]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT -180 0 BYRADIUS 100 km ASC WITHDIST",
                "[[e1 1.1125] [w1 1.1125] [w2 78.6483] [e2 78.6483]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 180 0 BYBOX 200 200 km ASC WITHCOORD",
                "[[e1 [179.98999804258346558 0.00000126736058093]] \
                 [e2 [179.50000137090682983 0.50000036325177888]]]",
            ),
            (
                "GEOSEARCH edge FROMMEMBER e1 BYBOX 2 2 km WITHDIST",
                "[[e1 0.0000]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 0 85 BYRADIUS 1500 km WITHDIST",
                "[[n4 11.1226] [n1 0.0000]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 45 85.05112878 BYRADIUS 3000 km WITHDIST",
                "[[n2 420.8449] [n4 427.5392] [n1 423.0469] [n3 1016.9034]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 0 -85 BYRADIUS 1500 km WITHDIST",
                "[[s2 1112.2630]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 0 0 BYRADIUS 20000 km WITHDIST",
                "[[n4 9443.1129] [n1 9454.2355] [e2 19942.0857] [s2 10566.4985] [w2 19942.0857]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 0 0 BYRADIUS 20000 km COUNT 3 WITHDIST",
                "[[n4 9443.1129] [n1 9454.2355] [s2 10566.4985]]",
            ),
            (
                "GEOSEARCH edge FROMLONLAT 0 0 BYBOX 40000 20000 km",
                "[n4 n1 e2 s2 w2]",
            ),
            ("GEORADIUS edge 0 85 5000 km", "[n4 n1]"),
        ],
    );
}

#[test]
fn search_errors() {
    let (_s, mut r) = start();
    let unit = "-ERR unsupported unit provided. please use M, KM, FT, MI";
    let store_with = "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
    let syntax = "-ERR syntax error";
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            ("SET str x", "+OK"),
            ("GEORADIUS str 1 1 1 km", WRONGTYPE),
            ("GEORADIUSBYMEMBER str a 1 km", WRONGTYPE),
            ("GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km", WRONGTYPE),
            ("GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km", WRONGTYPE),
            ("GEORADIUS Sicily 15 37 -1 km", "-ERR radius cannot be negative"),
            ("GEORADIUS Sicily 15 37 abc km", "-ERR need numeric radius"),
            ("GEORADIUS Sicily 15 37 1 yd", unit),
            ("GEORADIUS Sicily 15 37 1 km COUNT 0", "-ERR COUNT must be > 0"),
            ("GEORADIUS Sicily 15 37 1 km COUNT -3", "-ERR COUNT must be > 0"),
            ("GEORADIUS Sicily 15 37 1 km COUNT abc", "-ERR value is not an integer or out of range"),
            ("GEORADIUS Sicily 15 37 1 km COUNT", syntax),
            ("GEORADIUS Sicily 15 37 1 km ANY", "-ERR the ANY argument requires COUNT argument"),
            ("GEORADIUS Sicily 15 37 1 km STORE", syntax),
            ("GEORADIUS Sicily 15 37 1 km STORE d WITHDIST", store_with),
            ("GEORADIUS Sicily 15 37 1 km STOREDIST d WITHHASH", store_with),
            ("GEORADIUS Sicily 15 37 1 km FROMMEMBER Palermo", syntax),
            ("GEORADIUS Sicily 15 37 1 km foo", syntax),
            ("GEORADIUS Sicily 200 37 1 km", "-ERR invalid longitude,latitude pair 200.000000,37.000000"),
            ("GEORADIUS_RO Sicily 15 37 1 km STORE d", syntax),
            ("GEORADIUSBYMEMBER Sicily nope 1 km", "-ERR could not decode requested zset member"),
            ("GEORADIUSBYMEMBER Sicily Palermo -1 km", "-ERR radius cannot be negative"),
            ("GEORADIUSBYMEMBER_RO Sicily Palermo 1 km STOREDIST d", syntax),
            ("GEORADIUSBYMEMBER nokey nope notanumber notaunit WHAT", syntax),
            ("GEOSEARCH Sicily BYRADIUS 1 km", "-ERR wrong number of arguments for 'geosearch' command"),
            (
                "GeoSearch Sicily FROMLONLAT 15 37 WITHDIST ASC",
                "-ERR exactly one of BYRADIUS and BYBOX can be specified for GeoSearch",
            ),
            (
                "geosearch Sicily BYRADIUS 1 km ASC WITHDIST",
                "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch",
            ),
            (
                "GEOSEARCHSTORE d Sicily BYBOX 1 1 km ASC",
                "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCHSTORE",
            ),
            ("GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE d", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km", "-ERR height or width cannot be negative"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km", "-ERR height or width cannot be negative"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x -1 km", "-ERR need numeric width"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 y km", "-ERR need numeric height"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 furlong", unit),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km", "-ERR need numeric radius"),
            ("GEOSEARCH Sicily FROMLONLAT 15 97 BYRADIUS 1 km", "-ERR invalid longitude,latitude pair 15.000000,97.000000"),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY", "-ERR the ANY argument requires COUNT argument"),
            ("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km", "-ERR could not decode requested zset member"),
            ("GEOSEARCH nokey FROMMEMBER nope FROMLONLAT 1 1 BYRADIUS 1 km", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1", syntax),
            ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1", syntax),
            (
                "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHCOORD",
                "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            ),
            ("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x", syntax),
        ],
    );
}

#[test]
fn store_and_storedist() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            ("CONFIG SET zset-max-listpack-entries 2", "+OK"),
            ("GEORADIUS Sicily 15 37 200 km STORE all", ":3"),
            ("OBJECT ENCODING all", "skiplist"),
            (
                "ZRANGE all 0 -1 WITHSCORES",
                "[Agrigento 3479030013248308 Palermo 3479099956230698 Catania 3479447370796909]",
            ),
            ("GEORADIUS Sicily 15 37 200 km STOREDIST all COUNT 2 DESC", ":2"),
            ("OBJECT ENCODING all", "listpack"),
            (
                "ZRANGE all 0 -1 WITHSCORES",
                "[Agrigento 130.42348706714702 Palermo 190.44242984775784]",
            ),
            ("GEORADIUSBYMEMBER Sicily Palermo 200 km STORE x STOREDIST near", ":3"),
            ("EXISTS x", ":0"),
            (
                "ZRANGE near 0 -1 WITHSCORES",
                "[Palermo 0 Agrigento 90.977753537996037 Catania 166.27415156960032]",
            ),
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST", ":3"),
            (
                "ZRANGE gs 0 -1 WITHSCORES",
                "[Catania 56.441257870158204 Agrigento 130.42348706714702 Palermo 190.44242984775784]",
            ),
            (
                "GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 mi STOREDIST COUNT 1",
                ":1",
            ),
            ("ZRANGE gs 0 -1 WITHSCORES", "[Catania 35.071058862737644]"),
            ("CONFIG SET zset-max-listpack-entries 128", "+OK"),
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC", ":3"),
            ("OBJECT ENCODING gs", "listpack"),
            // The destination is replaced whatever it held, and loses its TTL.
            ("SET gs string", "+OK"),
            ("EXPIRE gs 1000", ":1"),
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYRADIUS 100 km", ":1"),
            ("TTL gs", ":-1"),
            ("ZRANGE gs 0 -1 WITHSCORES", "[Catania 3479447370796909]"),
            // Nothing found, or no source: the destination is deleted.
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYRADIUS 1 m", ":0"),
            ("EXISTS gs", ":0"),
            ("SET gs string", "+OK"),
            ("GEORADIUS Sicily 15 37 1 m STORE gs", ":0"),
            ("EXISTS gs", ":0"),
            ("SET gs string", "+OK"),
            ("GEOSEARCHSTORE gs nokey FROMLONLAT 15 37 BYRADIUS 1 m", ":0"),
            ("EXISTS gs", ":0"),
            ("SET gs string", "+OK"),
            ("GEORADIUSBYMEMBER nokey Palermo 1 x STOREDIST gs", ":0"),
            ("EXISTS gs", ":0"),
            ("GEORADIUS nokey 15 37 1 km STORE gs", ":0"),
            ("GEOADD Sicily 0 0 z0 0.0001 0 z1", ":2"),
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 0 0 BYRADIUS 100 m STOREDIST", ":2"),
            ("ZRANGE gs 0 -1 WITHSCORES", "[z0 0.3299589265287915 z1 11.039190876810832]"),
            (
                "GEOSEARCHSTORE gs Sicily FROMLONLAT 0 0 BYRADIUS 100 m STOREDIST ANY COUNT 1",
                ":1",
            ),
            ("ZRANGE gs 0 -1 WITHSCORES", "[z0 0.3299589265287915]"),
        ],
    );
}

#[test]
fn writes_are_counted_as_redis_counts_them() {
    let (_s, mut r) = start();
    let counted = |r: &mut Raw, line: &str| {
        let before = changes_since_save(r);
        let args = words(line);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert!(!matches!(r.cmd(&args), Frame::Error(_)), "{line}");
        changes_since_save(r) - before
    };
    assert_eq!(counted(&mut r, SICILY), 3);
    assert_eq!(counted(&mut r, SICILY), 0);
    assert_eq!(counted(&mut r, "GEOADD Sicily 1 1 Palermo 2 2 new"), 2);
    assert_eq!(
        counted(
            &mut r,
            "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km"
        ),
        2
    );
    assert_eq!(counted(&mut r, "GEORADIUS Sicily 15 37 200 km STORE d"), 2);
    assert_eq!(counted(&mut r, "GEORADIUS Sicily 15 37 1 m STORE d"), 1);
    assert_eq!(counted(&mut r, "GEORADIUS Sicily 15 37 1 m STORE d"), 0);
    assert_eq!(
        counted(&mut r, "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km"),
        0
    );
}

#[test]
fn resp3_forms() {
    let (_s, mut r) = start();
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Typed(b'%', _)));
    check(
        &mut r,
        &[
            (SICILY, ":3"),
            (
                "GEOPOS Sicily Palermo nope",
                "[[,13.36138933897018433 ,38.11555639549629859] _]",
            ),
            ("GEOHASH Sicily Palermo nope", "[sqc8b49rny0 _]"),
            // Distances stay bulk strings.
            ("GEODIST Sicily Palermo Catania", "166274.1516"),
            ("GEODIST Sicily Palermo nope", "_"),
            ("GEODIST nokey a b", "_"),
            (
                "GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST WITHHASH ASC",
                "[[Catania 56.4413 :3479447370796909 [,15.08726745843887329 ,37.50266842333162032]] \
                 [Agrigento 130.4235 :3479030013248308 [,13.5833314061164856 ,37.31666804993816555]] \
                 [Palermo 190.4424 :3479099956230698 [,13.36138933897018433 ,38.11555639549629859]]]",
            ),
            ("GEORADIUS Sicily 15 37 1 km", "[]"),
            ("GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 1 km", "[]"),
            ("GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", ":3"),
            (
                "ZRANGE gs 0 -1 WITHSCORES",
                "[[Catania ,56.441257870158204] [Agrigento ,130.42348706714702] [Palermo ,190.44242984775784]]",
            ),
        ],
    );
}

#[test]
fn geo_keys_are_sorted_sets() {
    let (_s, mut r) = start();
    check(
        &mut r,
        &[
            ("CONFIG SET zset-max-listpack-entries 2", "+OK"),
            ("GEOADD g 1 1 a 2 2 b", ":2"),
            ("OBJECT ENCODING g", "listpack"),
            ("GEOADD g 3 3 c", ":1"),
            ("OBJECT ENCODING g", "skiplist"),
            ("GEOSEARCH g FROMMEMBER a BYRADIUS 200 km ASC", "[a b]"),
            ("CONFIG SET zset-max-listpack-entries 128", "+OK"),
            (
                "GEOADD long 1 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ":1",
            ),
            ("OBJECT ENCODING long", "skiplist"),
            ("TYPE g", "+zset"),
            ("ZRANGE g 0 -1", "[a b c]"),
            ("ZREM g a b c", ":3"),
            ("EXISTS g", ":0"),
        ],
    );
}

#[test]
fn command_table_entries() {
    let (_s, mut r) = start();
    let range = "find_keys [type range spec [lastkey :0 keystep :1 limit :0]]";
    let index = |flags: &str, i: i64| {
        format!("[flags [{flags}] begin_search [type index spec [index :{i}]] {range}]")
    };
    let keyword = |word: &str| {
        format!(
            "[flags [+OW +update] begin_search [type keyword spec [keyword {word} startfrom :6]] {range}]"
        )
    };
    let georadius = format!(
        "[georadius :-6 [+write +denyoom +movablekeys] :1 :1 :1 [+@write +@geo +@slow] [] [{} {} {}] []]",
        index("+RO +access", 1),
        keyword("STORE"),
        keyword("STOREDIST")
    );
    let geosearchstore = format!(
        "[geosearchstore :-8 [+write +denyoom] :1 :2 :1 [+@write +@geo +@slow] [] [{} {}] []]",
        index("+OW +update", 1),
        index("+RO +access", 2)
    );
    let geoadd = format!(
        "[geoadd :-5 [+write +denyoom] :1 :1 :1 [+@write +@geo +@slow] [] [{}] []]",
        index("+RW +update", 1)
    );
    check(
        &mut r,
        &[
            (
                "COMMAND INFO georadius geosearchstore geoadd",
                &format!("[{georadius} {geosearchstore} {geoadd}]"),
            ),
            (
                "COMMAND GETKEYS georadius src 1 2 3 km STORE dst1 STOREDIST dst2",
                "[src dst1 dst2]",
            ),
            (
                "COMMAND GETKEYS georadiusbymember src m 3 km storedist dst",
                "[src dst]",
            ),
            ("COMMAND GETKEYS georadius_ro src 1 2 3 km", "[src]"),
            (
                "COMMAND GETKEYS geosearchstore dst src FROMLONLAT 1 2 BYRADIUS 1 km",
                "[dst src]",
            ),
        ],
    );
}

/// A deterministic spread of points: `n` members around a few centres.
fn scattered_points(n: usize) -> Vec<(f64, f64)> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let centres = [(2.35, 48.85), (179.9, -16.5), (-0.1, 51.5), (25.0, 80.5)];
    (0..n)
        .map(|i| {
            let (lon, lat) = centres[i % centres.len()];
            let lon = lon + (next() - 0.5) * 4.0;
            let lon = if lon > 180.0 { lon - 360.0 } else { lon };
            (lon, (lat + (next() - 0.5) * 4.0).clamp(-85.0, 85.0))
        })
        .collect()
}

/// Every member a radius search returns is within the radius by GEODIST,
/// and every member GEODIST puts clearly inside it is returned.
#[test]
fn radius_searches_find_what_distances_say() {
    let (_s, mut r) = start();
    let points = scattered_points(400);
    let mut add = vec!["GEOADD".to_string(), "pts".to_string()];
    for (i, (lon, lat)) in points.iter().enumerate() {
        add.extend([lon.to_string(), lat.to_string(), format!("p{i}")]);
    }
    let args: Vec<&str> = add.iter().map(String::as_str).collect();
    assert_eq!(r.cmd(&args), Frame::Int(400));
    for (from, radius_km) in [(0, 50.0), (1, 120.0), (2, 10.0), (3, 200.0), (7, 300.0)] {
        let from = format!("p{from}");
        let radius = radius_km.to_string();
        let found = common::texts(r.cmd(&[
            "GEOSEARCH",
            "pts",
            "FROMMEMBER",
            &from,
            "BYRADIUS",
            &radius,
            "km",
        ]));
        for i in 0..points.len() {
            let member = format!("p{i}");
            let dist: f64 = common::bulk_text(&r.cmd(&["GEODIST", "pts", &from, &member, "km"]))
                .parse()
                .expect("a distance");
            let listed = found.contains(&member);
            if dist < radius_km - 0.001 {
                assert!(
                    listed,
                    "{member} at {dist} km of {from} is not within {radius} km"
                );
            } else if dist > radius_km + 0.001 {
                assert!(
                    !listed,
                    "{member} at {dist} km of {from} is within {radius} km"
                );
            }
        }
    }
}
