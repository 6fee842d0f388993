#!/usr/bin/env python3
"""Keyspace notifications, reddish against real Redis, message by message.

Starts reddish and a real redis-server side by side (or uses running ones,
--reddish-port/--redis-port), runs the same cases on both and compares the
exact sequence of keyspace/keyevent messages a subscriber gets
(PSUBSCRIBE `__key*__:*`), once per `notify-keyspace-events` setting
(--modes, default `KEA` and `KEAnm`: `A` covers neither `n` nor `m`). The
replies are compared too (steps marked `~` have replies that legitimately
differ, such as random picks): a reply that differs usually means the case
did not set up the same data on both.

A case is a name, a list of steps and optionally a set of options
(`unordered`: the messages are compared as a multiset, for expiry cycles
whose order of keys depends on hashing). A step is a command line for the
writing client, or:

    ~CMD ...        the command, its reply not compared
    @NAME CMD ...   send CMD on connection NAME without reading its reply
    <NAME           read the reply pending on connection NAME
    !blocked N      wait until N clients are blocked
    !dbsize N       wait until the current database holds N keys (active
                    expiry done; DBSIZE does not expire keys itself)
    !sleep MS       sleep
    $NAME in an argument is replaced with the DUMP payload NAME (made on
    real Redis at start-up).

Each case starts from FLUSHALL in database 0 with active expiry on; the
subscriber's messages of one case are those between two markers published
before and after it. Prints every difference and a summary; exits 1 if
there was any.

Python 3 standard library only.
"""

import argparse
import os
import shlex
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzlib  # noqa: E402
from fuzzlib import Conn, Err, Push, Server  # noqa: E402

PATTERN = "__key*__:*"
MARKER = "__keymark__:"

# ---------------------------------------------------------------------------
# The cases

STRINGS = [
    ("set new, overwrite, nx/xx", ["SET s v", "SET s w", "SET s x NX", "SET t x XX", "SET s y XX GET",
                                   "SET t x NX", "SET s z KEEPTTL"]),
    ("set with ttl", ["SET s v EX 100", "SET s v PX 100000", "SET s v KEEPTTL", "SET s v EXAT 99999999999",
                      "SET t v PXAT 99999999999", "SET s v EX 0", "SET s v GET EX 10"]),
    ("set on a wrong type with get", ["RPUSH l a", "SET l v GET", "SET l v"]),
    ("setnx setex psetex", ["SETNX s v", "SETNX s w", "SETEX s 100 v", "PSETEX p 100000 v", "SETEX s 0 v"]),
    ("mset msetnx", ["MSET a 1 b 2 a 3", "MSETNX c 1 a 2", "MSETNX c 1 d 2", "MSET c 9"]),
    ("getset getdel", ["GETSET s v", "GETSET s w", "GETDEL s", "GETDEL s", "GETDEL nothing"]),
    ("getex", ["SET s v", "GETEX s EX 100", "GETEX s PERSIST", "GETEX s PERSIST", "GETEX s",
               "GETEX s PX 100000", "GETEX s PXAT 1", "GETEX s", "GETEX nothing EX 10", "SET s v",
               "GETEX s EXAT 1"]),
    ("append", ["APPEND s ab", "APPEND s cd", "APPEND s ''"]),
    ("setrange", ["SETRANGE s 0 ''", "SETRANGE s 3 ab", "SETRANGE s 0 ''", "SETRANGE s 1 z",
                  "SETRANGE t 2 ''", "GET t"]),
    ("incr family", ["INCR n", "INCRBY n 5", "DECR n", "DECRBY n 3", "INCRBYFLOAT n 1.5", "INCRBYFLOAT f 2",
                     "SET s abc", "INCR s", "INCRBYFLOAT s 1", "INCRBY n 0"]),
    ("string reads that miss", ["GET m", "MGET m1 m2", "STRLEN m", "GETRANGE m 0 1", "SUBSTR m 0 1",
                                "LCS m1 m2", "SET x v", "GET x", "MGET x m3 x"]),
    ("bits", ["SETBIT b 7 1", "SETBIT b 7 1", "SETBIT b 100 0", "GETBIT m 1", "BITCOUNT m", "BITPOS m 1",
              "BITCOUNT b", "GETBIT b 7"]),
    ("bitfield", ["BITFIELD bf SET u8 0 255", "BITFIELD bf GET u8 0", "BITFIELD bf INCRBY u8 0 1",
                  "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 300", "BITFIELD m GET u8 0",
                  "BITFIELD_RO m GET u8 0", "BITFIELD n2 OVERFLOW FAIL INCRBY u2 0 9",
                  "BITFIELD bf SET u8 0 1 SET u8 8 2"]),
    ("bitop", ["SET a abc", "SET b x", "BITOP AND d a b", "BITOP OR d a m", "BITOP AND d m1 m2",
               "BITOP NOT e m", "BITOP XOR d a a", "BITOP NOT d a"]),
]

