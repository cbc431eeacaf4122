-- Tasks for Lua spells: concurrent functions on coroutines, run by an event loop in the worker (ARCHITECTURE §8).
-- Evaluated once per fresh runtime, after lua_sandbox.lua, as chunk "=[llmspell tasks]". Receives the worker's
-- functions for concurrent bridge calls and a few sandbox internals; returns the module table (see the end).
--
-- How it works: a task is a coroutine. When a task makes a bridge call, the call is sent to the host without
-- waiting (host_send) and the task yields; the loop runs other ready tasks, and when none is ready it waits for
-- the host's next answer or the next timer (host_wait), then resumes the task that owns the answer. Code that is
-- not a task (the main chunk, a script function called by a bridge, a plain coroutine) runs the loop itself
-- while it waits (Task.await, Task.sleep...). Bridge calls made outside a task block as before.
local host_send, host_wait, host_cancel, host_clock, host_pending, sb = ...

local type, error, setmetatable, getmetatable, rawequal, pairs, ipairs, tostring, tonumber, xpcall, pcall, next =
      type, error, setmetatable, getmetatable, rawequal, pairs, ipairs, tostring, tonumber, xpcall, pcall, next
local pack, unpack, mmax, sformat = table.pack, table.unpack, math.max, string.format
local co_running, co_status, co_close, co_yield, co_isyieldable =
      coroutine.running, coroutine.status, coroutine.close, coroutine.yield, coroutine.isyieldable
local make_error, spell_location, error_mt = sb.make_error, sb.spell_location, sb.error_mt

-- The coroutine functions tasks are made with: the debugger replaces them with its own (set_coroutines), which
-- hook every coroutine for breakpoints and stepping and keep the stack of each task.
local CO = {create = coroutine.create, resume = coroutine.resume}

local SUSPEND = {}                                  -- yielded by a task that registered what will wake it
local ST = setmetatable({}, {__mode = "k"})         -- spell-visible Task object → its state (private)
local TASK_OF = setmetatable({}, {__mode = "k"})    -- coroutine → task state
local ready, rhead, rtail = {}, 1, 0                -- tasks ready to run (a queue)
local calls = {}                                    -- call id → the task waiting for that call's answer
local timers, ntimers = {}, 0                       -- a binary heap of {at, st, gen}
local live = {}                                     -- tasks not finished yet
local failures = {}                                 -- tasks that failed, until someone looks at their result
local next_id, finish_seq = 0, 0
-- Once the spell cancels anything (Task.race, Task.any, Task.timeout, t:cancel), tasks' calls are sent as
-- abortable: the host keeps their LLM requests closable (a slightly slower path), so a cancel really stops
-- them. Before that a cancelled call's answer is only dropped. (Tasks start when their spawner first waits,
-- which for a race or a timeout is the race or the timeout itself: their calls are abortable.)
local cancelling = false

------------------------------------------------------------------------------------------------ plumbing
local function push_ready(st)
  st.status = "ready"
  rtail = rtail + 1
  ready[rtail] = st
end

local function pop_ready()
  if rhead > rtail then return nil end
  local st = ready[rhead]
  ready[rhead] = nil
  rhead = rhead + 1
  return st
end

local function timer_push(e)
  ntimers = ntimers + 1
  local i = ntimers
  timers[i] = e
  while i > 1 do
    local p = i // 2
    if timers[p].at <= e.at then break end
    timers[i], timers[p] = timers[p], e
    i = p
  end
end

local function timer_pop()
  local top = timers[1]
  local last = timers[ntimers]
  timers[ntimers] = nil
  ntimers = ntimers - 1
  if ntimers > 0 then
    local i = 1
    timers[1] = last
    while true do
      local l, r, m = 2 * i, 2 * i + 1, i
      if l <= ntimers and timers[l].at < timers[m].at then m = l end
      if r <= ntimers and timers[r].at < timers[m].at then m = r end
      if m == i then break end
      timers[i], timers[m] = timers[m], timers[i]
      i = m
    end
  end
  return top
end

-- Make a waiting task ready (its wait is over, or something it watches changed: it checks again).
local function wake(st)
  if st.status == "waiting" then
    st.gen = st.gen + 1
    push_ready(st)
  end
end

local function finish(st, ok, value)
  st.status = "done"
  finish_seq = finish_seq + 1
  st.seq = finish_seq
  st.ok = ok
  if ok then st.results = value else st.err = value; failures[st] = true end
  live[st] = nil
  local waiters = st.waiters
  st.waiters = {}
  for w in pairs(waiters) do wake(w) end
