-- The environment scripts run in, built once per Lua VM (see sandbox.rs).
--
-- Redis 7.0 makes the global table and every table reachable from it
-- read-only with a flag its patched Lua checks on every write. Stock Lua
-- 5.1 has no such flag, so here each protected table is shown through an
-- empty proxy whose metatable reads from the real table and refuses
-- writes; the functions that could reach past a proxy (rawset, rawget,
-- next, pairs, setmetatable, getmetatable, loadstring, load,
-- table.insert, table.remove, table.sort) see through it or refuse as
-- Redis does. Scripts only ever hold proxies: the real tables stay local
-- to this chunk.
--
-- This chunk's functions stand in for Redis's C functions: their errors
-- carry the position of the script line that called them (error level 2,
-- or 3 from a helper), and the error handler skips their frames.
--
-- Argument: the primitives from Rust, with the redis table holding the
-- Rust functions of the API (api.rs). Returns the runners, the environment
-- scripts get, and the table KEYS and ARGV go in.

local prims = ...

local error, type, select, tostring, tonumber = error, type, select, tostring, tonumber
local rawget, rawset, next, pcall, xpcall = rawget, rawset, next, pcall, xpcall
local setmetatable, getmetatable, loadstring, setfenv = setmetatable, getmetatable, loadstring, setfenv
local concat, insert, remove, sort = table.concat, table.insert, table.remove, table.sort
local floor, ceil = math.floor, math.ceil
local byte = string.byte

local errtext, caught, handler = prims.errtext, prims.caught, prims.handler

local READONLY = "Attempt to modify a readonly table"


---------------------------------------------------------------------------
-- Errors as Redis's C functions raise them.

-- luaL_typename: the type of an argument, "no value" when absent.
local function typename(present, v)
  if not present then return "no value" end
  return type(v)
end

-- luaL_argerror, from a function its caller called directly (`level`: 3
-- from the function itself, 4 from a helper of it).
local function arg_error(level, n, fname, msg)
  error("bad argument #" .. n .. " to '" .. fname .. "' (" .. msg .. ")", level)
end

local function check_table(n, fname, present, v)
  if type(v) ~= "table" then
    arg_error(4, n, fname, "table expected, got " .. typename(present, v))
  end
end

-- (int) of a C double, as luaL_checkint and friends convert.
local function c_int(x)
  if x ~= x or x >= 9223372036854775808 or x < -9223372036854775808 then return 0 end
  if x >= 0 then x = floor(x) else x = ceil(x) end
  x = x % 4294967296
  if x >= 2147483648 then x = x - 4294967296 end
  return x
end

-- luaL_checkint from a helper of the checked function.
local function check_int(n, fname, present, v)
  local x = present and tonumber(v)
  if not x then arg_error(4, n, fname, "number expected, got " .. typename(present, v)) end
  return c_int(x)
end

---------------------------------------------------------------------------
-- Read-only proxies.

local real_of = {}   -- proxy -> the table it shows
local mt_view = {}   -- metatable -> what getmetatable shows (false: nothing)

local function deny_write()
  error(READONLY, 2)
end

local seen = {}

-- A read-only proxy of `t`; tables `t` holds are replaced by theirs.
local function protect(t)
  if real_of[t] then return t end
  local done = seen[t]
  if done then return done end
  local proxy = {}
  seen[t] = proxy
  for k, v in next, t do
    if type(v) == "table" then rawset(t, k, protect(v)) end
  end
  local mt = {__index = t, __newindex = deny_write}
  real_of[proxy] = t
  mt_view[mt] = false
  setmetatable(proxy, mt)
  return proxy
end

---------------------------------------------------------------------------
-- The base functions scripts get in place of Lua's.

local function sandbox_rawset(...)
  local n = select("#", ...)
  local t, k, v = ...
  check_table(1, "rawset", n >= 1, t)
  if n < 2 then arg_error(3, 2, "rawset", "value expected") end
  if n < 3 then arg_error(3, 3, "rawset", "value expected") end
  if real_of[t] then error(READONLY, 0) end
  if k == nil then error("table index is nil", 0) end
  if k ~= k then error("table index is NaN", 0) end
  rawset(t, k, v)
  return t