KEYS = [
    ("del unlink", ["SET a 1", "SET b 2", "DEL a b c", "DEL a", "SET c 3", "UNLINK c d"]),
    ("exists type ttl touch", ["EXISTS m", "TYPE m", "TTL m", "PTTL m", "EXPIRETIME m", "PEXPIRETIME m",
                               "TOUCH m", "SET a 1", "TOUCH a m2", "EXISTS a m3", "TYPE a", "TTL a"]),
    ("expire family", ["SET a 1", "EXPIRE a 100", "PEXPIRE a 100000", "EXPIREAT a 99999999999",
                       "PEXPIREAT a 99999999999000", "EXPIRE a 100 NX", "EXPIRE a 10 GT", "EXPIRE a 1000 LT",
                       "EXPIRE m 10", "PERSIST a", "PERSIST a", "PERSIST m", "EXPIRE a 10 XX",
                       "EXPIRE a 10 XX", "EXPIRE a 0", "SET b 1", "PEXPIREAT b 1", "SET c 1", "EXPIRE c -5",
                       "SET d 1", "EXPIREAT d 100 NX"]),
    ("rename", ["SET a 1", "RENAME a b", "SET c 2", "RENAME b c", "RENAME c c", "RENAME m x",
                "RENAMENX c c", "SET d 4", "RENAMENX c d", "RENAMENX c e", "SET f 1", "EXPIRE f 100",
                "RENAME f e"]),
    ("move", ["SET a 1", "MOVE a 1", "SET a 2", "SELECT 1", "SET b 1", "SELECT 0", "SET b 2", "MOVE b 1",
              "MOVE m 1", "EXPIRE a 100", "MOVE a 2", "SELECT 2", "TTL a", "SELECT 0"]),
    ("copy", ["SET a 1", "COPY a b", "COPY a b", "COPY a b REPLACE", "COPY a b DB 3", "COPY m b",
              "RPUSH l x y", "COPY l b REPLACE", "COPY a a", "EXPIRE a 100", "COPY a c DB 3"]),
    ("swapdb flushdb flushall", ["SET a 1", "SELECT 1", "SET b 2", "SELECT 0", "SWAPDB 0 1", "GET a",
                                 "GET b", "FLUSHDB", "SELECT 1", "FLUSHDB", "SELECT 0", "SET a 1",
                                 "FLUSHALL", "SET a 1", "FLUSHDB ASYNC"]),
    ("dump restore", ["DUMP m", "RESTORE r 0 $str", "RESTORE r 0 $str", "RESTORE r 0 $list REPLACE",
                      "RESTORE r2 100000 $hash", "RESTORE r3 1 $set ABSTTL", "RESTORE r 1 $zset ABSTTL REPLACE",
                      "RESTORE r4 0 $stream", "DUMP r4", "TYPE r4",
                      "RESTORE-ASKING r5 0 $str", "RESTORE-ASKING r5 0 $hash REPLACE"]),
    ("object and others", ["OBJECT ENCODING m", "OBJECT FREQ m", "OBJECT IDLETIME m", "OBJECT REFCOUNT m",
                           "SET a 1", "OBJECT ENCODING a", "~RANDOMKEY", "KEYS *", "SCAN 0", "DBSIZE",
                           "MEMORY USAGE m"]),
    ("other database", ["SELECT 9", "SET a 1", "LPUSH l a", "DEL a", "GET m", "EXPIRE l 100", "PERSIST l",
                        "SELECT 0"]),
    ("sort", ["RPUSH l 3 1 2", "SORT l", "SORT l STORE d", "SORT l STORE d", "SORT m STORE d",
              "SORT l BY nosort STORE e", "SET w_1 1", "SORT l BY w_* GET o_* GET #", "SORT_RO l BY w_*",
              "SORT m", "SADD s b a", "SORT s ALPHA STORE f", "SORT l GET # STORE g LIMIT 5 5"]),
]