end

local function fire_timers(now)
  while ntimers > 0 and timers[1].at <= now do
    local e = timer_pop()
    if e.gen == e.st.gen then wake(e.st) end
  end
end

local function deliver(id, status, value)
  local st = calls[id]
  if st == nil then return end  -- its task was cancelled meanwhile
  calls[id] = nil
  st.answer = {status, value}
  wake(st)
end

local function cancelled_error(st)
  local e = make_error("cancelled", "task #" .. st.id .. " was cancelled", false, 1)
  e.file, e.line = st.file, st.line
  return e
end

-- Give up the processor until woken (a task only). The state was registered by the caller.
local function suspend(st)
  if st.cancel_requested then
    if st.call then host_cancel(st.call); calls[st.call] = nil; st.call = nil end
    error(cancelled_error(st), 0)
  end
  local file, line = spell_location(3)
  if line then st.file, st.line = file, line end
  st.status = "waiting"
  co_yield(SUSPEND)
end

local function step(st)
  if co_status(st.co) ~= "suspended" then return end
  st.status = "running"
  local ok, r = CO.resume(st.co)
  if st.status == "done" then return end  -- cancelled itself (and was finished by cancel) while it ran
  if not ok then
    finish(st, false, r)  -- only what xpcall could not catch (no memory left for its handler)
  elseif co_status(st.co) == "dead" then
    if r[1] then finish(st, true, r) else finish(st, false, r[2]) end
  elseif not rawequal(r, SUSPEND) then
    push_ready(st)  -- a plain coroutine.yield() in the task's body: it gives the others a turn
  end
end

-- Run the loop until cond() holds (or the deadline passes: false). For code that is not a task.
local function run_until(cond, deadline)
  while not cond() do
    local st = pop_ready()
    if st then
      step(st)
    else
      local now = host_clock()
      fire_timers(now)
      if rhead > rtail then  -- nothing became ready: wait for the host or a timer
        if deadline and now >= deadline then return false end
        local wake_at = deadline
        if ntimers > 0 and (wake_at == nil or timers[1].at < wake_at) then wake_at = timers[1].at end
        if wake_at == nil and host_pending() == 0 then
          error(make_error("deadlock", "waiting for tasks that can never finish (no task can run, no call or " ..
                           "timer is pending)", false, 3), 0)
        end
        local id, status, value = host_wait(wake_at and mmax(0, wake_at - now) or nil)
        if id ~= nil then deliver(id, status, value) end
      end
    end
  end
  return true
end

local function current_task()
  local st = TASK_OF[co_running()]
  if st and co_isyieldable() then return st end
  return nil
end

-- Wait until cond() holds, woken by the end of any of `targets` or by the deadline; false on the deadline.
local function block_until(cond, targets, deadline)
  local st = current_task()
  if not st then return run_until(cond, deadline) end
  while not cond() do
    if deadline and host_clock() >= deadline then return false end
    for _, t in ipairs(targets) do t.waiters[st] = true end
    if deadline then timer_push({at = deadline, st = st, gen = st.gen}) end
    st.awaiting = targets
    suspend(st)
    st.awaiting = nil
    for _, t in ipairs(targets) do t.waiters[st] = nil end
  end
  return true
end

------------------------------------------------------------------------------------------------ bridge calls
-- Called by the sandbox for every bridge call: inside a task the call is sent without blocking and the task
-- yields until its answer comes; elsewhere (nil) the sandbox makes the usual blocking call.
local function task_call(target, method, payload, line)
  local st = current_task()
  if not st then return nil end
  local status, id = host_send(target, method, payload, line, cancelling)
  if status ~= "ok" then return status, id end
  calls[id] = st
  st.call = id
  st.answer = nil
  while st.answer == nil do suspend(st) end
  st.call = nil
  local a = st.answer
  st.answer = nil
  return a[1], a[2]
end

-- Where the running task is, for a call whose line a tail call hid (`Task.spawn(function() return
-- LLM.complete(...) end)`): the line it was spawned at, or last waited at.
local function task_where()
  local st = TASK_OF[co_running()]
  if st then return st.file, st.line end
  return nil, nil
end

------------------------------------------------------------------------------------------------ the Task API
local TASK_MT = {__name = "Task", __metatable = false}
local methods = {}