end

local function sandbox_rawget(...)
  local n = select("#", ...)
  local t, k = ...
  check_table(1, "rawget", n >= 1, t)
  if n < 2 then arg_error(3, 2, "rawget", "value expected") end
  return rawget(real_of[t] or t, k)
end

local function sandbox_next(...)
  local t, k = ...
  check_table(1, "next", select("#", ...) >= 1, t)
  return next(real_of[t] or t, k)
end

local function sandbox_pairs(...)
  local t = ...
  check_table(1, "pairs", select("#", ...) >= 1, t)
  if real_of[t] then return sandbox_next, t, nil end
  return next, t, nil
end

local function sandbox_setmetatable(...)
  local n = select("#", ...)
  local t, mt = ...
  check_table(1, "setmetatable", n >= 1, t)
  local mtype = type(mt)
  if n < 2 or (mtype ~= "nil" and mtype ~= "table") then
    arg_error(3, 2, "setmetatable", "nil or table expected")
  end
  if real_of[t] then error(READONLY, 0) end
  local ok, err = pcall(setmetatable, t, mt)
  if not ok then error(err, 2) end
  return t
end

local function sandbox_getmetatable(...)
  if select("#", ...) == 0 then arg_error(3, 1, "getmetatable", "value expected") end
  local mt = getmetatable((...))
  local view = mt_view[mt]
  if view ~= nil then return view or nil end
  return mt
end

-- The environment scripts and the chunks they load run in (set below).
local env

-- A string chunk, never a binary one: Redis's Lua parses every chunk as
-- text, so a binary chunk fails as the text it is.
local function load_text(source, name)
  if byte(source, 1) == 27 then return loadstring("\27", name) end
  local f, err = loadstring(source, name)
  if f then setfenv(f, env) end
  return f, err
end

-- luaL_checklstring from a helper of the checked function.
local function string_arg(n, fname, v)
  local kind = type(v)
  if kind ~= "string" and kind ~= "number" then
    arg_error(4, n, fname, "string expected, got " .. kind)
  end
  return tostring(v)
end

local function sandbox_loadstring(...)
  local n = select("#", ...)
  local source, name = ...
  if n < 1 then arg_error(3, 1, "loadstring", "string expected, got no value") end
  source = string_arg(1, "loadstring", source)
  if name == nil then name = source else name = string_arg(2, "loadstring", name) end
  return load_text(source, name)
end