LISTS = [
    ("push", ["LPUSH l a b", "RPUSH l c", "LPUSHX l d", "RPUSHX l e", "LPUSHX m d", "RPUSHX m e",
              "SET s v", "LPUSH s a"]),
    ("pop", ["RPUSH l a b c d e", "LPOP l", "RPOP l", "LPOP l 2", "RPOP l 0", "LPOP m", "RPOP m 2",
             "RPOP l 5", "LPOP l"]),
    ("linsert lset", ["RPUSH l a b", "LINSERT l BEFORE b x", "LINSERT l AFTER zz y", "LINSERT m BEFORE a b",
                      "LSET l 0 q", "LSET l 9 q", "LSET m 0 q"]),
    ("ltrim", ["RPUSH l a b c", "LTRIM l 0 -1", "LTRIM l 0 1", "LTRIM l 5 10", "LTRIM m 0 1"]),
    ("lrem", ["RPUSH l a b a c", "LREM l 0 zz", "LREM l 1 a", "LREM l 0 a", "LREM l 0 b", "LREM l 0 c",
              "LREM m 0 a"]),
    ("lmove rpoplpush", ["RPUSH l a b c", "LMOVE l l LEFT RIGHT", "LMOVE l d RIGHT LEFT", "RPOPLPUSH l d",
                         "RPOPLPUSH l d", "RPOPLPUSH l d", "LMOVE m d LEFT LEFT", "RPUSH x 1",
                         "RPOPLPUSH x x", "SET s v", "LMOVE d s LEFT LEFT"]),
    ("lmpop", ["RPUSH l a b c", "LMPOP 2 m l LEFT", "LMPOP 1 l RIGHT COUNT 5", "LMPOP 1 l LEFT",
               "RPUSH l2 a", "BLMPOP 0 2 m l2 RIGHT", "BLPOP m l2 0.01"]),
    ("list reads that miss", ["LINDEX m 0", "LLEN m", "LRANGE m 0 -1", "LPOS m a", "RPUSH l a",
                              "LRANGE l 0 -1"]),
    ("blpop served later", ["@b BLPOP l1 l2 0", "!blocked 1", "RPUSH l2 a b", "<b", "LRANGE l2 0 -1"]),
    ("blpop served later, list emptied", ["@b BRPOP l 0", "!blocked 1", "RPUSH l a", "<b", "EXISTS l"]),
    ("blmove served later", ["@b BLMOVE src dst LEFT RIGHT 0", "!blocked 1", "LPUSH src a", "<b",
                             "@b BRPOPLPUSH src dst 0", "!blocked 1", "LPUSH src x y", "<b",
                             "@b BLMOVE e e RIGHT LEFT 0", "!blocked 1", "RPUSH e 1", "<b"]),
    ("blmpop served later", ["@b BLMPOP 0 2 a b LEFT COUNT 3", "!blocked 1", "RPUSH b 1 2", "<b"]),
    ("two clients served by one push", ["@b BLPOP l 0", "!blocked 1", "@c BLPOP l 0", "!blocked 2",
                                        "RPUSH l x y z", "<b", "<c", "LRANGE l 0 -1"]),
    ("served inside multi", ["@b BLPOP l 0", "!blocked 1", "MULTI", "RPUSH l a", "LPUSH l b", "EXEC", "<b"]),
]

HASHES = [
    ("hset family", ["HSET h a 1 b 2", "HSET h a 1", "HMSET h c 3", "HSETNX h a 9", "HSETNX h z 9",
                     "HSETNX h2 a 1"]),
    ("hdel", ["HSET h a 1 b 2", "HDEL h zz", "HDEL h a", "HDEL h a b", "HDEL m a"]),
    ("hincr", ["HINCRBY h n 5", "HINCRBY h n -5", "HINCRBYFLOAT h f 1.5", "HSET h s x", "HINCRBY h s 1",
               "HINCRBYFLOAT h s 1"]),
    ("hash reads that miss", ["HGET m f", "HGETALL m", "HMGET m a", "HLEN m", "HKEYS m", "HVALS m",
                              "HEXISTS m a", "HSTRLEN m a", "HRANDFIELD m", "HSCAN m 0", "HSET h a 1",
                              "HGET h zz", "HGET h a"]),
]

SETS = [
    ("sadd srem", ["SADD s a b", "SADD s a", "SREM s zz", "SREM s a", "SREM s b", "SREM m a"]),
    ("smove", ["SADD a x y", "SMOVE a b x", "SMOVE a b zz", "SADD b y", "SMOVE a b y", "SMOVE b b x",
               "SMOVE m b x", "SADD c 1", "SMOVE c c 1"]),
    ("spop", ["SADD s a b c d", "~SPOP s", "~SPOP s 2", "~SPOP s 0", "SPOP m", "~SPOP s 10", "SPOP s",
              "SADD t a", "SPOP t", "SADD u a b", "~SPOP u 2"]),
    ("set stores", ["SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE d a b", "SUNIONSTORE d a b",
                    "SDIFFSTORE d a b", "SINTERSTORE d a m", "SINTERSTORE d a m", "SUNIONSTORE d m1 m2",
                    "SDIFFSTORE e a a", "SDIFFSTORE d m a", "SUNIONSTORE d a"]),
    ("set reads that miss", ["SMEMBERS m", "SISMEMBER m a", "SMISMEMBER m a", "SCARD m", "SINTER m a",
                             "SUNION m1 m2", "SDIFF m1 m2", "SINTERCARD 2 m1 m2", "SRANDMEMBER m", "SSCAN m 0",
                             "SADD s a", "SINTER s m", "SDIFF s m"]),
]

