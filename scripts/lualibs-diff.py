#!/usr/bin/env python3
"""Differential check of reddish's Lua libraries against real Redis.

Generates Lua snippets exercising cjson, cmsgpack, struct and bit (fixed
edge cases plus seeded random ones), runs each through real redis-server's
EVAL and through reddish's implementation (examples/lualibs_eval.rs), and
compares the results byte for byte: returned values (serialised with their
types and exact bits) or error texts.

Each snippet is a Lua chunk loaded with loadstring(src, "@user_script")
and called under pcall, after the cjson settings are reset to their
defaults, so error positions read "user_script:N:" on both sides.

Usage: scripts/lualibs-diff.py [--port 8500] [--seed 1] [--random 1500]
                               [--redis-server redis-server] [--show 5]
Python 3 standard library only. Starts (and stops) its own redis-server.
"""

import argparse
import os
import random
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs a batch of cases; `CASES` is replaced by a Lua table of sources.
PRELUDE = r"""
local cases = CASES
local function ser(v, depth, seen)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t == "number" then return "n" .. string.format("%.17g", v) end
  if t == "boolean" or t == "nil" then return tostring(v) end
  if v == cjson.null then return "NULL" end
  if t ~= "table" then return "<" .. t .. ">" end
  if seen[v] then return "<cycle>" end
  if depth > 30 then return "<deep>" end
  seen[v] = true
  local items = {}
  for k, x in pairs(v) do
    items[#items + 1] = ser(k, depth + 1, seen) .. "=" .. ser(x, depth + 1, seen)
  end
  seen[v] = nil
  table.sort(items)
  return "{" .. table.concat(items, ",") .. "}"
end
local function pack(...) return {n = select("#", ...), ...} end
local out = {}
for i = 1, #cases do
  cjson.encode_sparse_array(false, 2, 10)
  cjson.encode_max_depth(1000)
  cjson.decode_max_depth(1000)
  cjson.encode_number_precision(14)
  cjson.encode_keep_buffer(true)
  cjson.encode_invalid_numbers(false)
  cjson.decode_invalid_numbers(true)
  local f, err = loadstring(cases[i], "@user_script")
  local s
  if not f then
    s = "COMPILE " .. tostring(err)
  else
    local r = pack(pcall(f))
    local parts = {}
    for j = 1, r.n do parts[j] = ser(r[j], 0, {}) end
    s = r.n .. ":" .. table.concat(parts, " ")
  end
  out[#out + 1] = #s .. ":" .. s
end
return table.concat(out)
"""


