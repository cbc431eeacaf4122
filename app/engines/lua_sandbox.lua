-- The Lua spell sandbox. Runs once per fresh LuaRuntime, before the spell, as chunk "=[llmspell]".
-- Receives the host functions (Python callables) and returns `setup(spec, inputs_json)` which builds the spell's
-- _ENV. Python objects never enter the spell's environment: they stay upvalues of the closures below.
local host_call, host_output, host_module, json_decode = ...

local G = _G
local type, pairs, ipairs, next, tostring, tonumber, select, error, pcall, xpcall, setmetatable, getmetatable,
      rawget, rawset, rawequal, rawlen, load, assert =
      type, pairs, ipairs, next, tostring, tonumber, select, error, pcall, xpcall, setmetatable, getmetatable,
      rawget, rawset, rawequal, rawlen, load, assert
local string, table, math, utf8, coroutine, os, debug = string, table, math, utf8, coroutine, os, debug
local concat, sformat, mtype, floor = table.concat, string.format, math.type, math.floor

-- No bytecode ever: string.dump is removed from the shared string table (reachable through ("").dump).
string.dump = nil
-- Strings share one metatable: the spell may not read or replace it.
getmetatable("").__metatable = false

local ARRAY_MT = {__name = "array"}        -- tables that are JSON arrays even when empty
local ERROR_MT = {__name = "SpellError"}
ERROR_MT.__tostring = function(e) return tostring(rawget(e, "code")) .. ": " .. tostring(rawget(e, "message")) end
local HANDLE_MT_BY_TYPE = {}

local MAX_DEPTH = 100
local callbacks, next_callback = {}, 0
-- Debug runs only (app/debugger/agent.py): how modules are compiled, and who sees an uncaught error first.
local chunk_loader, error_observer = nil, nil
-- Tasks (lua_tasks.lua): how a bridge call made inside a task is sent without blocking, and what runs after the
-- main chunk (waiting for the tasks still running) or after it failed (cancelling them).
local task_call, after_main, after_failure, task_where = nil, nil, nil, nil

------------------------------------------------------------------------------------------------ spell frames
local function is_spell_source(src)
  return type(src) == "string" and src:sub(1, 1) == "@"
end