ZSETS = [
    ("zadd", ["ZADD z 1 a 2 b", "ZADD z 1 a", "ZADD z XX 5 c", "ZADD m XX 1 a", "ZADD z NX 3 a",
              "ZADD z GT 0 a", "ZADD z LT 0 a", "ZADD z CH 9 a", "ZADD z INCR 1 a", "ZADD z INCR 0 a",
              "ZADD z NX INCR 1 a", "ZADD y INCR 5 q", "ZADD z 1 a 1 a 2 b"]),
    ("zincrby zrem", ["ZINCRBY z 1 a", "ZINCRBY z 0 a", "ZREM z zz", "ZREM z a", "ZREM m a",
                      "ZADD z +inf x", "ZINCRBY z -inf x"]),
    ("zremrange", ["ZADD z 1 a 2 b 3 c 4 d", "ZREMRANGEBYSCORE z 10 20", "ZREMRANGEBYSCORE z 1 1",
                   "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYLEX z [c [c", "ZREMRANGEBYRANK z 0 -1",
                   "ZREMRANGEBYSCORE m 0 1", "ZADD l 0 a 0 b", "ZREMRANGEBYLEX l - +"]),
    ("zpop", ["ZADD z 1 a 2 b 3 c", "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 0", "ZPOPMIN m", "ZPOPMAX z 5",
              "ZADD y 1 a", "ZMPOP 2 m y MIN", "ZADD y 1 a 2 b", "ZMPOP 1 y MAX COUNT 1", "BZPOPMIN y 0",
              "BZMPOP 0.01 1 m MIN"]),
    ("zstores", ["ZADD a 1 x 2 y", "ZADD b 3 y 4 z", "ZUNIONSTORE d 2 a b", "ZINTERSTORE d 2 a b",
                 "ZDIFFSTORE d 2 a b", "ZINTERSTORE d 2 a m", "ZINTERSTORE d 2 a m", "ZDIFFSTORE d 2 m a",
                 "ZRANGESTORE d a 0 -1", "ZRANGESTORE d a 5 6", "ZRANGESTORE d a 5 6",
                 "ZUNIONSTORE d 1 m", "ZUNIONSTORE e 1 a WEIGHTS 2"]),
    ("zset reads that miss", ["ZRANGE m 0 -1", "ZSCORE m a", "ZMSCORE m a", "ZCARD m", "ZCOUNT m 0 1",
                              "ZLEXCOUNT m - +", "ZRANK m a", "ZREVRANK m a", "ZRANGEBYSCORE m 0 1",
                              "ZREVRANGE m 0 1", "ZRANDMEMBER m", "ZSCAN m 0", "ZUNION 2 m1 m2",
                              "ZINTER 2 m1 m2", "ZDIFF 2 m1 m2", "ZINTERCARD 2 m1 m2", "ZRANGEBYLEX m - +",
                              "ZREVRANGEBYSCORE m 1 0", "ZREVRANGEBYLEX m + -"]),
    ("bzpop served later", ["@b BZPOPMIN z1 z2 0", "!blocked 1", "ZADD z2 1 a 2 b", "<b",
                            "@b BZPOPMAX z2 0", "!blocked 0", "<b", "@b BZMPOP 0 1 z3 MAX COUNT 2",
                            "!blocked 1", "ZADD z3 1 a", "<b"]),
]

GEO = [
    ("geoadd", ["GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
                "GEOADD g 13.361389 38.115556 Palermo", "GEOADD g XX 1 1 nobody", "GEOADD g CH 1 1 Palermo",
                "GEOADD m XX 1 1 a"]),
    ("geo stores", ["GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
                    "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km",
                    "GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
                    "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 km",
                    "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 km",
                    "GEORADIUS g 15 37 200 km STORE e", "GEORADIUS g 15 37 200 km STOREDIST e",
                    "GEORADIUSBYMEMBER g Palermo 500 km STORE f", "GEORADIUS g 0 0 1 km STORE f",
                    "GEOSEARCHSTORE d m FROMLONLAT 0 0 BYRADIUS 1 km"]),
    ("geo reads that miss", ["GEOPOS m a", "GEODIST m a b", "GEOHASH m a", "GEORADIUS m 0 0 1 km",
                             "GEOSEARCH m FROMLONLAT 0 0 BYRADIUS 1 km", "GEORADIUSBYMEMBER m a 1 km",
                             "GEORADIUS_RO m 0 0 1 km"]),
]

HLL = [
    ("pfadd", ["PFADD h a b", "PFADD h a", "PFADD h", "PFADD e", "PFADD e", "PFCOUNT h", "PFCOUNT h",
               "PFCOUNT m", "PFCOUNT h m", "PFADD h c", "PFCOUNT h"]),
    ("pfmerge", ["PFADD a x", "PFADD b y", "PFMERGE d a b", "PFMERGE d", "PFMERGE e m", "PFMERGE a",
                 "PFDEBUG GETREG a", "PFDEBUG TODENSE a", "PFDEBUG TODENSE a"]),
]