local function sandbox_load(...)
  local n = select("#", ...)
  local reader, name = ...
  if type(reader) ~= "function" then
    arg_error(3, 1, "load", "function expected, got " .. typename(n >= 1, reader))
  end
  if name == nil then name = "=(load)" else name = string_arg(2, "load", name) end
  local parts = {}
  while true do
    local ok, piece = pcall(reader)
    if not ok then return nil, piece end
    if piece == nil or piece == "" then break end
    local kind = type(piece)
    if kind ~= "string" and kind ~= "number" then
      return nil, "reader function must return a string"
    end
    parts[#parts + 1] = piece
  end
  return load_text(concat(parts), name)
end

-- Redis's pcall hands back the message of an error table, not the table
-- (errors raised by the Rust functions are converted as their kind says).
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local err = ...
  if type(err) == "userdata" then return false, caught(err) end
  if type(err) == "table" then
    local msg = err.err
    local kind = type(msg)
    if kind == "string" or kind == "number" then return false, msg end
  end
  return false, err
end

local function sandbox_pcall(...)
  if select("#", ...) == 0 then return false, "attempt to call a boolean value" end
  return pcall_result(pcall(...))
end

---------------------------------------------------------------------------
-- The table library writes with lua_rawseti, which refuses read-only tables.

local function sandbox_insert(...)
  local n = select("#", ...)
  local t = ...
  check_table(1, "insert", n >= 1, t)
  if real_of[t] then error(READONLY, 0) end
  if n == 2 then
    insert(t, (select(2, ...)))
  elseif n == 3 then
    local pos = check_int(2, "insert", true, (select(2, ...)))
    insert(t, pos, (select(3, ...)))
  else
    error("wrong number of arguments to 'insert'", 2)
  end
end

local function sandbox_remove(...)
  local n = select("#", ...)
  local t, pos = ...
  check_table(1, "remove", n >= 1, t)
  if real_of[t] then error(READONLY, 0) end
  if pos == nil then return remove(t) end
  return remove(t, check_int(2, "remove", true, pos))
end

local function sandbox_sort(...)
  local n = select("#", ...)
  local t, less = ...
  check_table(1, "sort", n >= 1, t)
  if less ~= nil and type(less) ~= "function" then
    arg_error(3, 2, "sort", "function expected, got " .. type(less))
  end
  if real_of[t] then error(READONLY, 0) end
  sort(t, less)
end

table.insert, table.remove, table.sort = sandbox_insert, sandbox_remove, sandbox_sort

---------------------------------------------------------------------------
-- The redis table: the functions that can fail are Rust's (api.rs); these
-- never do.

local redis = prims.redis

function redis.error_reply(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  if byte(s, 1) ~= 45 then s = "-" .. s end
  return {err = errtext(s)}
end

function redis.status_reply(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  return {ok = s}
end

function redis.replicate_commands() return true end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = prims.version, prims.version_num

---------------------------------------------------------------------------
-- The globals scripts see: Redis's allow list, each table read-only.

local G = _G
local shown = {}   -- what _G shows
env = {}

local BUILTINS = {
  "assert", "collectgarbage", "error", "gcinfo", "ipairs", "rawequal",
  "select", "tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION",
  "coroutine", "math", "string", "table",
}
for _, name in ipairs(BUILTINS) do
  local v = rawget(G, name)
  if type(v) == "table" then v = protect(v) end
  shown[name] = v
end
for _, name in ipairs(prims.libraries) do
  local v = rawget(G, name)
  if type(v) == "table" then v = protect(v) end
  shown[name] = v
end
shown.redis = protect(redis)
shown.rawset, shown.rawget, shown.next, shown.pairs = sandbox_rawset, sandbox_rawget, sandbox_next, sandbox_pairs
shown.setmetatable, shown.getmetatable = sandbox_setmetatable, sandbox_getmetatable
shown.loadstring, shown.load, shown.pcall = sandbox_loadstring, sandbox_load, sandbox_pcall
shown.__redis__err__handler = handler
shown._G = env

local function nonexistent(_, name)
  local kind = type(name)
  if kind ~= "string" and kind ~= "number" then
    error("Second argument to luaProtectedTableError must be a string or number", 2)
  end
  error("Script attempted to access nonexistent global variable '" .. name .. "'", 2)
end

setmetatable(shown, {__index = nonexistent})
local env_mt = {__index = shown, __newindex = deny_write}
setmetatable(env, env_mt)
real_of[env] = shown
mt_view[env_mt] = protect({__index = nonexistent})

-- Strings' methods come from the read-only string table, and their
-- metatable is shown read-only too.
local string_mt = getmetatable("")
mt_view[string_mt] = protect(string_mt)

-- Runs a script (it reads KEYS and ARGV) under the error handler.
local function run_script(f)
  return xpcall(f, handler)
end

-- A function to call and its arguments, waiting for call_pending (xpcall
-- passes no arguments; this way no closure is made per call).
local pending_f, pending_keys, pending_args

local function call_pending()
  local f, keys, args = pending_f, pending_keys, pending_args
  pending_f, pending_keys, pending_args = nil, nil, nil
  return f(keys, args)
end

-- Runs a function, called with its keys and arguments, under the error
-- handler.
local function run_function(f, keys, args)
  pending_f, pending_keys, pending_args = f, keys, args
  return xpcall(call_pending, handler)
end

---------------------------------------------------------------------------
-- Loading a function library (FUNCTION LOAD): its code runs where the only
-- global is a `redis` table with register_function, log, the log levels
-- and the version; the functions it registers run later in the usual
-- environment (their environment is `env`, whose view is switched back).

local lower, find = string.lower, string.find

-- The library being loaded: the functions registered so far, in order,
-- and their names.
local registered, registered_names = nil, nil

-- Errors as luaPushError raises them: a table, the message with `ERR`.
local function register_error(msg)
  error({err = "ERR " .. msg})
end

-- lua_isstring: strings and numbers.
local function is_text(v)
  local kind = type(v)
  return kind == "string" or kind == "number"
end

-- The flags of a `flags` list, as a set of lowercase names (nil when one
-- is not a flag).
local function read_flags(list)
  local names, j = {}, 1
  while true do
    local v = list[j]
    if v == nil then return names end
    if not is_text(v) then return nil end
    local name = lower(tostring(v))
    if not prims.flag_names[name] then return nil end
    names[name] = true
    j = j + 1
  end
end

local function named_args(t)
  if type(t) ~= "table" then
    register_error("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
  end
  local name, desc, callback, flags
  for k, v in next, real_of[t] or t do
    if not is_text(k) then
      register_error("named argument key given to redis.register_function is not a string")
    end
    local key = lower(tostring(k))
    if key == "function_name" then
      if not is_text(v) then
        register_error("function_name argument given to redis.register_function must be a string")
      end
      name = tostring(v)
    elseif key == "description" then
      if not is_text(v) then
        register_error("description argument given to redis.register_function must be a string")
      end
      desc = tostring(v)
    elseif key == "callback" then
      if type(v) ~= "function" then
        register_error("callback argument given to redis.register_function must be a function")
      end
      callback = v
    elseif key == "flags" then
      if type(v) ~= "table" then
        register_error("flags argument to redis.register_function must be a table representing function flags")
      end
      flags = read_flags(v)
      if not flags then register_error("unknown flag given") end
    else
      register_error("unknown argument given to redis.register_function")
    end
  end
  if not name then register_error("redis.register_function must get a function name argument") end
  if not callback then register_error("redis.register_function must get a callback argument") end
  return name, desc, callback, flags or {}
end

local function positional_args(name, callback)
  if not is_text(name) then
    register_error("first argument to redis.register_function must be a string")
  end
  if type(callback) ~= "function" then
    register_error("second argument to redis.register_function must be a function")
  end
  return tostring(name), nil, callback, {}
end

local function register_function(...)
  if not registered then
    register_error("redis.register_function can only be called on FUNCTION LOAD command")
  end
  local n = select("#", ...)
  local name, desc, callback, flags
  if n == 1 then
    name, desc, callback, flags = named_args((...))
  elseif n == 2 then
    name, desc, callback, flags = positional_args(...)
  else
    register_error("wrong number of arguments to redis.register_function")
  end
  if not find(name, "^[%w_]+$") then
    register_error("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
  end
  if registered_names[name] then register_error("Function already exists in the library") end
  registered_names[name] = true
  registered[#registered + 1] = {name = name, description = desc, callback = callback, flags = flags}
end

local load_redis = {
  register_function = register_function,
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = prims.version, REDIS_VERSION_NUM = prims.version_num,
}
setmetatable(load_redis, {__index = nonexistent})
local load_shown = {redis = protect(load_redis)}
setmetatable(load_shown, {__index = nonexistent})

local function show(view)
  env_mt.__index = view
  real_of[env] = view
end

-- Runs a library's compiled code: `true, {functions}` or `false, error`
-- (the raw error: a table, a message, or an error from Rust).
local function load_library(chunk)
  registered, registered_names = {}, {}
  show(load_shown)
  local ok, err = pcall(chunk)
  show(shown)
  local functions = registered
  registered, registered_names = nil, nil
  if ok then return true, functions end
  return false, err
end

return run_script, run_function, env, shown, load_library