def lua_string(data):
    """A Lua string literal for arbitrary bytes."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    parts = []
    for b in data:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            parts.append(chr(b))
        else:
            parts.append("\\%03d" % b)
    return '"' + "".join(parts) + '"'


def lua_number(x):
    """A Lua expression for exactly this double."""
    if x != x:
        return 'tonumber"nan"'
    if x in (float("inf"), float("-inf")):
        return "(%s1/0)" % ("-" if x < 0 else "")
    return 'tonumber"%s"' % repr(x)


# ------------------------------------------------------------ fixed cases

def fixed_cases():
    c = []
    enc = lambda expr: c.append("return cjson.encode(%s)" % expr)
    dec = lambda text: c.append("return cjson.decode(%s)" % lua_string(text))

    # cjson.encode: scalars and numbers
    for expr in ["nil", "true", "false", "0", 'tonumber"-0"', "1", "-1", "0.1",
                 "1/3", "1e15", "1e14", "123456789012345", "12345678901234",
                 "2^53", "2^63", "2^64", "1e300", "5e-324", "1e-5", "0.0001",
                 "-1e-300", "1/0", "-1/0", "0/0", 'tonumber"nan"', "cjson.null",
                 "type", "coroutine.create(function() end)", "string.gmatch('', '')",
                 "''", "'/'", "'\"'", "'\\\\'", "string.char(127)",
                 "'caf\\195\\169'", "'\\255\\254'"]:
        enc(expr)
    c.append("local s = {} for i = 0, 255 do s[#s+1] = string.char(i) end "
             "return cjson.encode(table.concat(s))")
    # cjson.encode: tables
    for expr in ["{}", "{1,2,3}", "{1,nil,3}", "{[1]=1,[3]=3}", "{[1]=1,[100]=1}",
                 "{[1]=1,[11]=1}", "{[1]=1,[10]=1}", "{[0]=1}", "{[-1]=1}",
                 "{[1.5]=1}", "{[2^31]=1}", "{[2^32]=1}", "{[2^31-1]=1}",
                 "{[1/0]=1}", "{[-1/0]=1}", "{a=1}", "{[true]=1}", "{[{}]=1}",
                 "{[type]=1}", "{a={b={c={}}}}", "{{},{{}},{a={}}}",
                 "{f=type}", "{1,2,f=type}", "{cjson.null}", "{[1.0]='x', [2]='y'}",
                 "{[tonumber'-0']=1}", "{1/0}", "{[1]=1, n=2}", "{['1']=1}"]:
        enc(expr)
    c.append("local t = {} for i = 1, 1200 do t = {t} end return cjson.encode(t)")
    c.append("local t = {} for i = 1, 999 do t = {t} end return cjson.encode(t)")
    c.append("local t = {} for i = 1, 1000 do t = {t} end return cjson.encode(t)")
    c.append("local t = {} for i = 1, 999 do t = {a=t} end return cjson.encode(t)")
    c.append("local a = {} a[1] = a return cjson.encode(a)")
    c.append("local a = {} a.x = a return cjson.encode(a)")
    c.append("cjson.encode_max_depth(3) return pcall(cjson.encode, {{{}}}), pcall(cjson.encode, {{{{}}}})")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 9000 do t = {t} end "
             "return cjson.encode(t)")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 7996 do t = {t} end "
             "return #cjson.encode(t)")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 7997 do t = {t} end "
             "return #cjson.encode(t)")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 5000 do t = {a=t} end "
             "return cjson.encode(t)")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 3998 do t = {a=t} end "
             "return #cjson.encode(t)")
    c.append("cjson.encode_max_depth(100000) local t = {} for i = 1, 3999 do t = {a=t} end "
             "return #cjson.encode(t)")
    # sparse arrays
    for conf in ["true", "false, 0", "false, 1", "false, 3, 2", "true, 2, 0",
                 "false, 2, 200", "'on'", "'off'"]:
        for expr in ["{[1]=1,[100]=1}", "{[1]=1,[3]=3}", "{[5]=1}", "{[20]=1,[21]=2}"]:
            c.append("cjson.encode_sparse_array(%s) return cjson.encode(%s)" % (conf, expr))
    # configuration functions
    for call in ["encode_sparse_array()", "encode_sparse_array(true, 5, 7)",
                 "encode_sparse_array(1)", "encode_sparse_array('yes')",
                 "encode_sparse_array(nil, -1)", "encode_sparse_array(nil, nil, -1)",
                 "encode_sparse_array(true, 2^31)", "encode_sparse_array(true, 2^32+5)",
                 "encode_sparse_array(true, 'x')", "encode_sparse_array(true, '7', 1.9)",
                 "encode_sparse_array(1, 2, 3, 4)", "encode_sparse_array({})",
                 "encode_sparse_array('on\\0junk')", "encode_sparse_array('\\255')",
                 "encode_max_depth()", "encode_max_depth(0)", "encode_max_depth(5)",
                 "encode_max_depth(2^31)", "encode_max_depth(2^32+1)", "encode_max_depth(-1)",
                 "encode_max_depth(1, 2)", "encode_max_depth(true)", "encode_max_depth('12')",
                 "decode_max_depth()", "decode_max_depth(0)", "decode_max_depth(7)",
                 "encode_number_precision()", "encode_number_precision(0)",
                 "encode_number_precision(15)", "encode_number_precision(3)",
                 "encode_keep_buffer()", "encode_keep_buffer(false)",
                 "encode_keep_buffer('on')", "encode_keep_buffer('no')",
                 "encode_invalid_numbers()", "encode_invalid_numbers('null')",
                 "encode_invalid_numbers(true)", "encode_invalid_numbers('on')",
                 "encode_invalid_numbers('maybe')", "encode_invalid_numbers(0)",
                 "decode_invalid_numbers()", "decode_invalid_numbers(false)",
                 "decode_invalid_numbers('null')"]:
        c.append("return cjson.%s" % call)
    for prec in range(1, 15):
        c.append("cjson.encode_number_precision(%d) return cjson.encode({1/3, 2/3, 123456.789, "
                 "0.5, 2.5, 1e21, 1e-7, 99999.5, 0.000123456789})" % prec)
    for mode in ["true", "'null'", "false"]:
        for expr in ["1/0", "-1/0", "0/0", "-(0/0)", "{[1/0]=1}", "{1/0, 2}", "{a=0/0}"]:
            c.append("cjson.encode_invalid_numbers(%s) return cjson.encode(%s)" % (mode, expr))
    # argument errors and module table
    c += ["return cjson.encode()", "return cjson.encode(1, 2)", "return cjson.decode()",
          "return cjson.decode('1', 2)", "return cjson.decode({})", "return cjson.decode(nil)",
          "return cjson.decode(123)", "return cjson.decode(1.5)", "local e = cjson.encode return e()",
          "return cjson:encode()", "return cjson:decode()", "return cjson:encode_max_depth()",
          "return pcall(cjson.encode)", "local t = {f = cjson.decode} return t.f()",
          "return cjson._NAME, cjson._VERSION, type(cjson.null), cjson.null == nil",
          "local j = cjson.new() j.encode_max_depth(2) return pcall(j.encode, {{{}}}), "
          "cjson.encode({{{}}}), j._NAME, j.null == cjson.null, type(j.new)",
          "local j = cjson.new() return j.encode_sparse_array(), j.decode('[1]')",
          "cjson.encode_keep_buffer(false) return cjson.encode({1, 'a', {b = 2}})"]
    # cjson.decode
    for text in ["0.0", "-5e3", "1E400", "-1e400", "0x1F", "-0x10", "+1", "Infinity",
                 "-Infinity", "NaN", "nan", "-nan", "nan(123)", "nan(0x7)", "nan(", "inf",
                 "-inf", "infinit", "01", "-01", "1.", ".5", "-", "--1", "1e", "1e+", "0x",
                 "0x1p3", "0x.8", "0X1P-2", "1.5e-3", "1e-400", "123456789012345678901234567890",
                 "0.1", "3.14159", "true", "false", "null", "truex", "nul", "nil", "t", "f",
                 "n", "N", "I", "i", "Nope", "[1,2", "[1,]", "[,1]", "[1 2]", "{}", "[]",
                 '{"a":1,}', '{"a" 1}', '{1:2}', '{"a":}', '{"a":1 "b":2}', '{"a":1,"a":2}',
                 '{"a":null}', '[null, null]', '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"',
                 '"\\ude00"', '"\\ud83dx"', '"\\ud83d\\u0041"', '"\\u12"', '"\\u12g4"',
                 '"\\x"', '"abc', '"a\\', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\u0000"',
                 '"\\uD834\\uDD1E"', '"\\u0041\\u00"', "[", "]", "", " ", "\0", "a\0",
                 "[1]\0xyz", "\0[1]", "1\0", " \t\r\n[ 1 , 2 ]\n", '{"a": [1, {"b": {}}]}',
                 '{"":""}', '"\\/"', "[1,2,3", "[\"a\"", "{\"a\"", "{\"a\":", "{", "{,}",
                 "@", "[1]]", "1 2", "\"\x01\x02\xff\"", "tru", "fals", "[true,false]",
                 "-infinity", "+inf", "+nan", "+-1", "- 1", "1e5x", "[0x10,+5]", "[1e99999]",
                 '{"k":[1e2,2E-2,-0,0]}', "-0", "0e10", "[-0.0]"]:
        dec(text)
    for text in ["0x1F", "+1", "Infinity", "NaN", "01", "-01", "-inf", "0", "-0", "1e5",
                 "0.5", "00", "-", "nan", "[1, 0x10]"]:
        c.append("cjson.decode_invalid_numbers(false) return cjson.decode(%s)" % lua_string(text))
    c.append("return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))")
    c.append("return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))")
    c.append("return cjson.decode(string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001))")
    c.append("cjson.decode_max_depth(2) return pcall(cjson.decode, '[[1]]'), pcall(cjson.decode, '[[[1]]]')")
    c.append("cjson.decode_max_depth(2) return cjson.decode('{\"a\":{\"b\":{}}}')")
    c.append("cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 9000))")
    c.append("cjson.decode_max_depth(100000) local t = cjson.decode(string.rep('[', 7998) .. "
             "string.rep(']', 7998)) local d = 0 while t[1] do t = t[1] d = d + 1 end return d")
    c.append("cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 7999))")
    c.append("cjson.decode_max_depth(100000) return cjson.decode(string.rep('{\"a\":', 5000))")
    c.append("cjson.decode_max_depth(100000) return cjson.decode(string.rep('{\"a\":[', 3000))")
    c.append("return cjson.decode(cjson.encode({a={1,2,{b='c'}},d=cjson.null}))")
    c.append("local t = cjson.decode('[1,2,3]') return #t, t[1], t[3]")

    # cmsgpack.pack
    hexfn = ("local function hex(s) return (s:gsub('.', function(c) "
             "return string.format('%02x', c:byte()) end)) end ")
    for expr in ["nil", "true", "false", "0", "1", "127", "128", "255", "256", "65535",
                 "65536", "2^32-1", "2^32", "2^53", "2^63", "2^64", "-1", "-32", "-33",
                 "-128", "-129", "-32768", "-32769", "-2^31", "-2^31-1", "-2^63", "-2^63-2^11",
                 "0.1", "0.5", "1.5", "1e300", "1/0", "-1/0", "0/0", 'tonumber"-0"',
                 "3.4028234663852886e38", "3.4028235677973366e38", "1e-45", "2^-149",
                 "''", "'abc'", "string.rep('x', 31)", "string.rep('x', 32)",
                 "string.rep('x', 255)", "string.rep('x', 256)", "{}", "{1,2,3}",
                 "{[1]=1,[3]=3}", "{a=1}", "{[1.5]=1}", "{[2^31]=1}", "{[0]=1}", "{[-1]=1}",
                 "{1,2,a=3}", "cjson.null", "type", "{type}", "{[true]=false}",
                 "{{},{{}}}", "{[{}]={}}", "string.rep('x', 65535)", "{1,nil,3}"]:
        c.append(hexfn + "return hex(cmsgpack.pack(%s))" % expr)
    c.append(hexfn + "return #cmsgpack.pack(string.rep('x', 65536)), "
             "hex(cmsgpack.pack(string.rep('x', 65536)):sub(1, 6))")
    c.append(hexfn + "local t = {} for i = 1, 20 do t[i] = i end return hex(cmsgpack.pack(t))")
    c.append(hexfn + "local t = {} for i = 1, 70000 do t[i] = i end local p = cmsgpack.pack(t) "
             "return #p, hex(p:sub(1, 8))")
    c.append(hexfn + "local t = {} for i = 1, 20 do t['k' .. i] = i end return #cmsgpack.pack(t)")
    c.append(hexfn + "local t = {} for i = 1, 20 do t = {t} end return hex(cmsgpack.pack(t))")
    c.append(hexfn + "local a = {x=nil, y=5} local b = {x=a} a.x = b return hex(cmsgpack.pack(a))")
    c.append(hexfn + "return hex(cmsgpack.pack(1, 'a', {2}, nil, true))")
    c += ["return cmsgpack.pack()", "return pcall(cmsgpack.pack)",
          "local t = {} for i = 1, 4000 do t[i] = i end return #cmsgpack.pack(unpack(t))",
          "local t = {} for i = 1, 4001 do t[i] = i end return cmsgpack.pack(unpack(t))",
          "local t = {} for i = 1, 3999 do t[i] = i end t[4000] = {1} return cmsgpack.pack(unpack(t))",
          "local t = {} for i = 1, 3998 do t[i] = i end t[3999] = {1} return #cmsgpack.pack(unpack(t))",
          "local t = {} for i = 1, 3997 do t[i] = i end t[3998] = {a={1}} return cmsgpack.pack(unpack(t))",
          "local t = {} for i = 1, 3997 do t[i] = i end t[3998] = {{1}} return cmsgpack.pack(unpack(t))",
          "return cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION",
          "return cmsgpack:pack()"]
    # cmsgpack.unpack
    for data in [b"", b"\xc1", b"\xc4\x01a", b"\x91", b"\x92\x01", b"\x81\xc0\x01",
                 b"\x81\x01\xc0", b"\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01",
                 b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", b"\xcf\x80\x00\x00\x00\x00\x00\x00\x00",
                 b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", b"\xd3\x7f\xff\xff\xff\xff\xff\xff\xff",
                 b"\xdb\x00\x00\x00\x05abc", b"\xdb\x00\x00\x00\x03abc", b"\xd9\x03ab",
                 b"\xda\x00\x02ab", b"\xa3abc\xa1d", b"\x93\x01\x02\x03", b"\x83\x01\x02\x03\x04\x05\x06",
                 b"\xdc\x00\x02\x01\x02", b"\xdd\x00\x00\x00\x01\xc3", b"\xde\x00\x01\xa1a\x01",
                 b"\xdf\x00\x00\x00\x01\xa1a\xc2", b"\xca\x3f\x80\x00\x00", b"\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00",
                 b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x01", b"\xca\xff\xc0\x00\x01",
                 b"\xcc\xff\xcd\xff\xff\xce\xff\xff\xff\xff", b"\xd0\x80\xd1\x80\x00\xd2\x80\x00\x00\x00",
                 b"\xe0\xff\x7f\x00", b"\x90\x80", b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff\x01",
                 b"\x92\x90\x91\x80", b"\x81\x91\x01\x02", b"\x81\x81\x01\x02\x03",
                 b"\x93\xc0\x01\xc0", b"\xcc", b"\xcd\x01", b"\xc7\x01\x01a", b"\xd4\x01\x01"]:
        c.append("return cmsgpack.unpack(%s)" % lua_string(data))
    c += ["return cmsgpack.unpack()", "return cmsgpack.unpack(12)", "return cmsgpack.unpack({})",
          "return cmsgpack.unpack_one('\\001\\002')", "return cmsgpack.unpack_one('\\001\\002', 1)",
          "return cmsgpack.unpack_one('\\001\\002', 2)", "return cmsgpack.unpack_one('\\001\\002', 3)",
          "return cmsgpack.unpack_one('\\001\\002', -1)", "return cmsgpack.unpack_one('\\001\\002', 'x')",
          "return cmsgpack.unpack_one('\\001\\002', 1.7)", "return cmsgpack.unpack_one('')",
          "return cmsgpack.unpack_one(nil, 'x')", "return cmsgpack.unpack_one()",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 2)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 2, 1)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 0)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 0, 1)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', -1)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 5, -3)",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 5, 9)",
          "return cmsgpack.unpack_limit('\\001\\002\\003')",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 'a')",
          "return cmsgpack.unpack_limit('\\001\\002\\003', 2^40)",
          "return cmsgpack.unpack('\\001\\002', 'extra', 'args')",
          "return select('#', cmsgpack.unpack(string.rep('\\000', 7950)))",
          "return select('#', cmsgpack.unpack(string.rep('\\000', 8000)))",
          "return select('#', cmsgpack.unpack(string.rep('\\000', 7950), 1))",
          "return select('#', cmsgpack.unpack_limit(string.rep('\\000', 7999), 9000))",
          "return select('#', cmsgpack.unpack_limit(string.rep('\\000', 7950), 9000))",
          "return cmsgpack.unpack(string.rep('\\145', 5000))",
          "return cmsgpack.unpack(string.rep('\\145', 3998))",
          "return cmsgpack.unpack(string.rep('\\145', 3999))",
          "return cmsgpack.unpack(string.rep('\\129', 9000))",
          "return cmsgpack.unpack(string.rep('\\129\\160', 5000))",
          "local t = cmsgpack.unpack(string.rep('\\145', 3997) .. '\\001') local d = 0 "
          "while type(t) == 'table' do t = t[1] d = d + 1 end return d, t",
          "local t = {} for i = 1, 100000 do t[i] = i end local u = cmsgpack.unpack(cmsgpack.pack(t)) "
          "return #u, u[1], u[100000]",
          "local m = {} for i = 1, 1000 do m[tostring(i)] = i end "
          "local u = cmsgpack.unpack(cmsgpack.pack(m)) return u['1'], u['1000']",
          "local s = cmsgpack.pack('a', 'bb', 'ccc') local o, v = cmsgpack.unpack_one(s) "
          "local o2, v2 = cmsgpack.unpack_one(s, o) return o, v, o2, v2",
          "return cmsgpack.unpack(cmsgpack.pack(0.1, -0.5, 2^40, -2^40, 1e300, 'x', {1,{2}}))"]

    # struct
    for fmt in ["", "b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "i3", "i8", "i16", "i32",
                "i33", "f", "d", "x", "c", "c5", "c0", "s", "bhi", "!bhi", "!4bhi", "!2bd",
                "!8 b d", "!16bd", "!3", "!0", "!", "<>!", "z", "#", "b#", "i99999999999",
                "c2147483647c", "c2147483648", "  ", "b\0h", "\0", "\255", "!1024 b i8",
                "bx", "xd", "!xd", "!4 c3 i", "Z", "9", ">i2<i2"]:
        c.append("return struct.size(%s)" % lua_string(fmt))
    for call in ["'b', 1", "'b', -1", "'b', 255", "'b', 256", "'B', -1", "'h', 70000",
                 "'<i', 1", "'>i', 1", "'<I', -1", "'i3', 0x123456", "'>i3', -2",
                 "'l', 2^63", "'L', 2^64", "'L', 2^63+4096", "'L', 0/0", "'l', 0/0",
                 "'l', 1/0", "'l', -1/0", "'L', -1e30", "'i16', -1", "'>i16', -1",
                 "'I9', 2^64-2^11", "'i0', 5", "'i0'", "'f', 0.1", "'>f', 0.1", "'d', 0.1",
                 "'>d', -0.5", "'f', 1e300", "'d', 0/0", "'c3', 'abcdef'", "'c3', 'ab'",
                 "'c0', 'abcdef'", "'s', 'abc'", "'s', 'a\\0b'", "'c', 12", "'s', 1.5",
                 "'x'", "'!4 b i', 1, 2", "'!2 b h b d', 1, 2, 3, 4", "'!8 b d', 1, 2",
                 "'b'", "'bb', 1", "'b', 'x'", "'b', '12'", "'b', ' 0x10 '", "'c', nil",
                 "'s'", "'c2'", "'b', {}", "'z', 1", "'#'", "'!3'", "'i33', 1",
                 "'b', true", "'i', 2^31", "'i', -2^31-1", "'<h >h', 1, 1", "'T', 1",
                 "5", "nil", "{}", "'b\\0b', 1, 2", "'c0 b', 'xyz'", "'c0c0', 'a'",
                 "'c0i', string.rep('x', 9000)", "'c0ii', string.rep('x', 9000)",
                 "'c0dd', string.rep('1', 9000)", "'c0 s s', string.rep('x', 8192)",
                 "'c0ccc', string.rep('y', 9000), 'a', 'b'",
                 "'c0 c0 c0 c0 i i i i', string.rep('a', 8192), string.rep('b', 8192), "
                 "string.rep('c', 8192), string.rep('d', 8192)"]:
        c.append("local r = struct.pack(%s) return #r, r" % call)
    for call in ["'b', '\\255'", "'B', '\\255'", "'h', '\\255\\127'", "'>h', '\\255\\127'",
                 "'i', '\\001\\000\\000\\128'", "'I', '\\001\\000\\000\\128'",
                 "'l', '\\255\\255\\255\\255\\255\\255\\255\\255'",
                 "'L', '\\255\\255\\255\\255\\255\\255\\255\\255'",
                 "'i9', string.rep('\\255', 9)", "'i9', string.rep('\\000', 8) .. '\\001'",
                 "'>i9', '\\001' .. string.rep('\\000', 8)", "'i16', string.rep('\\255', 16)",
                 "'I16', string.rep('\\255', 16)", "'i0', ''", "'i3', '\\255\\255\\255'",
                 "'f', '\\000\\000\\128\\063'", "'d', string.rep('\\000', 8)",
                 "'c3', 'abcdef'", "'c3', 'ab'", "'s', 'ab\\0cd'", "'s', 'abc'",
                 "'bc0', '\\003abcdef'", "'c0', 'abc'", "'Bc0', '\\255abc'",
                 "'c1c0', '3abcd'", "'c1c0', 'xabcd'", "'dc0', struct.pack('d', 2.7) .. 'abc'",
                 "'dc0', struct.pack('d', -1) .. 'abc'", "'dc0', struct.pack('d', 0/0) .. 'abc'",
                 "'b', 'ab', 2", "'b', 'ab', 3", "'b', 'ab', 0", "'b', 'ab', -1",
                 "'b', 'ab', 1.9", "'b', 'ab', 'x'", "'b', 'ab', nil", "'', 'ab'", "'', 'ab', 3",
                 "'', 'ab', 4", "'>', 'ab', 4", "'!4 b i', '\\001\\000\\000\\000\\002\\000\\000\\000'",
                 "'!4 b i', '\\001\\000\\000'", "'x b', 'ab'", "'x', ''", "'z', 'a'", "'bb', 12",
                 "'b'", "nil, 'a'", "'b', {}", "'!8 b d', string.rep('\\000', 16)",
                 "'<i2 >i2', '\\001\\000\\000\\001'", "'T', string.rep('\\001', 8)",
                 "'b', 'a', 1, 'extra'", "'c0', 'abc', 1, 2", "'s', ''"]:
        c.append("return struct.unpack(%s)" % call)
    c += ["return select('#', struct.unpack(string.rep('b', 7950), string.rep('\\000', 7950)))",
          "return select('#', struct.unpack(string.rep('b', 7998), string.rep('\\000', 7998)))",
          "return select('#', struct.unpack(string.rep('b', 7950), string.rep('\\000', 7950), 1))",
          "return select('#', struct.unpack(string.rep('b', 7997), string.rep('\\000', 7997), 1))",
          "return select('#', struct.unpack(string.rep(' ', 8000) .. 'b', '\\000'))",
          "return struct.unpack(string.rep('bc0', 10), string.rep('\\001x', 10))",
          "return struct:pack()", "local p = struct.pack return p(1)",
          "return type(struct.pack), type(struct.unpack), type(struct.size)",
          "local r = {} for _, name in ipairs({'cjson', 'cmsgpack', 'struct', 'bit'}) do "
          "for k in pairs(_G[name]) do r[#r + 1] = k end end return table.concat(r, ',')"]

    # bit
    nums = ["0", "1", "-1", "2^31", "2^32", "2^32+5.5", "2.5", "3.5", "-2.5", "0/0", "1/0",
            "-1/0", "2^52", "2^53", "1e300", "0x7fffffff", "0xffffffff", "'0x10'", "' 12 '",
            "'abc'", "'1e3'", "0.49999999999999994", "-0.5", "4294967295.5", "1e-300"]
    for n in nums:
        c.append("return bit.tobit(%s), bit.bnot(%s), bit.bswap(%s)" % (n, n, n))
        c.append("return bit.tohex(%s), bit.tohex(%s, -4), bit.tohex(%s, 3)" % (n, n, n))
    for op in ["band", "bor", "bxor"]:
        c.append("return bit.%s(0xf0f0, 0xff00, 0x0ff0, 7)" % op)
        c.append("return bit.%s(1)" % op)
        c.append("return bit.%s()" % op)
        c.append("return bit.%s(1, 'x', nil)" % op)
        c.append("return bit.%s(1, 2, {})" % op)
        c.append("return bit.%s(-1, 2^32+3, '5')" % op)
    for op in ["lshift", "rshift", "arshift", "rol", "ror"]:
        for a, b in [("1", "0"), ("1", "31"), ("1", "32"), ("1", "33"), ("0x80000000", "1"),
                     ("-1", "4"), ("0x12345678", "-4"), ("0x12345678", "36"), ("1", "'x'"),
                     ("'x'", "1"), ("1", "nil"), ("1", ""), ("7", "2^32+1"), ("-256", "4")]:
            args = a if b == "" else "%s, %s" % (a, b)
            c.append("return bit.%s(%s)" % (op, args))
    for call in ["tohex(0xabcdef12, 0x80000000)", "tohex(0xabcdef12, -0x7fffffff)",
                 "tohex(0xabcdef12, 0)", "tohex(0xabcdef12, -9)", "tohex(0xabcdef12, 9)",
                 "tohex(1, nil)", "tohex()", "tohex(1, 2, 3)", "tohex(1, 'x')",
                 "tobit()", "tobit(nil)", "tobit(true)", "tobit({})", "tobit(type)",
                 "bnot()", "bswap('a')"]:
        c.append("return bit.%s" % call)
    c += ["local f = bit.tobit return f('x')", "return bit:tobit()", "return pcall(bit.band, 'x')",
          "local n = 0 for k in pairs(bit) do n = n + 1 end return n",
          "return bit.tobit(struct.unpack('d', '\\001\\000\\000\\000\\000\\000\\248\\127'))",
          "return bit.tobit(struct.unpack('d', '\\005\\000\\000\\000\\000\\000\\248\\255'))"]
    return c


# ----------------------------------------------------------- random cases

def random_double(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return float(rng.randint(-300, 300))
    if kind == 1:
        return rng.randint(-2**40, 2**40) / 2 ** rng.randint(0, 20)
    if kind == 2:
        while True:
            x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if x == x:
                return x
    if kind == 3:
        return rng.choice([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 2.0**63,
                           -2.0**63, 2.0**31, 2.0**32, 0.5, 1.5, 2.5, 1e15, 1e14, 5e-324])
    if kind == 4:
        return float(rng.randint(-2**64, 2**64))
    if kind == 5:
        return rng.uniform(-1e6, 1e6)
    if kind == 6:
        return float(rng.choice([127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, -32, -33,
                                 -128, -129, -32768, -32769, -2**31, -2**31 - 1]))
    return 10.0 ** rng.randint(-320, 308) * rng.choice([1, -1, 1.5, 7.25])


def random_bytes(rng, max_len=12):
    n = rng.randrange(max_len)
    pool = rng.choice([b"abc", b"/\"\\\n\t\x00\x7f\x1f", bytes(range(256)), b"\xc3\xa9\xe2\x82\xac"])
    return bytes(rng.choice(pool) for _ in range(n))


def random_key(rng):
    kind = rng.randrange(5)
    if kind == 0:
        return lua_string(random_bytes(rng, 10))
    if kind == 1:
        return str(rng.randint(1, 12))
    if kind == 2:
        return lua_number(random_double(rng))
    if kind == 3:
        return rng.choice(["true", "false"])
    return lua_string(bytes(rng.choice(b"abcdefgh") for _ in range(rng.randint(1, 6))))


def random_value(rng, depth=0, encodable_keys=False):
    kind = rng.randrange(10 if depth < 4 else 6)
    if kind == 0:
        return lua_number(random_double(rng))
    if kind == 1:
        return lua_string(random_bytes(rng))
    if kind == 2:
        return rng.choice(["true", "false", "nil", "cjson.null"])
    if kind == 3:
        return str(rng.randint(-1000, 1000))
    if kind == 4:
        return rng.choice(["type", "{}", "coroutine.create(type)"]) if rng.random() < 0.05 else "0"
    if kind == 5:
        return lua_string(bytes(rng.choice(b"xyz") for _ in range(rng.randint(0, 40))))
    if kind in (6, 7):
        items = [random_value(rng, depth + 1, encodable_keys) for _ in range(rng.randrange(6))]
        return "{" + ",".join(items) + "}"
    entries = []
    for _ in range(rng.randrange(6)):
        key = random_key(rng)
        if encodable_keys and key in ("true", "false"):
            key = lua_string(b"k")
        entries.append("[%s]=%s" % (key, random_value(rng, depth + 1, encodable_keys)))
    return "{" + ",".join(entries) + "}"


def random_json(rng, depth=0):
    kind = rng.randrange(9 if depth < 5 else 5)
    if kind == 0:
        return repr(random_double(rng)).replace("nan", "NaN").replace("inf", "Infinity")
    if kind == 1:
        return str(rng.randint(-10**6, 10**6))
    if kind == 2:
        parts = []
        for _ in range(rng.randrange(8)):
            r = rng.random()
            if r < 0.15:
                parts.append("\\u%04x" % rng.choice([0, 0x41, 0xe9, 0x20ac, 0xd83d, 0xde00, 0xffff]))
            elif r < 0.3:
                parts.append("\\" + rng.choice('"\\/bfnrtx'))
            else:
                parts.append(rng.choice(["a", "b", "\u00e9", " ", "\x01"]))
        return '"' + "".join(parts) + '"'
    if kind == 3:
        return rng.choice(["true", "false", "null"])
    if kind == 4:
        return rng.choice(["0", "-0", "1e5", "1E-5", "0.5", "-0.0", "12.5e+3"])
    if kind in (5, 6):
        return "[" + ", ".join(random_json(rng, depth + 1) for _ in range(rng.randrange(5))) + "]"
    entries = ['"%s": %s' % (rng.choice(["a", "b", "key", ""]), random_json(rng, depth + 1))
               for _ in range(rng.randrange(5))]
    return "{" + ", ".join(entries) + "}"


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(3)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[min(pos, len(data) - 1)]
        elif op == 1:
            data.insert(pos, rng.choice(b'{}[],:"\\ 0-1eE.xtfn\x00\xff'))
        elif data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
    return bytes(data)


def random_cases(rng, count):
    cases = []
    hexfn = ("local function hex(s) return (s:gsub('.', function(c) "
             "return string.format('%02x', c:byte()) end)) end ")
    struct_opts = ["b", "B", "h", "H", "l", "L", "T", "i", "I", "i2", "I3", "i5", "I7", "i12",
                   "f", "d", "x", "c2", "s", "<", ">", "!", "!2", "!4", " "]
    gens = []

    def cjson_encode():
        conf = rng.choice(["", "cjson.encode_sparse_array(true) ",
                           "cjson.encode_invalid_numbers(true) ",
                           "cjson.encode_invalid_numbers('null') ",
                           "cjson.encode_number_precision(%d) " % rng.randint(1, 14)])
        return conf + "return cjson.encode(%s)" % random_value(rng, encodable_keys=rng.random() < 0.8)

    def cjson_decode():
        text = random_json(rng).encode("utf-8")
        if rng.random() < 0.5:
            text = mutate(rng, text)
        conf = "cjson.decode_invalid_numbers(false) " if rng.random() < 0.2 else ""
        return conf + "return cjson.decode(%s)" % lua_string(text)

    def cjson_roundtrip():
        return "return cjson.decode(cjson.encode(%s))" % random_value(rng, encodable_keys=True)

    def msgpack_pack():
        args = ", ".join(random_value(rng) for _ in range(rng.randint(1, 3)))
        return hexfn + "return hex(cmsgpack.pack(%s))" % args

    def msgpack_roundtrip():
        args = ", ".join(random_value(rng) for _ in range(rng.randint(1, 3)))
        return "return cmsgpack.unpack(cmsgpack.pack(%s))" % args

    def msgpack_unpack():
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
        fn = rng.choice(["cmsgpack.unpack(%s)", "cmsgpack.unpack_one(%s, %d)",
                         "cmsgpack.unpack_limit(%s, %d, %d)"])
        if fn.count("%") == 1:
            return "return " + fn % lua_string(data)
        if fn.count("%") == 2:
            return "return " + fn % (lua_string(data), rng.randint(-1, 6))
        return "return " + fn % (lua_string(data), rng.randint(-1, 4), rng.randint(-1, 6))

    def struct_roundtrip():
        fmt = "".join(rng.choice(struct_opts) for _ in range(rng.randint(1, 5)))
        args = []
        for ch in fmt:
            if ch in "bBhHlLTiIfd":
                args.append(lua_number(random_double(rng)) if rng.random() < 0.6
                            else str(rng.randint(-300, 300)))
            elif ch in "cs":
                args.append(lua_string(random_bytes(rng, 5)))
        call = ", ".join([lua_string(fmt)] + args)
        return ("local p = struct.pack(%s) return #p, p, struct.size(%s), struct.unpack(%s, p)"
                % (call, lua_string(fmt), lua_string(fmt)))

    def struct_unpack():
        fmt = "".join(rng.choice(struct_opts + ["c0", "z"]) for _ in range(rng.randint(1, 5)))
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(24)))
        return "return struct.unpack(%s, %s, %d)" % (lua_string(fmt), lua_string(data), rng.randint(1, 4))

    def bit_ops():
        op = rng.choice(["tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift",
                         "arshift", "rol", "ror", "bswap", "tohex"])
        args = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            args.append(lua_number(random_double(rng)) if r < 0.7 else
                        str(rng.randint(-2**33, 2**33)) if r < 0.9 else
                        rng.choice(["'7'", "nil", "'x'", "true"]))
        return "return bit.%s(%s)" % (op, ", ".join(args))

    def number_text():
        r = rng.random()
        sign = rng.choice(["", "-", "+"]) if rng.random() < 0.3 else ""
        if r < 0.3:
            digits = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(0, 20)))
            frac = "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(0, 20)))
            text = "0" + rng.choice("xX") + digits + ("." + frac if rng.random() < 0.6 else "")
            if rng.random() < 0.7:
                text += rng.choice("pP") + rng.choice(["", "-", "+"]) + str(rng.randint(0, 1100))
        elif r < 0.6:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 40)))
            frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 40)))
            text = digits + ("." + frac if rng.random() < 0.6 else "")
            if rng.random() < 0.6:
                text += rng.choice("eE") + rng.choice(["", "-", "+"]) + str(rng.randint(0, 400))
        elif r < 0.75:
            text = rng.choice(["nan", "NaN", "nAn", "inf", "INF", "infinity", "Infinity", "infin"])
            if text.lower() == "nan" and rng.random() < 0.7:
                inner = rng.choice(["", "0", "1", "0x7", "0x8000000000000", "0x7ffffffffffff",
                                    "123456789", "abc_", "0x", "08", "077", "99999999999999999999999"])
                text += "(" + inner + (")" if rng.random() < 0.8 else "")
        else:
            x = random_double(rng)
            text = rng.choice(["%.17g", "%.3e", "%a", "%.20f"]) % x if x == x and abs(x) != float("inf") else "0"
            if text.startswith("-"):
                sign, text = "-", text[1:]
        return sign + text + rng.choice(["", "", "x", " ", "e", ".", "p1"])

    def strtod_bits():
        conf = "cjson.decode_invalid_numbers(false) " if rng.random() < 0.15 else ""
        return (conf + hexfn + "local v = cjson.decode(%s) return type(v), hex(struct.pack('<d', v))"
                % lua_string(number_text().encode()))

    def number_formats():
        nums = ", ".join(lua_number(random_double(rng)) for _ in range(rng.randint(1, 6)))
        prec = rng.randint(1, 14)
        return ("cjson.encode_invalid_numbers(true) cjson.encode_number_precision(%d) "
                "return cjson.encode({%s})" % (prec, nums))

    def msgpack_numbers():
        nums = ", ".join(lua_number(random_double(rng)) for _ in range(rng.randint(1, 6)))
        return hexfn + "return hex(cmsgpack.pack(%s))" % nums

    gens = [cjson_encode, cjson_decode, cjson_roundtrip, msgpack_pack, msgpack_roundtrip,
            msgpack_unpack, struct_roundtrip, struct_unpack, bit_ops, strtod_bits,
            strtod_bits, number_formats, msgpack_numbers]
    for i in range(count):
        cases.append(gens[i % len(gens)]())
    return cases


# ---------------------------------------------------------------- running

def resp_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_reply(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        return b"ERROR " + rest
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise RuntimeError("unexpected reply %r" % line)


def split_records(blob, separator):
    """`<len><separator><bytes>` records."""
    out = []
    pos = 0
    while pos < len(blob):
        end = blob.index(separator, pos)
        n = int(blob[pos:end])
        out.append(blob[end + 1:end + 1 + n])
        pos = end + 1 + n
    return out


def batch_script(cases):
    table = "{" + ",\n".join(lua_string(c.encode("latin-1")) for c in cases) + "}"
    return PRELUDE.replace("CASES", table, 1)


def start_redis(binary, port):
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--bind", "127.0.0.1", "--lua-time-limit", "60000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            sock.sendall(resp_command("PING"))
            if sock.makefile("rb").readline().startswith(b"+PONG"):
                return proc, sock
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start on port %d" % port)


def run_redis(sock, scripts):
    f = sock.makefile("rb")
    results = []
    for script in scripts:
        sock.sendall(resp_command("EVAL", script.encode("latin-1"), "0"))
        reply = read_reply(f)
        if reply.startswith(b"ERROR "):
            raise RuntimeError("batch failed in Redis: %r" % reply[:300])
        results.append(reply)
    return results


def run_reddish(scripts):
    subprocess.run(["cargo", "build", "--quiet", "--example", "lualibs_eval"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "debug", "examples", "lualibs_eval")
    payload = b"".join(b"%d\n%s" % (len(s.encode("latin-1")), s.encode("latin-1")) for s in scripts)
    proc = subprocess.run([binary], input=payload, stdout=subprocess.PIPE, check=True)
    return split_records(proc.stdout, b"\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--random", type=int, default=1500, help="number of random cases")
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--show", type=int, default=10, help="differences to print")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    cases = fixed_cases() + random_cases(rng, args.random)
    batches = [cases[i:i + args.batch] for i in range(0, len(cases), args.batch)]
    scripts = [batch_script(b) for b in batches]

    proc, sock = start_redis(args.redis_server, args.port)
    try:
        redis_blobs = run_redis(sock, scripts)
    finally:
        sock.close()
        proc.terminate()
        proc.wait()
    ours_blobs = run_reddish(scripts)

    differences = 0
    compared = 0
    for batch, theirs, ours in zip(batches, redis_blobs, ours_blobs):
        if ours.startswith(b"ERROR ") or ours.startswith(b"NONSTRING"):
            print("batch failed in reddish: %r" % ours[:500])
            differences += len(batch)
            continue
        theirs_list, ours_list = split_records(theirs, b":"), split_records(ours, b":")
        for case, a, b in zip(batch, theirs_list, ours_list):
            compared += 1
            if a != b:
                differences += 1
                if differences <= args.show:
                    print("DIFF in case: %s" % case[:300])
                    print("  redis:   %r" % a[:400])
                    print("  reddish: %r" % b[:400])
    print("%d cases compared, %d differences" % (compared, differences))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