STREAMS = [
    ("xadd", ["XADD s 1-1 f v", "XADD s 2-1 f v", "XADD m NOMKSTREAM 1-1 f v", "XADD s MAXLEN 1 3-1 f v",
              "XADD s MAXLEN 5 4-1 f v", "XADD s 1-1 f v", "XADD s NOMKSTREAM 5-1 f v"]),
    ("xtrim xdel", ["XADD s 1-1 f v", "XADD s 2-1 f v", "XADD s 3-1 f v", "XTRIM s MAXLEN 5", "XTRIM s MAXLEN 2",
                    "XTRIM s MINID 3", "XTRIM m MAXLEN 0", "XDEL s 9-9", "XDEL s 3-1", "XDEL m 1-1",
                    "XLEN s", "EXISTS s"]),
    ("xsetid", ["XADD s 1-1 f v", "XSETID s 5-5", "XSETID s 5-5", "XSETID m 1-1", "XDEL s 1-1",
                "XSETID s 6-0 ENTRIESADDED 3 MAXDELETEDID 1-1"]),
    ("xgroup", ["XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE s g $", "XGROUP CREATE m g $",
                "XGROUP CREATE s g2 0", "XGROUP SETID s g 0", "XGROUP SETID s zz 0",
                "XGROUP CREATECONSUMER s g Bob", "XGROUP CREATECONSUMER s g Bob",
                "XGROUP DELCONSUMER s g Lee", "XGROUP DELCONSUMER s g Bob", "XGROUP DESTROY s g",
                "XGROUP DESTROY s g", "XGROUP CREATECONSUMER m g Bob"]),
    ("xreadgroup xclaim xautoclaim xack", ["XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATECONSUMER s g Bob",
                                           "XADD s 1-1 f v", "XADD s 2-1 f v",
                                           "XREADGROUP GROUP g Alice COUNT 1 STREAMS s >",
                                           "XREADGROUP GROUP g Alice STREAMS s >",
                                           "XREADGROUP GROUP g Alice STREAMS s 0",
                                           "XCLAIM s g Mike 0 1-1 FORCE", "XCLAIM s g Mike 0 1-1",
                                           "XAUTOCLAIM s g Bob 0 0", "XAUTOCLAIM s g Zed 0 0 JUSTID",
                                           "XACK s g 1-1", "XACK s g 1-1", "XGROUP DELCONSUMER s g Bob",
                                           "XCLAIM s g Nobody 0 9-9", "XREADGROUP GROUP g Al STREAMS m >"]),
    ("stream reads meeting missing keys", ["XADD s 1-1 f v", "XREAD STREAMS s m 0 0", "XREAD STREAMS m s 0 0",
                                           "XREAD COUNT 1 STREAMS s m s 0 0 0", "XGROUP CREATE s g 0",
                                           "XREADGROUP GROUP g c STREAMS s m > >"]),
    ("stream reads that miss", ["XRANGE m - +", "XREVRANGE m + -", "XLEN m", "XREAD STREAMS m 0",
                                "XINFO STREAM m", "XPENDING m g", "XINFO GROUPS m"]),
    ("blocked xreadgroup served later", ["XGROUP CREATE s g $ MKSTREAM",
                                         "@b XREADGROUP GROUP g Carl BLOCK 0 STREAMS s >", "!blocked 1",
                                         "XADD s 1-1 f v", "<b", "@b XREAD BLOCK 0 STREAMS s $",
                                         "!blocked 1", "XADD s 2-1 f v", "<b"]),
]

TRANSACTIONS = [
    ("multi exec", ["MULTI", "SET a 1", "LPUSH l a", "DEL a", "INCR n", "EXEC"]),
    ("multi with an error inside", ["SET s v", "MULTI", "LPUSH s a", "SET s w", "EXEC"]),
    ("watch", ["WATCH a", "SET a 1", "MULTI", "SET a 2", "EXEC"]),
]

EXPIRY = [
    ("lazy expiry on read", ["DEBUG SET-ACTIVE-EXPIRE 0", "SET a 1 PX 1", "!sleep 20", "GET a", "GET a",
                             "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("lazy expiry on write", ["DEBUG SET-ACTIVE-EXPIRE 0", "SET a 1 PX 1", "RPUSH l x", "PEXPIRE l 1",
                              "SADD s x", "PEXPIRE s 1", "!sleep 20", "SET a 2", "LPUSH l y", "SREM s x",
                              "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("lazy expiry through other commands", ["DEBUG SET-ACTIVE-EXPIRE 0", "SET a 1 PX 1", "SET b 1 PX 1",
                                            "SET c 1 PX 1", "SET d 1 PX 1", "SET e 1 PX 1", "SET f 1",
                                            "!sleep 20", "EXISTS a", "TTL b", "DEL c", "RENAME f d",
                                            "TYPE e", "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("lazy expiry of a source key", ["DEBUG SET-ACTIVE-EXPIRE 0", "SADD a 1", "PEXPIRE a 1", "RPUSH l 1",
                                     "PEXPIRE l 1", "SET s v PX 1", "ZADD z 1 a", "PEXPIRE z 1", "!sleep 20",
                                     "SINTERSTORE d a", "RPOPLPUSH l d2", "COPY s t", "ZUNIONSTORE u 1 z",
                                     "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("active expiry", ["SET a 1 PX 1", "!dbsize 0", "RPUSH l x", "PEXPIRE l 1", "!dbsize 0", "SET b 1",
                       "PEXPIRE b 5", "!dbsize 0"]),
    # Which of several keys the cycle finds first depends on hashing.
    ("active expiry of several keys", ["SET a 1 PX 1", "RPUSH l x", "PEXPIRE l 1", "HSET h f v", "PEXPIRE h 2",
                                       "!dbsize 0"], {"unordered"}),
    ("expired in another db", ["SELECT 4", "SET a 1 PX 1", "!dbsize 0", "SELECT 0"]),
    ("expiry versus write", ["SET a 1 EX 100", "SET a 2", "TTL a", "SET b 1 EX 100", "APPEND b x", "TTL b",
                             "SET c 1 EX 100", "GETSET c 2", "TTL c"]),
]

