-- The Lua test API (busted style), installed into the sandboxed _ENV of a test run before the test file runs.
-- Runs as chunk "=[llmspell-test]" with the real globals (it is trusted code); the spell sees only the closures
-- below. The test file declares its tests (describe/it/pending/setup/teardown/before_each/after_each); `run_all` then runs the
-- selected ones, reporting each to the host through `emit(kind, json)` (app/engines/lua_engine.py).
local env, emit, encode, test_chunk = ...

local type, pairs, ipairs, tostring, select, error, xpcall, pcall, setmetatable, getmetatable, rawget, rawequal,
      next, rawlen = type, pairs, ipairs, tostring, select, error, xpcall, pcall, setmetatable, getmetatable,
      rawget, rawequal, next, rawlen
local debug, string, table, os, math, utf8 = debug, string, table, os, math, utf8
local TEST_SOURCE = "@" .. test_chunk

------------------------------------------------------------------------------------------------ locations
-- The line of the test file that is running now (innermost frame of the test file), or nil.
local function test_line(level)
  level = level or 3
  while true do
    local info = debug.getinfo(level, "Sl")
    if not info then return nil end
    if info.source == TEST_SOURCE and info.currentline and info.currentline > 0 then return info.currentline end
    level = level + 1
  end
end

------------------------------------------------------------------------------------------------ values for reports
-- A plain (JSON-safe) copy of any value, for the failure report: functions, cycles and deep nesting become text.
local function plain(v, seen, depth)
  local t = type(v)
  if v == nil or t == "boolean" then return v end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return tostring(v) end
    return v
  end
  if t == "string" then
    if utf8.len(v) then return v end
    return "<" .. #v .. " bytes, not UTF-8>"
  end
  if t ~= "table" then return "<" .. t .. ">" end
  if getmetatable(v) == false and rawget(v, "__handle") ~= nil then return tostring(v) end  -- a bridge object
  if seen[v] then return "<cycle>" end
  if depth > 20 then return "<…>" end
  seen[v] = true
  local n, count = rawlen(v), 0
  for _ in next, v do count = count + 1 end
  local out = {}
  local mt = getmetatable(v)
  if (count > 0 and count == n) or (count == 0 and type(mt) == "table" and rawget(mt, "__name") == "array") then
    for i = 1, n do out[i] = plain(rawget(v, i), seen, depth + 1) end
    if n > 0 and out[n] == nil then out[n] = "nil" end
  else
    for k, x in next, v do
      local key = type(k) == "string" and k or ("[" .. tostring(k) .. "]")
      local px = plain(x, seen, depth + 1)
      if px == nil then px = "nil" end
      out[key] = px
    end
  end
  seen[v] = nil
  return out
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  local ok, text = pcall(encode, plain(v, {}, 0))
  return ok and text or tostring(v)
end

------------------------------------------------------------------------------------------------ failures
local FAILURE_MT = {__name = "TestFailure"}
FAILURE_MT.__tostring = function(f) return f.message end

local function fail(message, custom, values, expected, actual)
  if custom ~= nil then message = tostring(custom) .. "\n" .. message end
  local f = {message = message, line = test_line(3), has_values = values and true or false}
  if values then f.expected = plain(expected, {}, 0); f.actual = plain(actual, {}, 0) end
  error(setmetatable(f, FAILURE_MT), 0)
end