local function state_of(t, where)
  local st = type(t) == "table" and ST[t] or nil
  if st == nil then
    error(make_error("invalid_argument", where .. ": expected a Task (from Task.spawn), got " .. type(t), false, 3), 0)
  end
  return st
end

local function task_handler(e)
  return e
end

local function spawn(fn, ...)
  if type(fn) ~= "function" then
    error(make_error("invalid_argument", "Task.spawn expects a function, got " .. type(fn), false, 2), 0)
  end
  next_id = next_id + 1
  local obj = setmetatable({}, TASK_MT)
  local st = {id = next_id, obj = obj, waiters = {}, gen = 0}
  st.file, st.line = spell_location(3)
  local args = pack(...)
  st.co = CO.create(function()
    return pack(xpcall(fn, task_handler, unpack(args, 1, args.n)))
  end)
  ST[obj] = st
  TASK_OF[st.co] = st
  live[st] = true
  push_ready(st)
  return obj
end

local function as_task(x, where)
  if type(x) == "function" then return ST[spawn(x)] end
  return state_of(x, where)
end

local function list_of(list, where)
  if type(list) ~= "table" then
    error(make_error("invalid_argument", where .. " expects a list of tasks or functions, got " .. type(list), false, 3), 0)
  end
  local out = {}
  for i = 1, #list do out[i] = as_task(list[i], where) end
  return out
end

local cancel

cancel = function(st)
  if st.status == "done" then return false end
  if st.status == "running" then
    st.cancel_requested = true
    if co_running() == st.co then error(cancelled_error(st), 0) end
    return true  -- it resumed the code that cancels it: it stops at its next wait
  end
  if st.call then host_cancel(st.call); calls[st.call] = nil; st.call = nil end
  local awaited = st.awaiting
  st.awaiting = nil
  co_close(st.co)  -- its to-be-closed variables are closed
  finish(st, false, cancelled_error(st))
  -- what it was waiting for goes too (a race, a timeout around a group...), as with asyncio's await
  for _, t in ipairs(awaited or {}) do cancel(t) end
  return true
end

local function observe(st)
  st.observed = true
  failures[st] = nil
end

local function values_of(st)
  observe(st)
  if st.ok then return unpack(st.results, 2, st.results.n) end
  error(st.err, 0)
end

local function first_done(sts, only_ok)
  local best
  for _, s in ipairs(sts) do
    if s.status == "done" and (not only_ok or s.ok) and (best == nil or s.seq < best.seq) then best = s end
  end
  return best
end

local function error_text(e)
  if type(e) == "table" and getmetatable(e) == error_mt then return tostring(e.message) end
  local ok, text = pcall(tostring, e)
  return ok and text or "(error)"
end

local Task = {}

function Task.spawn(fn, ...)
  return spawn(fn, ...)
end

function Task.await(t)
  local st = state_of(t, "Task.await")
  block_until(function() return st.status == "done" end, {st})
  return values_of(st)
end

function Task.all(list)
  local sts = list_of(list, "Task.all")
  block_until(function()
    for _, s in ipairs(sts) do
      if s.status ~= "done" then return false end
      if not s.ok then return true end
    end
    return true
  end, sts)
  local failed
  for _, s in ipairs(sts) do
    if s.status == "done" and not s.ok and (failed == nil or s.seq < failed.seq) then failed = s end
  end
  if failed then  -- the first failure is the result; the others are not needed any more
    for _, s in ipairs(sts) do cancel(s); observe(s) end
    return values_of(failed)
  end
  local results = {}
  for i, s in ipairs(sts) do
    observe(s)
    results[i] = s.results[2]
  end
  return sb.mark_array(results)
end

function Task.race(list)
  cancelling = true
  local sts = list_of(list, "Task.race")
  if #sts == 0 then error(make_error("invalid_argument", "Task.race needs at least one task", false, 2), 0) end
  block_until(function() return first_done(sts) ~= nil end, sts)
  local winner = first_done(sts)
  for _, s in ipairs(sts) do
    if s ~= winner then cancel(s) end
    observe(s)
  end
  return values_of(winner)
end