MISC = [
    ("debug populate", ["DEBUG POPULATE 3 k", "DEBUG POPULATE 4 k"]),
    ("pubsub does not notify", ["PUBLISH ch m", "PUBSUB CHANNELS"]),
    ("commands that fail", ["SET s v", "LPUSH s a", "HSET s a b", "SADD s a", "ZADD s 1 a", "XADD s * f v",
                            "INCR s", "SETBIT s -1 1", "EXPIRE s abc", "RPUSH l a", "GET l", "APPEND l x"]),
]

EDGES = [
    ("creating writes on missing keys", ["APPEND a ''", "SETBIT b 5 0", "ZINCRBY z 1 a", "HINCRBYFLOAT h f 1",
                                         "INCRBYFLOAT f 0", "LPUSH l x", "SADD s x", "PFADD p", "XADD x 1-1 f v",
                                         "GEOADD g 1 1 a", "HSETNX hh f v", "MSETNX m1 v m2 v",
                                         "BITFIELD bf INCRBY u8 0 0"]),
    ("expired keys met by key commands", ["DEBUG SET-ACTIVE-EXPIRE 0", "SET a 1 PX 1", "SET b 1 PX 1",
                                          "SELECT 1", "SET a 1 PX 1", "SELECT 0", "SET c 1 PX 1", "SET d 1 PX 1",
                                          "SET e 1 PX 1", "SET f v", "!sleep 20", "MOVE a 1", "RENAME b x",
                                          "EXPIRE c 100", "PERSIST d", "COPY f e", "DUMP e", "OBJECT ENCODING d",
                                          "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("expired destination", ["DEBUG SET-ACTIVE-EXPIRE 0", "SET a v", "SET b 1 PX 1", "SADD s 1",
                             "SET d 1 PX 1", "RPUSH l x", "SET e 1 PX 1", "!sleep 20", "RENAME a b",
                             "SUNIONSTORE d s", "RPOPLPUSH l e", "DEBUG SET-ACTIVE-EXPIRE 1"]),
    ("stream trimming and ids", ["~XADD s * f v", "~XADD s MAXLEN ~ 1 * f v", "~XADD s MAXLEN = 1 * f v",
                                 "XTRIM s MAXLEN ~ 0", "XTRIM s MAXLEN = 0 LIMIT 0", "XTRIM s MINID 0",
                                 "~XADD s MINID = 999999999999999 * f v", "XLEN s",
                                 "XGROUP CREATE s g 0 ENTRIESREAD 0", "XGROUP SETID s g $ ENTRIESREAD 1"]),
    ("claims of deleted entries", ["XGROUP CREATE s g $ MKSTREAM", "XADD s 1-1 f v", "XADD s 2-1 f v",
                                   "XREADGROUP GROUP g A STREAMS s >", "XDEL s 1-1", "XCLAIM s g B 0 1-1 2-1",
                                   "XDEL s 2-1", "XAUTOCLAIM s g C 0 0", "XPENDING s g",
                                   "XREADGROUP GROUP g D NOACK STREAMS s 0"]),
    ("noack and multiple streams", ["XGROUP CREATE s g $ MKSTREAM", "XGROUP CREATE t g $ MKSTREAM",
                                    "XADD s 1-1 f v", "XADD t 1-1 f v",
                                    "XREADGROUP GROUP g A NOACK STREAMS s t > >",
                                    "XREADGROUP GROUP g B STREAMS s t 0 0"]),
    ("blocked chain", ["@b BLMOVE a b LEFT LEFT 0", "!blocked 1", "@c BLPOP b 0", "!blocked 2", "RPUSH a x",
                       "<b", "<c", "EXISTS a b"]),
    ("blocked on a wrong-type destination", ["SET d v", "@b BLMOVE a d LEFT LEFT 0", "!blocked 1",
                                             "RPUSH a x", "<b", "LRANGE a 0 -1"]),
    ("swapdb wakes a blocked client", ["SELECT 1", "@b SELECT 1", "@b BLPOP l 0", "!blocked 1", "SELECT 0",
                                       "RPUSH l a b", "SWAPDB 0 1", "<b", "SELECT 1", "LRANGE l 0 -1",
                                       "SELECT 0"]),
    ("blocking commands inside multi", ["MULTI", "BLPOP l 0", "BZPOPMIN z 0", "BLMOVE a b LEFT LEFT 0",
                                        "XREAD BLOCK 0 STREAMS s 0", "EXEC", "RPUSH l a", "MULTI", "BLPOP l 0",
                                        "EXEC"]),
    ("timeouts", ["@b BLPOP l 0.01", "<b", "@b BZPOPMIN z 0.01", "<b"]),
    ("reload", ["SET a 1", "RPUSH l x", "DEBUG RELOAD", "GET a"]),
    ("more stores on missing sources", ["ZRANGESTORE d m 0 -1", "SET d v", "ZRANGESTORE d m 0 -1",
                                        "SET e v", "SINTERSTORE e m", "SET f v", "SORT m STORE f",
                                        "SET g v", "GEORADIUS m 0 0 1 km STORE g", "SET h v",
                                        "BITOP OR h m", "SET i v", "ZUNIONSTORE i 1 m"]),
]