-- The current spell line (first spell frame from the top), for traces and error locations.
-- When the spell reached the sandbox through a tail call (`return LLM.complete(...)`), Lua dropped the calling
-- frame: its line is unknown, and the frame further up would name a wrong one, so say nothing. (The sandbox's own
-- calls on this path are never tail calls, so a tail call seen here is the spell's.)
local function spell_location(level)
  level = level or 2
  while true do
    local info = debug.getinfo(level, "Slt")
    if not info then return nil, nil end
    if is_spell_source(info.source) and info.currentline and info.currentline > 0 then
      return info.source:sub(2), info.currentline
    end
    if info.istailcall then return nil, nil end
    level = level + 1
  end
end

local function spell_traceback(level)
  local frames = {}
  level = level or 2
  while #frames < 50 do
    local info = debug.getinfo(level, "Sln")
    if not info then break end
    if is_spell_source(info.source) and info.currentline and info.currentline > 0 then
      local name = info.name
      if info.what == "main" then name = "main chunk"  -- a chunk called by a name of ours is still the chunk
      elseif not name then name = "function" end
      frames[#frames + 1] = {file = info.source:sub(2), line = info.currentline, ["function"] = name}
    end
    level = level + 1
  end
  return frames
end

------------------------------------------------------------------------------------------------ values → JSON
local encode_value

local function encode_string(s)
  if not utf8.len(s) then error({code = "invalid_argument", message = "string is not valid UTF-8"}, 0) end
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\"
    elseif c == "\n" then return "\\n" elseif c == "\t" then return "\\t" elseif c == "\r" then return "\\r"
    else return sformat("\\u%04x", c:byte()) end
  end) .. '"'
end

local function encode_number(n)
  if mtype(n) == "integer" then return sformat("%d", n) end
  if n ~= n or n == math.huge or n == -math.huge then
    error({code = "invalid_argument", message = "cannot pass NaN or infinity to the host"}, 0)
  end
  local s = sformat("%.17g", n)
  if tonumber(sformat("%.15g", n)) == n then s = sformat("%.15g", n) end
  if not s:find("[%.eEn]") then s = s .. ".0" end
  return s
end

encode_value = function(v, seen, depth)
  local t = type(v)
  if v == nil then return "null"
  elseif t == "boolean" then return v and "true" or "false"
  elseif t == "number" then return encode_number(v)
  elseif t == "string" then return encode_string(v)
  elseif t == "function" then
    next_callback = next_callback + 1
    callbacks[next_callback] = v
    return '{"$callback":' .. next_callback .. '}'
  elseif t == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and rawget(mt, "__handle_type") and mtype(rawget(v, "__handle")) == "integer" then
      return '{"$handle":' .. sformat("%d", rawget(v, "__handle")) .. '}'  -- never raw text into the JSON
    end
    if depth > MAX_DEPTH then
      error({code = "invalid_argument", message = "value nested deeper than " .. MAX_DEPTH .. " levels"}, 0)
    end
    if seen[v] then error({code = "invalid_argument", message = "value contains a cycle (a table inside itself)"}, 0) end
    seen[v] = true
    local n, count = rawlen(v), 0
    for _ in next, v do count = count + 1 end
    local parts = {}
    if (count > 0 and count == n) or (count == 0 and mt == ARRAY_MT) then
      for i = 1, n do parts[i] = encode_value(rawget(v, i), seen, depth + 1) end
      seen[v] = nil
      return "[" .. concat(parts, ",") .. "]"
    end
    for k, x in next, v do
      local kt = type(k)
      if kt == "number" then
        if mtype(k) == "integer" then k = sformat("%d", k) else k = encode_number(k) end
      elseif kt ~= "string" then
        error({code = "invalid_argument", message = "table keys must be strings or numbers, not " .. kt}, 0)
      end
      parts[#parts + 1] = encode_string(k) .. ":" .. encode_value(x, seen, depth + 1)
    end
    seen[v] = nil
    return "{" .. concat(parts, ",") .. "}"
  else
    error({code = "invalid_argument", message = "a " .. t .. " cannot be passed to the host"}, 0)
  end
end

local function encode(v) return encode_value(v, {}, 0) end

------------------------------------------------------------------------------------------------ errors
local function make_error(code, message, retryable, level)
  local file, line = spell_location((level or 2) + 1)
  return setmetatable({code = code, message = message, retryable = retryable and true or false,
                       file = file, line = line}, ERROR_MT)
end

-- When a Python callable raises, lupa hands the exception object itself to Lua as the error value: a Python
-- object (with lupa's metatable, __gc and __call included) that must never reach the spell. Re-raise as a record.
local function guard(fn)
  return function(...)
    local r = table.pack(pcall(fn, ...))
    if r[1] then return table.unpack(r, 2, r.n) end
    if type(r[2]) == "userdata" then
      local _, text = pcall(tostring, r[2])
      error(make_error("internal", "host error: " .. tostring(text), false, 2), 0)
    end
    error(r[2], 0)
  end
end
host_call, host_output, host_module = guard(host_call), guard(host_output), guard(host_module)

-- Text for the host: invalid UTF-8 bytes become U+FFFD (lupa cannot decode them and would raise).
local function valid_utf8(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local n, bad = utf8.len(s, i)
    if n then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return concat(out)
end

------------------------------------------------------------------------------------------------ host calls
local from_host  -- decoded plain value → Lua value (tables built in Lua from the Python structures)

local function make_handle(id, tname)
  local mt = HANDLE_MT_BY_TYPE[tname]
  if not mt then error(make_error("internal", "unknown object type " .. tostring(tname)), 0) end
  return setmetatable({__handle = id}, mt)
end

local function call_host(target, method, args, n, opts)
  local ok, payload = pcall(function()
    local parts = {}
    for i = 1, n do parts[i] = encode_value(args[i], {}, 0) end
    return "[[" .. concat(parts, ",") .. "]," .. (opts ~= nil and encode(opts) or "null") .. "]"
  end)
  if not ok then
    if type(payload) == "table" then error(make_error(payload.code, payload.message, false, 3), 0) end
    error(payload, 0)
  end
  local file, line = spell_location(3)
  if line == nil and task_where then file, line = task_where() end  -- a tail call in a task: its own line
  local status, value
  if task_call then status, value = task_call(target, method, payload, line) end
  if status == nil then status, value = host_call(target, method, payload, line) end
  if status == "ok" then return from_host(value) end
  if status == "limit" then error(value, 0) end  -- a limit: the host ends the run
  local e = make_error(value.code, value.message, value.retryable, 3)
  if e.line == nil then e.file, e.line = file, line end
  error(e, 0)
end

-- Build one method wrapper: positional parameters, then an optional options table.
local function make_method(target_of, method, spec)
  local nparams, has_opts = #spec.params, spec.has_opts
  return function(...)
    local n = select("#", ...)
    local args = {...}
    local self_target = target_of(args)
    if self_target ~= nil then
      for i = 1, n - 1 do args[i] = args[i + 1] end
      args[n] = nil
      n = n - 1
    end
    local opts = nil
    if has_opts and n == nparams + 1 and (type(args[n]) == "table" or args[n] == nil) then
      opts = args[n]; args[n] = nil; n = n - 1
    elseif has_opts and n > nparams and type(args[n]) == "table" then
      opts = args[n]; args[n] = nil; n = n - 1
    end
    return (call_host(self_target or target_of(nil), method, args, n, opts))  -- not a tail call: see spell_location
  end
end

local function build_global(name, gspec)
  local g = {}
  for method, mspec in pairs(gspec.methods) do
    g[method] = make_method(function(args) if args == nil then return name end return nil end, method, mspec)
  end
  return setmetatable(g, {__index = function(_, k)
    error(make_error("invalid_argument", name .. " has no member '" .. tostring(k) .. "'", false, 2), 0)
  end, __newindex = function(_, k)
    error(make_error("invalid_argument", "cannot assign " .. name .. "." .. tostring(k), false, 2), 0)
  end, __metatable = false})
end

local function build_type(tname, tspec)
  local methods = {}
  local mt = {__handle_type = tname, __name = tname, __metatable = false}
  for method, mspec in pairs(tspec.methods) do
    methods[method] = make_method(function(args)
      if args == nil then return nil end
      local self = args[1]
      if type(self) ~= "table" or getmetatable(self) ~= false or rawget(self, "__handle") == nil then
        error(make_error("invalid_argument", tname .. ":" .. method .. " must be called with ':' on a " .. tname, false, 3), 0)
      end
      return rawget(self, "__handle")
    end, method, mspec)
  end
  mt.__index = function(_, k)
    local m = methods[k]
    if m == nil then error(make_error("invalid_argument", tname .. " has no member '" .. tostring(k) .. "'", false, 2), 0) end
    return m
  end
  mt.__newindex = function() error(make_error("invalid_argument", "cannot assign fields of a " .. tname, false, 2), 0) end
  mt.__tostring = function(self) return tname .. " #" .. tostring(rawget(self, "__handle")) end
  HANDLE_MT_BY_TYPE[tname] = mt
end

-- Python converts host values into Lua itself (see lua_engine.to_lua), using these two helpers.
from_host = function(v) return v end

local function mark_array(t) return setmetatable(t, ARRAY_MT) end

------------------------------------------------------------------------------------------------ callbacks
-- Called by the worker (Python) when the host runs a script function handed to a bridge.
local function invoke_callback(id, args_table, nargs)
  local fn = callbacks[id]
  if not fn then return "error", {code = "invalid_argument", message = "script function #" .. tostring(id) .. " is gone"} end
  local args = {}
  for i = 1, nargs do args[i] = args_table[i] end
  local results = table.pack(xpcall(fn, function(e)
    local frames = spell_traceback(2)
    return {err = e, frames = frames}
  end, table.unpack(args, 1, nargs)))
  if results[1] then
    local ok, encoded = pcall(encode, results[2])
    if ok then return "ok", encoded end
    return "error", {code = "invalid_argument", message = "function result: " .. tostring(encoded.message or encoded)}
  end
  local info = results[2]
  local e = info.err
  if type(e) == "table" and getmetatable(e) == ERROR_MT then
    return "error", {code = e.code, message = e.message, file = e.file, line = e.line, frames = info.frames}
  end
  local ok, text = pcall(tostring, e)  -- a spell's error object: its __tostring may fail
  return "error", {code = "tool_failed", message = ok and text or "(error object whose __tostring failed)",
                   frames = info.frames}
end

------------------------------------------------------------------------------------------------ environment
local SAFE_BASE = {"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen", "rawset",
                   "select", "tonumber", "tostring", "type", "xpcall", "_VERSION"}

local function copy(t, skip)
  local out = {}
  for k, v in pairs(t) do if not (skip and skip[k]) then out[k] = v end end
  return out
end

local function format_args(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  return concat(parts, "\t")
end

local function setup(spec, inputs, spell_file)
  local env = {}
  for _, k in ipairs(SAFE_BASE) do env[k] = G[k] end
  env.string = copy(string)
  env.table = copy(table)
  env.math = copy(math)
  env.utf8 = copy(utf8)
  env.coroutine = copy(coroutine)
  env.os = {time = os.time, clock = os.clock, date = os.date, difftime = os.difftime}
  env.getmetatable = function(t)
    local mt = getmetatable(t)
    -- the sandbox's own metatables stay private (a spell could add __gc to ERROR_MT, bypassing setmetatable)
    if rawequal(mt, ARRAY_MT) or rawequal(mt, ERROR_MT) then return nil end
    return mt
  end
  env.setmetatable = function(t, mt)
    if type(t) ~= "table" then  -- raise at the spell's line, not at this one
      error("bad argument #1 to 'setmetatable' (table expected, got " .. type(t) .. ")", 2)
    end
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      error("setmetatable: __gc metamethods are not allowed in spells", 2)
    end
    return setmetatable(t, mt)
  end
  env.collectgarbage = function(opt, ...)
    opt = opt or "collect"
    if opt == "collect" or opt == "count" then return collectgarbage(opt) end
    error("collectgarbage: option '" .. tostring(opt) .. "' is not allowed in spells", 2)
  end
  env.load = function(chunk, name, _mode, e)
    if type(chunk) ~= "string" and type(chunk) ~= "function" then
      error("bad argument #1 to 'load' (string or function expected)", 2)
    end
    return load(chunk, "=" .. tostring(name or "(load)"), "t", e or env)
  end
  env.print = function(...) host_output("stdout", valid_utf8(format_args(...))) end

  -- require: sibling modules of the spell, as text, in this same sandbox.
  local loaded = {}
  env.require = function(name)
    if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected)", 2) end
    if not utf8.len(name) then error(make_error("invalid_argument", "bad module name (not UTF-8)", false, 2), 0) end
    if loaded[name] ~= nil then return loaded[name] end
    local status, path, source = host_module(name)
    if status ~= "ok" then error(make_error(path.code, path.message, false, 2), 0) end
    local fn, err = (chunk_loader or load)(source, "@" .. path, "t", env)
    if not fn then error(err, 0) end
    loaded[name] = true
    local result = fn(name)
    if result == nil then result = true end
    loaded[name] = result
    return result
  end

  for name, gspec in pairs(spec.types or {}) do build_type(name, gspec) end
  for name, gspec in pairs(spec.globals or {}) do env[name] = build_global(name, gspec) end
  env.INPUT = inputs
  env._G = env
  return env
end

-- Run the spell's main chunk; errors come back as a record in the spell's terms.
local MEMORY_FAILURE = {err = "not enough memory", frames = {}}  -- preallocated: no memory is left to build one
local function main_handler(e)
  if e == "not enough memory" then return MEMORY_FAILURE end
  if error_observer then pcall(error_observer, e) end  -- the debugger stops here, before the stack unwinds
  return {err = e, frames = spell_traceback(3)}
end

local function run_main(fn)
  local results = table.pack(xpcall(fn, main_handler))  -- called from C: the chunk's frame has no name
  if results[1] and after_main then  -- the tasks still running finish (a failure among them fails the run)
    local ok, info = xpcall(after_main, main_handler)
    if not ok then results = {false, info, n = 2} end
  end
  if not results[1] and after_failure then pcall(after_failure) end
  if results[1] then
    local ok, encoded = pcall(encode, results[2])
    if ok then return "ok", encoded end
    return "error", {kind = "result", message = "the spell's result cannot be returned: " ..
                     tostring(type(encoded) == "table" and encoded.message or encoded)}
  end
  local info = results[2]
  if type(info) ~= "table" or info.frames == nil then info = {err = info, frames = {}} end
  local e = info.err
  if type(e) == "table" and getmetatable(e) == ERROR_MT then
    return "error", {kind = "bridge", code = e.code, message = e.message, file = e.file, line = e.line,
                     frames = info.frames}
  end
  local message
  if type(e) == "string" then message = e
  elseif type(e) == "table" then
    -- the spell's own error object: its metatable and __tostring are spell code and may fail
    local ok, text = pcall(function()
      local mt = getmetatable(e)
      if mt and mt.__tostring then return tostring(e) end
      local ok_enc, enc = pcall(encode, e)
      return ok_enc and enc or tostring(e)
    end)
    message = ok and text or "(error object whose __tostring failed)"
  else message = tostring(e) end
  return "error", {kind = "runtime", message = message, frames = info.frames}
end

return {setup = setup, run_main = run_main, invoke_callback = invoke_callback, encode = encode,
        mark_array = mark_array, make_handle = make_handle, error_mt = ERROR_MT,
        set_chunk_loader = function(f) chunk_loader = f end,
        set_tasks = function(call, after, failed, where)
          task_call, after_main, after_failure, task_where = call, after, failed, where
        end,
        internals = {make_error = make_error, spell_location = spell_location, error_mt = ERROR_MT,
                     mark_array = mark_array, guard = guard},
        set_error_observer = function(f) error_observer = f end}