function Task.any(list)
  cancelling = true
  local sts = list_of(list, "Task.any")
  if #sts == 0 then error(make_error("invalid_argument", "Task.any needs at least one task", false, 2), 0) end
  block_until(function()
    if first_done(sts, true) then return true end
    for _, s in ipairs(sts) do if s.status ~= "done" then return false end end
    return true
  end, sts)
  local winner = first_done(sts, true)
  for _, s in ipairs(sts) do
    if s ~= winner then cancel(s) end
    observe(s)
  end
  if winner then return values_of(winner) end
  local first = first_done(sts)
  local e = first.err
  local code = type(e) == "table" and getmetatable(e) == error_mt and e.code or "runtime"
  error(make_error(code, "all " .. #sts .. " tasks failed; the first: " .. error_text(e), false, 2), 0)
end

local function seconds(s, where)
  local n = tonumber(s)
  if n == nil or n ~= n or n < 0 or n == math.huge then
    error(make_error("invalid_argument", where .. ": seconds must be a number ≥ 0, got " .. tostring(s), false, 3), 0)
  end
  return n
end

function Task.sleep(s)
  local deadline = host_clock() + seconds(s, "Task.sleep")
  block_until(function() return false end, {}, deadline)
end

function Task.timeout(s, t)
  cancelling = true
  local n = seconds(s, "Task.timeout")
  local st = as_task(t, "Task.timeout")
  local done = block_until(function() return st.status == "done" end, {st}, host_clock() + n)
  if not done then
    cancel(st)
    observe(st)
    error(make_error("timeout", sformat("task #%d did not finish within %g s (it was cancelled)", st.id, n),
                     false, 2), 0)
  end
  return values_of(st)
end

function Task.yield()
  local st = current_task()
  if st then
    push_ready(st)  -- queued behind the tasks ready now
    co_yield(SUSPEND)
  else
    run_until(function() return rhead > rtail end)
  end
end

methods.await = Task.await
function methods.cancel(t)
  cancelling = true
  return cancel(state_of(t, "Task:cancel"))
end
function methods.done(t)
  return state_of(t, "Task:done").status == "done"
end
function methods.status(t)
  local st = state_of(t, "Task:status")
  if st.status ~= "done" then return st.status end
  if st.ok then return "ok" end
  local e = st.err
  if type(e) == "table" and getmetatable(e) == error_mt and e.code == "cancelled" then return "cancelled" end
  return "failed"
end

TASK_MT.__index = function(_, k)
  local m = methods[k]
  if m == nil then error(make_error("invalid_argument", "Task has no member '" .. tostring(k) .. "'", false, 2), 0) end
  return m
end
TASK_MT.__newindex = function() error(make_error("invalid_argument", "cannot assign fields of a Task", false, 2), 0) end
TASK_MT.__tostring = function(t)
  local st = ST[t]
  return st and ("Task #" .. st.id .. " (" .. methods.status(t) .. ")") or "Task"
end

local TASK_GLOBAL = setmetatable(Task, {
  __index = function(_, k)
    error(make_error("invalid_argument", "Task has no member '" .. tostring(k) .. "'", false, 2), 0)
  end,
  __newindex = function(_, k)
    error(make_error("invalid_argument", "cannot assign Task." .. tostring(k), false, 2), 0)
  end,
  __metatable = false})

------------------------------------------------------------------------------------------------ end of the run
-- After the main chunk: tasks still running are waited for (as a JavaScript program waits for its promises);
-- a task that failed and that nobody awaited fails the run with its error.
local function drain()
  run_until(function() return next(live) == nil end)
  local failed
  for st in pairs(failures) do
    local e = st.err
    local was_cancelled = type(e) == "table" and getmetatable(e) == error_mt and e.code == "cancelled"
    if not was_cancelled and (failed == nil or st.seq < failed.seq) then failed = st end
  end
  if failed then
    observe(failed)
    error(failed.err, 0)
  end
end

-- The spell failed: tasks still waiting are cancelled (their calls on the host are abandoned).
local function cancel_all()
  for st in pairs(live) do
    if st.status ~= "running" then cancel(st) end
  end
end

-- For the debugger: every task not finished, with its coroutine.
local function list()
  local out = {}
  for st in pairs(live) do out[#out + 1] = {id = st.id, status = st.status, co = st.co, line = st.line} end
  table.sort(out, function(a, b) return a.id < b.id end)
  return out
end

-- For the debugger: "task #3" for a task's coroutine, nil for any other.
local function name_of(co)
  local st = TASK_OF[co]
  return st and ("task #" .. st.id) or nil
end

return {global = TASK_GLOBAL, task_call = task_call, task_where = task_where, name_of = name_of, drain = drain, cancel_all = cancel_all, list = list,
        set_coroutines = function(create, resume) CO.create, CO.resume = create, resume end}