ALL_CASES = STRINGS + KEYS + LISTS + HASHES + SETS + ZSETS + GEO + HLL + STREAMS + TRANSACTIONS + EXPIRY + MISC + EDGES

# Values to RESTORE: made with DUMP on real Redis at start-up.
PAYLOADS = {
    "str": ["SET", "x", "hello"],
    "list": ["RPUSH", "x", "a", "b"],
    "hash": ["HSET", "x", "f", "v"],
    "set": ["SADD", "x", "1", "2"],
    "zset": ["ZADD", "x", "1", "a"],
    "stream": ["XADD", "x", "1-1", "f", "v"],
}

# ---------------------------------------------------------------------------
# Running a case on one server


class Side:
    """One server: its writer, the extra clients and the subscriber."""

    def __init__(self, name, port, resp3_self=False):
        self.name = name
        self.port = port
        self.resp3_self = resp3_self
        # Inside MULTI the PING that ends a command's output is queued.
        self.in_multi = False
        self.sub = Conn(port)
        self.sub.send(fuzzlib.encode(["PSUBSCRIBE", PATTERN]))
        self.sub.read_reply(skip_push=False)
        self.admin = Conn(port)
        self.conns = {}
        self.marker = 0

    def conn(self, name):
        if name not in self.conns:
            c = Conn(self.port)
            if name == "w" and self.resp3_self:
                c.call("HELLO", "3")
                c.send(fuzzlib.encode(["PSUBSCRIBE", PATTERN]))
                c.read_reply(skip_push=False)
            self.conns[name] = c
        return self.conns[name]

    def reset(self, mode):
        """A clean server before a case: every connection of the last case
        closed (a client left blocked is gone), data flushed, active expiry
        on, database 0."""
        for c in self.conns.values():
            c.close()
        self.conns = {}
        self.in_multi = False
        for cmd in (["CONFIG", "SET", "notify-keyspace-events", ""], ["FLUSHALL"],
                    ["DEBUG", "SET-ACTIVE-EXPIRE", "1"], ["CONFIG", "SET", "notify-keyspace-events", mode]):
            reply = self.admin.call(*cmd)
            if isinstance(reply, Err):
                raise RuntimeError("%s: %s -> %s" % (self.name, cmd, reply))
        wait_until(lambda: blocked_clients(self.admin) == 0, "%s: blocked clients left" % self.name)
        self.drain()

    def drain(self):
        """The messages up to a fresh marker."""
        self.marker += 1
        channel = "%s%d" % (MARKER, self.marker)
        self.admin.call("PUBLISH", channel, "x")
        messages = []
        while True:
            frame = self.sub.read_reply(timeout=10.0, skip_push=False)
            if not isinstance(frame, list) or len(frame) != 4 or frame[0] != b"pmessage":
                raise RuntimeError("%s: unexpected frame on the subscriber: %r" % (self.name, frame))
            if frame[2] == channel.encode():
                return messages
            messages.append((frame[2].decode("latin-1"), frame[3].decode("latin-1")))

    def run(self, steps, payloads):
        """Runs a case; returns (replies, messages)."""
        replies = []
        for step in steps:
            replies.append(self.step(step, payloads))
        return replies, self.drain()

    def step(self, step, payloads):
        if step.startswith("!"):
            return self.special(step[1:].split())
        if step.startswith("<"):
            return normalize(self.conn(step[1:]).read_reply(timeout=10.0))
        name = "w"
        if step.startswith("@"):
            name, step = step[1:].split(" ", 1)
        args = [payloads.get(a[1:], a) if a.startswith("$") else a for a in shlex.split(step.lstrip("~"))]
        c = self.conn(name)
        c.send(fuzzlib.encode(args))
        if name != "w":
            return None
        word = args[0].upper()
        queued = self.in_multi and word not in ("EXEC", "DISCARD")
        if word == "MULTI" or queued:
            self.in_multi = True
            return normalize(c.read_reply(timeout=10.0))
        self.in_multi = False
        if self.resp3_self:
            return self.reply_with_pushes(c)
        return normalize(c.read_reply(timeout=10.0))

    def reply_with_pushes(self, c):
        """Everything the writer gets up to the PONG sent after its
        command: the reply and its own notifications, in their order (not
        after MULTI, where the PING would be queued)."""
        c.send(fuzzlib.encode(["PING"]))
        frames = []
        while True:
            frame = c.read_reply(timeout=10.0, skip_push=False)
            if frame == b"PONG":
                return frames
            frames.append(normalize(frame))

    def special(self, words):
        what, n = words[0], int(words[1])
        if what == "sleep":
            time.sleep(n / 1000.0)
        elif what == "blocked":
            wait_until(lambda: blocked_clients(self.admin) == n, "%s: %d blocked" % (self.name, n))
        elif what == "dbsize":
            w = self.conn("w")
            wait_until(lambda: w.call("DBSIZE") == n, "%s: dbsize %d" % (self.name, n))
        else:
            raise ValueError("unknown step !%s" % what)
        return None