local function same(a, b, seen)
  if rawequal(a, b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then
    if type(a) == "number" and type(b) == "number" then return a == b end
    return false
  end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in next, a do
    if not same(v, rawget(b, k), seen) then return false end
  end
  for k in next, b do
    if rawget(a, k) == nil then return false end
  end
  return true
end

local function error_text(e)
  if type(e) == "table" and rawget(e, "message") ~= nil then return tostring(rawget(e, "message")) end
  local s = tostring(e)
  return (s:gsub("^[^\n]-:%d+: ", "", 1))
end

------------------------------------------------------------------------------------------------ assertions
-- Each assertion: function(negated, ...) that calls fail() when it does not hold.
local A = {}
local function check(ok, negated, what, custom, values, expected, actual)
  if negated then ok = not ok end
  if not ok then fail("expected " .. what:gsub("{not}", negated and "not " or ""), custom, values, expected, actual) end
end

A.equal = function(neg, expected, actual, msg)
  check(expected == actual, neg, neg and ("values not to be equal, both are " .. show(actual))
        or "values to be equal", msg, not neg, expected, actual)
end
A.equals = A.equal
A.same = function(neg, expected, actual, msg)
  check(same(expected, actual), neg, "values {not}to be the same (deep)", msg, not neg, expected, actual)
end
A["true"] = function(neg, v, msg) check(v == true, neg, "{not}true, got " .. show(v), msg) end
A["false"] = function(neg, v, msg) check(v == false, neg, "{not}false, got " .. show(v), msg) end
A["nil"] = function(neg, v, msg) check(v == nil, neg, "{not}nil, got " .. show(v), msg) end
A.truthy = function(neg, v, msg) check(v ~= nil and v ~= false, neg, "a {not}truthy value, got " .. show(v), msg) end
A.falsy = function(neg, v, msg) check(v == nil or v == false, neg, "a {not}falsy value, got " .. show(v), msg) end
A.near = function(neg, expected, actual, tolerance, msg)
  local ok = type(actual) == "number" and math.abs(expected - actual) <= (tolerance or 1e-9)
  check(ok, neg, show(actual) .. " {not}to be within " .. tostring(tolerance) .. " of " .. show(expected), msg)
end
A.matches = function(neg, pattern, s, init, plain_find, msg)
  if type(s) ~= "string" then
    fail("expected a string to match " .. show(pattern) .. ", got " .. show(s), nil)
  end
  check(string.find(s, pattern, init, plain_find) ~= nil, neg, show(s) .. " {not}to match " .. show(pattern), msg)
end
A.match = A.matches
A.error = function(neg, fn, expected, msg)
  if type(fn) ~= "function" then fail("has_error expects a function, got " .. type(fn)) end
  local ok, e = pcall(fn)
  if neg then
    if not ok then fail("expected no error, got: " .. error_text(e), msg) end
    return
  end
  if ok then fail("expected an error, but the function returned normally", msg) end
  if expected ~= nil and error_text(e) ~= tostring(expected) and tostring(e) ~= tostring(expected) then
    fail("expected the error message " .. show(tostring(expected)) .. "\n  got: " .. show(error_text(e)), msg,
         true, tostring(expected), error_text(e))
  end
end
A.errors = A.error
for _, tname in ipairs({"table", "string", "number", "function", "boolean", "userdata"}) do
  A[tname] = function(neg, v, msg) check(type(v) == tname, neg, "a {not}" .. tname .. ", got " .. type(v), msg) end
end

local MODIFIERS = {are = true, is = true, has = true, does = true, was = true, all = true, are_all = true}

local function chain(negated)
  return setmetatable({}, {
    __index = function(_, key)
      local neg, parts = negated, {}
      for word in tostring(key):gmatch("[^_]+") do
        if word == "not" or word == "no" then neg = not neg
        elseif not MODIFIERS[word] then parts[#parts + 1] = word end
      end
      if #parts == 0 then return chain(neg) end
      local name = table.concat(parts, "_")
      local a = A[name]
      if a == nil then error("assert has no assertion '" .. tostring(key) .. "'", 2) end
      return function(...) return a(neg, ...) end
    end,
    __newindex = function() error("cannot assign to assert", 2) end,
    __call = function(_, v, msg, ...)  -- plain assert(v, message) keeps working, with a test report
      if v == nil or v == false then fail(msg ~= nil and tostring(msg) or "assertion failed!", nil) end
      return v, msg, ...
    end,
    __metatable = false,
  })
end

------------------------------------------------------------------------------------------------ declaring tests
local root = {name = nil, before = {}, after = {}, setup = {}, teardown = {}, parent = nil}
local current = root
local tests = {}

local function full_name(block, name)
  local parts = {name}
  while block and block.name do table.insert(parts, 1, block.name); block = block.parent end
  return table.concat(parts, " › ")
end

local function add_test(name, fn, pending)
  if type(name) ~= "string" then error("a test needs a name (a string), got " .. type(name), 3) end
  if fn ~= nil and type(fn) ~= "function" then error("it: the test body must be a function", 3) end
  tests[#tests + 1] = {name = full_name(current, name), line = test_line(3), fn = fn, block = current,
                       pending = pending or fn == nil}
end

env.describe = function(name, fn)
  if type(name) ~= "string" then error("describe needs a name (a string), got " .. type(name), 2) end
  if type(fn) ~= "function" then error("describe: the block must be a function", 2) end
  local block = {name = name, before = {}, after = {}, setup = {}, teardown = {}, parent = current,
                 line = test_line(2)}
  local outer = current
  current = block
  fn()
  current = outer
end
env.context = env.describe
env.it = function(name, fn) add_test(name, fn, false) end
env.test = env.it
env.pending = function(name) add_test(name, nil, true) end
env.before_each = function(fn)
  if type(fn) ~= "function" then error("before_each expects a function", 2) end
  current.before[#current.before + 1] = fn
end
env.after_each = function(fn)
  if type(fn) ~= "function" then error("after_each expects a function", 2) end
  current.after[#current.after + 1] = fn
end
-- busted's setup/teardown: once, before the first and after the last test of the enclosing describe that runs
env.setup = function(fn)
  if type(fn) ~= "function" then error("setup expects a function", 2) end
  current.setup[#current.setup + 1] = fn
end
env.teardown = function(fn)
  if type(fn) ~= "function" then error("teardown expects a function", 2) end
  current.teardown[#current.teardown + 1] = fn
end
env.assert = chain(false)

-- Mock.llm({pattern = "^Summar"}, reply): the Lua pattern is matched here, in the sandbox, as a match function.
if env.Mock ~= nil then
  local M = env.Mock
  local llm = M.llm
  local function haystack(req)
    local parts = {}
    for _, m in ipairs(req.messages or {}) do parts[#parts + 1] = tostring(m.content or "") end
    return table.concat(parts, "\n")
  end
  local wrapped = {tool = M.tool, reset = M.reset, calls = M.calls}
  wrapped.llm = function(match, reply, opts)
    if type(match) == "table" and type(rawget(match, "pattern")) == "string" then
      local pattern = rawget(match, "pattern")
      match = function(req) return string.find(haystack(req), pattern) ~= nil end
    end
    local id = llm(match, reply, opts)  -- not a tail call: the sandbox reads the caller's line
    return id
  end
  env.Mock = setmetatable({}, {__index = function(_, k)
    local v = wrapped[k]
    if v == nil then error("Mock has no member '" .. tostring(k) .. "'", 2) end
    return v
  end, __newindex = function() error("cannot assign Mock fields", 2) end, __metatable = false})
end

------------------------------------------------------------------------------------------------ running tests
local function handler(e)
  if type(e) == "table" and getmetatable(e) == FAILURE_MT then return e end
  local line = test_line(3)
  if type(e) == "table" and rawget(e, "code") ~= nil and rawget(e, "message") ~= nil then
    return {message = tostring(rawget(e, "code")) .. ": " .. tostring(rawget(e, "message")), line = line}
  end
  if e == "not enough memory" then return {message = "not enough memory", line = line} end
  local ok, text = pcall(tostring, e)
  text = ok and text or "(error object whose __tostring failed)"
  local chunk, l, rest = text:match("^([^\n]-):(%d+): (.*)$")
  if chunk == test_chunk then return {message = rest, line = tonumber(l)} end
  return {message = text, line = line}
end

local function blocks_of(block)
  local chain_ = {}
  while block do table.insert(chain_, 1, block); block = block.parent end
  return chain_
end

local function selected(t, options)
  if options.filter and not t.name:find(options.filter, 1, true) then return false end
  if options.line then
    if t.line == options.line then return true end
    local b = t.block
    while b do
      if b.line == options.line then return true end
      b = b.parent
    end
    return false
  end
  return true
end

local function run_one(t)
  local blocks = blocks_of(t.block)
  local failure
  local function step(fn)
    if failure then return end
    local ok, f = xpcall(fn, handler)
    if not ok then failure = f end
  end
  for _, b in ipairs(blocks) do for _, fn in ipairs(b.before) do step(fn) end end
  step(t.fn)
  for i = #blocks, 1, -1 do
    for _, fn in ipairs(blocks[i].after) do
      local ok, f = xpcall(fn, handler)
      if not ok and not failure then failure = f end
    end
  end
  return failure
end

local function hook_failure(fn, name)
  local ok, f = xpcall(fn, handler)
  if ok then return nil end
  f.message = name .. ": " .. tostring(f.message)
  return f
end

-- A failing setup fails every test of its describe; a failing teardown, the last one.
local function run_all(options)
  local counts = {passed = 0, failed = 0, skipped = 0}
  local remaining, set_up = {}, {}
  for _, t in ipairs(tests) do
    if selected(t, options) and not t.pending then
      for _, b in ipairs(blocks_of(t.block)) do remaining[b] = (remaining[b] or 0) + 1 end
    end
  end
  for id, t in ipairs(tests) do
    if selected(t, options) then
      emit("started", encode({test_id = id, name = t.name, line = t.line}))
      local started = os.clock()
      local result = {test_id = id, name = t.name, line = t.line}
      if t.pending then
        result.status = "skipped"
      else
        local blocks = blocks_of(t.block)
        local f
        for _, b in ipairs(blocks) do
          if set_up[b] == nil then
            local sf = false
            for _, fn in ipairs(b.setup) do sf = sf or hook_failure(fn, "setup") or false end
            set_up[b] = sf
          end
          f = f or set_up[b] or nil
        end
        f = f or run_one(t)
        for i = #blocks, 1, -1 do
          local b = blocks[i]
          remaining[b] = remaining[b] - 1
          if remaining[b] == 0 then
            for _, fn in ipairs(b.teardown) do
              local tf = hook_failure(fn, "teardown")
              f = f or tf
            end
          end
        end
        if f then
          result.status = "failed"
          result.message = tostring(f.message)
          result.failure_line = f.line
          if f.has_values then
            result.has_values = true
            result.expected = f.expected
            result.actual = f.actual
          end
        else
          result.status = "passed"
        end
      end
      result.duration_s = os.clock() - started
      counts[result.status] = counts[result.status] + 1
      local ok, text = pcall(encode, result)
      if not ok then  -- values a report cannot carry: say so rather than lose the result
        result.expected, result.actual, result.has_values = nil, nil, false
        text = encode(result)
      end
      emit("result", text)
      if options.bail and result.status == "failed" then break end
    end
  end
  return counts
end

return {run_all = run_all, count = function() return #tests end}