def blocked_clients(conn):
    info = conn.call("INFO", "clients").decode()
    for line in info.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return -1


def wait_until(cond, what, timeout=10.0):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.002)


def normalize(reply):
    if isinstance(reply, Push):
        return ["push"] + [normalize(r) for r in reply]
    if isinstance(reply, list):
        return [normalize(r) for r in reply]
    if isinstance(reply, Err):
        return "ERR:" + str(reply)
    return reply


# ---------------------------------------------------------------------------
# Comparing


def make_payloads(port):
    c = Conn(port)
    out = {}
    for name, cmd in PAYLOADS.items():
        c.call("DEL", "x")
        c.call(*cmd)
        out[name] = c.call("DUMP", "x")
    c.call("DEL", "x")
    c.close()
    return out


def compare(sides, cases, modes, payloads, verbose):
    commands = 0
    event_diffs = 0
    reply_diffs = 0
    messages_total = 0
    for mode in modes:
        for name, steps, *options in cases:
            results = []
            for side in sides:
                side.reset(mode)
                results.append(side.run(steps, payloads))
            (ours_replies, ours), (theirs_replies, theirs) = results
            commands += sum(1 for s in steps if not s.startswith(("!", "<")))
            messages_total += len(theirs)
            if options and "unordered" in options[0]:
                ours, theirs = sorted(ours), sorted(theirs)
            if ours != theirs:
                event_diffs += 1
                print("EVENTS DIFFER [%s] %s" % (mode, name))
                print("  steps: %s" % " | ".join(steps))
                show_sequences(ours, theirs)
            for step, a, b in zip(steps, ours_replies, theirs_replies):
                if a != b and not step.startswith("~"):
                    reply_diffs += 1
                    print("REPLY DIFFERS [%s] %s: %s\n  reddish: %r\n  redis:   %r" % (mode, name, step, a, b))
            if verbose and ours == theirs:
                print("same [%s] %s: %d messages" % (mode, name, len(theirs)))
    return commands, event_diffs, reply_diffs, messages_total


def show_sequences(ours, theirs):
    width = max(len(ours), len(theirs))
    for i in range(width):
        a = ours[i] if i < len(ours) else None
        b = theirs[i] if i < len(theirs) else None
        mark = "  " if a == b else "!="
        print("  %s %-55s %s" % (mark, fmt(a), fmt(b)))


def fmt(message):
    return "-" if message is None else "%s %s" % message


def start_servers(args, folder):
    servers = []
    for name, binary, port in (("reddish", args.server, args.reddish_port),
                               ("redis", args.redis, args.redis_port)):
        srv = Server(binary, port, os.path.join(folder, name), extra=["--enable-debug-command", "yes"])
        srv.start()
        servers.append(srv)
    return servers


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--server", default=fuzzlib.DEFAULT_SERVER, help="reddish binary (default %(default)s)")
    p.add_argument("--redis", default=fuzzlib.redis_binary(), help="redis-server binary (default from PATH)")
    p.add_argument("--reddish-port", type=int, default=8001)
    p.add_argument("--redis-port", type=int, default=8002)
    p.add_argument("--running", action="store_true", help="use servers already running on the two ports")
    p.add_argument("--modes", default="KEA,KEAnm", help="notify-keyspace-events settings (default %(default)s)")
    p.add_argument("--only", default=None, help="run the cases whose name contains this")
    p.add_argument("--resp3-self", action="store_true",
                   help="the writer speaks RESP3 and subscribes too: its replies are compared with its own "
                        "notifications in the order they come")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()

    cases = [c for c in ALL_CASES if args.only is None or args.only in c[0]]
    with tempfile.TemporaryDirectory(prefix="events-diff-") as folder:
        servers = [] if args.running else start_servers(args, folder)
        try:
            sides = [Side("reddish", args.reddish_port, args.resp3_self),
                     Side("redis", args.redis_port, args.resp3_self)]
            payloads = make_payloads(args.redis_port)
            commands, event_diffs, reply_diffs, messages = compare(
                sides, cases, args.modes.split(","), payloads, args.verbose)
        finally:
            for srv in servers:
                srv.stop()
    print("%d cases x %d modes, %d commands compared, %d messages from Redis: "
          "%d cases with different events, %d different replies"
          % (len(cases), len(args.modes.split(",")), commands, messages, event_diffs, reply_diffs))
    return 1 if event_diffs or reply_diffs else 0


if __name__ == "__main__":
    sys.exit(main())
