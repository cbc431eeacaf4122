-- The worker-side Lua debugger (see agent.py). Runs once per debug run, as chunk "=[llmspell-debug]", with the
-- real `debug` library; the spell never sees anything of it except the wrapped coroutine/pcall functions.
--
-- Call gating, per coroutine, three modes:
--   none   no hook at all (no function holding a breakpoint is active, nothing steps);
--   in     the running function holds a breakpoint: line hook, plus call and return hooks to notice leaving it;
--   below  a function holding a breakpoint waits further down the stack: only the return hook, which switches
--          back to "in" when control returns into such a function.
-- Functions holding a breakpoint announce themselves through a prologue (instrument.py) or, for breakpoints set
-- later in code loaded without one, through a call hook ("c" is then added to every mode). Pause and breakpoint
-- changes arrive asynchronously: agent.py sets a one-instruction count hook on the running coroutine from its
-- reader thread (lua_sethook, as lua.c does from its SIGINT handler), and the count hook polls.
local py = ...
local py_stop, py_poll, py_safe_point, py_output, py_eval_flag =
      py.stop, py.poll, py.safe_point, py.output, py.eval_flag

local debug, coroutine, string, table, math = debug, coroutine, string, table, math
local getinfo, sethook, getlocal, setlocal, getupvalue, setupvalue, getmetatable_raw =
      debug.getinfo, debug.sethook, debug.getlocal, debug.setlocal, debug.getupvalue, debug.setupvalue,
      debug.getmetatable
local co_create, co_resume, co_status, co_running, co_close = coroutine.create, coroutine.resume,
      coroutine.status, coroutine.running, coroutine.close
local type, pairs, next, tostring, tonumber, select, error, pcall, xpcall, setmetatable, rawget, rawset,
      rawlen, load, ipairs = type, pairs, next, tostring, tonumber, select, error, pcall, xpcall, setmetatable,
      rawget, rawset, rawlen, load, ipairs
local sformat, ssub, sfind, sgsub, concat, sort, pack, unpack = string.format, string.sub, string.find,
      string.gsub, table.concat, table.sort, table.pack, table.unpack

local SELF_SOURCE = "=[llmspell-debug]"
local TASKS_SOURCE = "=[llmspell tasks]"  -- the task scheduler (app/engines/lua_tasks.lua): never shown
local DBG_LOCAL = "__llmspell_dbg"
local MAX_STRING = 200          -- characters of a string shown inline
local MAX_SORT = 5000           -- tables with more keys are paged in iteration order
local EVAL_BUDGET = 2000        -- x 1000 instructions an evaluation may run
local MAX_FRAMES = 200

local env, sandbox_source                         -- set by setup()
local HOOK                                        -- the one hook function (forward)
local D = {}                                      -- D[k]: prototype k holds an enabled breakpoint; D.e: enter
local INSTR = {}                                  -- INSTR[k]: prototype k has a prologue
local PROTO = {}                                  -- PROTO[k] = {source, linedefined, pline, pline_code}
local BYSRC = {}                                  -- BYSRC[source][linedefined] = {k, ...}
local BP = {}                                     -- BP[line][source] = breakpoint (keyed by line first)
local STEP = nil                                  -- {mode = "in"|"over"|"out", thread, depth}
local CALL_GATE = false                           -- a breakpoint sits in a function without a prologue
local GEN = 0                                     -- breakpoint generation
local EVALUATING = false
local PAUSED = false
local break_on_error = true
local TS = setmetatable({}, {__mode = "k"})       -- thread → {mode = "none"|"in"|"below", gen}
local main_thread = co_running()
local CUR = {main_thread}                         -- CUR[1]: the running thread (read by the poker thread)
local GRAVE, ngrave = {}, 1                       -- recently left coroutines, kept alive until a safe point
local THREAD_NAMER = nil                            -- coroutine → its name ("task #3"), set by api.set_thread_namer
local TASK_LISTER = nil                             -- () → the live tasks {id, status, co, line}, ordered by id
local REFS, nrefs = {}, 0                         -- variable references, valid while stopped
local COND_CACHE = {}                             -- compiled conditions and log parts by text
local INITIAL_GLOBALS = {}
local BRIDGE_FN = setmetatable({}, {__mode = "k"}) -- sandbox function → "LLM.chat" or false
local ACTIVE, nactive = {main_thread}, 1          -- the chain of resumes (and callbacks) in progress
local CB_PREV = {}                                -- per running script callback: the thread that called the bridge
local INVOKE_CB                                   -- the sandbox's invoke_callback (its frames mark callbacks)

------------------------------------------------------------------------------------------------ thread state
local function tstate(co)
  local st = TS[co]
  if not st then st = {mode = "none"}; TS[co] = st end
  return st
end

local MASKS = {none = "", ["in"] = "lcr", below = "r"}

local function set_mode(co, mode)
  local st = tstate(co)
  st.mode = mode
  local m = MASKS[mode]
  if CALL_GATE and mode ~= "in" then m = m .. "c" end
  if STEP and STEP.thread == co and mode ~= "in" then m = m .. "l" end
  sethook(co, HOOK, m)   -- an empty mask keeps HOOK registered for the thread at no cost
end

local function proto_of(info)
  local bysrc = BYSRC[info.source]
  if not bysrc then return nil end
  return bysrc[info.linedefined]
end

local function holds_bp(info)
  local ks = proto_of(info)
  if not ks then return false end
  for i = 1, #ks do if D[ks[i]] then return true end end
  return false
end

-- Does any frame of `co` from `level` down hold a breakpoint? (levels as getinfo(co, level) counts them)
local function stack_holds_bp(co, level)
  while true do
    local info = getinfo(co, level, "S")
    if not info then return false end
    if info.what ~= "C" and holds_bp(info) then return true end
    level = level + 1
  end
end

-- Set the mode of `co` from its stack: the frame at `lvl` (caller's numbering for the running coroutine,
-- absolute otherwise) is the one that runs next. When that frame is our own bookkeeping, "below" is right:
-- the return hook corrects it to "in" once control is back in a function holding a breakpoint.
local function set_mode_from(co, lvl)
  local l = (co == co_running()) and lvl + 1 or lvl
  local info = getinfo(co, l, "S")
  if info and info.what ~= "C" and holds_bp(info) then
    set_mode(co, "in")
  elseif stack_holds_bp(co, l + 1) then
    set_mode(co, "below")
  else
    set_mode(co, "none")
  end
end

local function refresh(co)
  if co == co_running() then set_mode_from(co, 1) else set_mode_from(co, 0) end
end

------------------------------------------------------------------------------------------------ coroutines
local function register(co)
  TS[co] = {mode = "none"}
  sethook(co, HOOK, CALL_GATE and "c" or "")
  return co
end

-- Stepping across a resume: step-in follows into the coroutine; a step in a coroutine that ends (or a step-in
-- that comes back out of one) goes on in the resumer. (Called only while something steps.)
local function step_into(co, prev)
  local step = STEP
  if step.mode == "in" and step.thread == prev then
    STEP = {mode = "in", thread = co, depth = 0, pause = step.pause}
    set_mode(co, tstate(co).mode)
    set_mode(prev, tstate(prev).mode)
  end
end

local function step_back(co, prev)
  local step = STEP
  if step.thread == co and (step.mode == "in" or co_status(co) == "dead") then
    STEP = {mode = "in", thread = prev, depth = 0, pause = step.pause}
    set_mode(prev, tstate(prev).mode)
    set_mode(co, tstate(co).mode)
  end
end

local function left(co, prev)
  CUR[1] = prev
  ACTIVE[nactive] = nil
  nactive = nactive - 1
  GRAVE[ngrave] = co            -- a ring: slots are reused only after a safe point
  ngrave = ngrave + 1
  if ngrave > 256 then
    py_safe_point()
    ngrave = 1
  end
  if STEP then step_back(co, prev) end
end

local function after_resume(co, prev, ...)
  left(co, prev)
  return ...
end

local function resume(co, ...)
  if type(co) ~= "thread" then return co_resume(co, ...) end
  local prev = CUR[1]
  if STEP then step_into(co, prev) end
  CUR[1] = co
  nactive = nactive + 1
  ACTIVE[nactive] = co
  return after_resume(co, prev, co_resume(co, ...))
end

local function create(f)
  return register(co_create(f))
end

local function wrap_result(co, prev, ok, ...)
  left(co, prev)
  if ok then return ... end
  local e = ...
  if co_status(co) == "dead" and co_close then pcall(co_close, co) end
  if type(e) == "string" then error(e, 2) end
  error(e, 0)
end

local error_stop            -- (defined below) stop at an uncaught error, where it happened
local RUN_MAIN              -- the sandbox's run_main: its xpcall is the root, not a catch
local LAST_ERROR = nil      -- the last error stopped at (not stopped at again on its way out)

-- Would an error leaving coroutine `co` be caught? Only by a pcall/xpcall in the coroutines that resumed it
-- (the sandbox's own xpcall around the spell's main chunk does not count; one around a callback does).
local function error_is_caught(co)
  for i = nactive, 1, -1 do
    local th = ACTIVE[i]
    if th == co then goto next_thread end
    local level = 0
    while true do
      local info = getinfo(th, level, "f")
      if not info then break end
      if info.func == pcall or info.func == xpcall then
        local caller = getinfo(th, level + 1, "f")
        if not caller or caller.func ~= RUN_MAIN then return true end
      end
      level = level + 1
    end
    ::next_thread::
  end
  return false
end

local function coroutine_error(e)
  if break_on_error and not PAUSED and not EVALUATING and not error_is_caught(co_running()) then
    error_stop(e)
  end
  return e
end

local function body_result(ok, ...)
  if ok then return ... end
  error((...), 0)
end

-- coroutine.wrap rethrows errors: the body runs under a message handler, so an error nobody catches stops the
-- run where it happened, inside the coroutine, with its whole stack.
local function wrap(f)
  local co = create(function(...) return body_result(xpcall(f, coroutine_error, ...)) end)
  return function(...)
    local prev = CUR[1]
    if STEP then step_into(co, prev) end
    CUR[1] = co
    nactive = nactive + 1
    ACTIVE[nactive] = co
    return wrap_result(co, prev, co_resume(co, ...))
  end
end

local function after_pcall(ok, ...)
  if not ok then
    local co = co_running()
    local st = TS[co]
    if st and st.mode ~= "none" then refresh(co) end
  end
  return ok, ...
end

------------------------------------------------------------------------------------------------ values
local function is_spell(src) return type(src) == "string" and ssub(src, 1, 1) == "@" end

local function short_string(s)
  local n = #s
  local shown = n > MAX_STRING and ssub(s, 1, MAX_STRING) or s
  shown = sformat("%q", shown):gsub("\\\n", "\\n")
  if n > MAX_STRING then shown = shown .. "…" end
  return shown, n > MAX_STRING
end

local function count_entries(t, cap)
  local n = 0
  for _ in next, t do
    n = n + 1
    if n >= cap then return n, true end
  end
  return n, false
end

local function bridge_name(f)
  local cached = BRIDGE_FN[f]
  if cached ~= nil then return cached end
  local name = false
  local info = getinfo(f, "S")
  if info.source == sandbox_source then
    local method, target_of
    for i = 1, 12 do
      local k, v = getupvalue(f, i)
      if not k then break end
      if k == "method" then method = v elseif k == "target_of" then target_of = v end
    end
    if type(method) == "string" and type(target_of) == "function" then
      local target
      for i = 1, 6 do
        local k, v = getupvalue(target_of, i)
        if not k then break end
        if (k == "name" or k == "tname") and type(v) == "string" then target = v end
      end
      name = (target or "?") .. "." .. method
    end
  end
  BRIDGE_FN[f] = name
  return name
end

local function describe(v)
  local t = type(v)
  if t == "string" then
    local s, cut = short_string(v)
    return s, t, cut, #v
  elseif t == "table" then
    local mt = getmetatable_raw(v)
    if type(mt) == "table" and rawget(mt, "__handle_type") then
      return tostring(rawget(mt, "__handle_type")) .. " #" .. tostring(rawget(v, "__handle")), "object", false
    end
    if type(mt) == "table" and rawget(mt, "__name") == "SpellError" then
      return "error " .. tostring(rawget(v, "code")) .. ": " .. tostring(rawget(v, "message")), "error", true
    end
    local len = rawlen(v)
    if len > 10000 then return sformat("array [%d]", len), "table", true, len end
    local n, more = count_entries(v, 100000)
    if n == 0 then return "{}", "table", false, 0 end
    if len == n then return sformat("array [%d]", n), "table", true, n end
    return sformat("table {%s%d}", more and ">" or "", n), "table", true, n
  elseif t == "function" then
    local b = bridge_name(v)
    if b then return "bridge " .. b, "function", false end
    local info = getinfo(v, "S")
    if info.what == "C" then return "builtin function", "function", false end
    if is_spell(info.source) then
      return sformat("function (%s:%d)", ssub(info.source, 2), info.linedefined), "function", false
    end
    return "function", "function", false
  elseif t == "number" then
    if math.type(v) == "integer" then return sformat("%d", v), t, false end
    return tostring(v), t, false
  end
  return tostring(v), t, false
end

local function new_ref(rec)
  nrefs = nrefs + 1
  REFS[nrefs] = rec
  return nrefs
end

local function variable(name, v)
  local shown, t, expandable, length = describe(v)
  local ref = 0
  if expandable then ref = new_ref({kind = "value", value = v}) end
  return {name = name, value = shown, type = t, ref = ref, length = length}
end

------------------------------------------------------------------------------------------------ frames
-- Levels. For the running thread a level is relative to the function using it (debug.* semantics); for another
-- thread (a stopped coroutine, while lupa runs our calls from Python on the main thread) it is absolute, 0 being
-- that thread's top frame. Functions take `lvl` in their caller's numbering; own() gives their own numbering.
local function own(T, lvl)
  if T == co_running() then return lvl + 1 end
  return lvl
end

-- The thread to inspect: the one that stopped or that waits in a bridge call.
local function target() return CUR[1] end

-- A name for a function Lua cannot name (called through pcall, a bridge, a coroutine): a local or upvalue of
-- the frames below that holds it, or a global.
local function guess_name(T, func, lvl)
  local l0 = own(T, lvl)
  for l = l0 + 1, l0 + 6 do
    local info = getinfo(T, l, "Sf")
    if not info then break end
    if is_spell(info.source) then
      for i = 1, 255 do
        local k, v = getlocal(T, l, i)
        if not k then break end
        if v == func and ssub(k, 1, 1) ~= "(" then return k end
      end
      if info.func then
        for i = 1, 255 do
          local k, v = getupvalue(info.func, i)
          if not k then break end
          if v == func then return k end
        end
      end
    end
  end
  for k, v in next, env do
    if v == func and type(k) == "string" then return k end
  end
  return nil
end

-- Visible frames of thread T, top first; `lvl` of each is in the caller's numbering.
local function frames(T)
  -- The logical stack: T's frames; where a script function runs for a bridge (a tool body: it runs on the main
  -- coroutine), the frames of the coroutine that made that bridge call; then the coroutines that resumed them.
  -- Each record knows its thread; `lvl` is in the caller's numbering.
  local out, visited, pending = {}, {}, {}
  local cbi = #CB_PREV
  local ai = nactive   -- where T sits in the chain of resumes (the threads below resumed it)
  while ai >= 1 and ACTIVE[ai] ~= T do ai = ai - 1 end
  local th, level = T, nil
  while th and #out < MAX_FRAMES do
    local current = th == co_running()
    if level == nil then
      level = current and 2 or 0
      visited[th] = true
    end
    local info = getinfo(th, level, "Slnf")
    if not info then
      local cont = pending[#pending]
      if cont then
        pending[#pending] = nil
        th, level = cont[1], cont[2]
      else
        ai = ai - 1
        while ai >= 1 and visited[ACTIVE[ai]] do ai = ai - 1 end
        th, level = ACTIVE[ai], nil
      end
    else
      local lvl = current and level - 1 or level
      local label = (th == main_thread) and "main" or (THREAD_NAMER and THREAD_NAMER(th)) or "coroutine"
      local next_level = level + 1
      if is_spell(info.source) then
        local name = info.name
        if not name and info.what ~= "main" then name = guess_name(th, info.func, level) end
        if not name then name = (info.what == "main") and "main chunk" or "function" end
        out[#out + 1] = {name = name, chunk = ssub(info.source, 2), line = info.currentline, kind = "spell",
                         lvl = lvl, linedefined = info.linedefined, thread = th, thread_label = label}
      elseif info.source == sandbox_source then
        if info.func == INVOKE_CB and cbi >= 1 then
          -- a script function called by a bridge: continue with the coroutine that waits in that bridge call
          local prev = CB_PREV[cbi]
          cbi = cbi - 1
          if prev ~= th and not visited[prev] then
            pending[#pending + 1] = {th, next_level}
            th, next_level = prev, nil
          end
        else
          -- the sandbox's call_host(target, method, ...) frame: a bridge call in progress
          local k1, target_name = getlocal(th, level, 1)
          local k2, method = getlocal(th, level, 2)
          if k1 == "target" and k2 == "method" and type(method) == "string" then
            local t = type(target_name) == "string" and target_name or ("object #" .. tostring(target_name))
            out[#out + 1] = {name = t .. "." .. method, kind = "bridge", lvl = lvl, thread = th,
                             thread_label = label}
          end
        end
      elseif info.source ~= SELF_SOURCE and info.source ~= TASKS_SOURCE and info.what ~= "C" then
        out[#out + 1] = {name = info.name or "function", chunk = info.short_src, line = info.currentline,
                         kind = "chunk", lvl = lvl, thread = th, thread_label = label}
      end
      level = next_level
    end
  end
  -- then every other task that waits (its own stack, labelled "task #n (waiting)"): what the spell is doing
  -- concurrently, inspectable like any frame
  if TASK_LISTER then
    for _, t in ipairs(TASK_LISTER()) do
      local co = t.co
      if #out >= MAX_FRAMES then break end
      if not visited[co] and co_status(co) == "suspended" then
        visited[co] = true
        local label = ((THREAD_NAMER and THREAD_NAMER(co)) or "task") .. " (" .. tostring(t.status) .. ")"
        local lv = 0
        while #out < MAX_FRAMES do
          local info = getinfo(co, lv, "Slnf")
          if not info then break end
          if is_spell(info.source) then
            local name = info.name or guess_name(co, info.func, lv) or "function"
            out[#out + 1] = {name = name, chunk = ssub(info.source, 2), line = info.currentline, kind = "spell",
                             lvl = lv, linedefined = info.linedefined, thread = co, thread_label = label}
          end
          lv = lv + 1
        end
      end
    end
  end
  return out
end

-- Frames of T from the one at `lvl` (caller's numbering) to the bottom of the thread.
local function depth_below(T, lvl)
  local l = own(T, lvl)
  local n = l
  while getinfo(T, n, "l") do n = n + 1 end
  return n - l
end

------------------------------------------------------------------------------------------------ snapshots
-- Locals, upvalues and varargs of the frame of T at `lvl` (caller's numbering): names → values.
local function snapshot(T, lvl)
  local l = own(T, lvl)
  local vals, present, varargs = {}, {}, {}
  local info = getinfo(T, l, "f")
  if info and info.func then
    for i = 1, 255 do
      local k, v = getupvalue(info.func, i)
      if not k then break end
      if k ~= "_ENV" and k ~= DBG_LOCAL then vals[k] = v; present[k] = true end
    end
  end
  for i = 1, 255 do
    local k, v = getlocal(T, l, i)
    if not k then break end
    if ssub(k, 1, 1) ~= "(" and k ~= DBG_LOCAL then vals[k] = v; present[k] = true end
  end
  for i = 1, 255 do
    local k, v = getlocal(T, l, -i)
    if not k then break end
    varargs[i] = v
    varargs.n = i
  end
  return vals, present, varargs
end

local function eval_env(vals, present)
  return setmetatable({}, {
    __index = function(_, k)
      if present[k] then return vals[k] end
      return env[k]
    end,
    __newindex = function(_, k)
      error("evaluation is read-only: cannot assign '" .. tostring(k) .. "'", 2)
    end})
end

-- Run `fn` in a fresh coroutine (hooks work there, unlike inside a hook), with an instruction budget.
local function run_eval(fn, ...)
  local co = co_create(fn)
  local steps = 0
  sethook(co, function()
    steps = steps + 1
    if steps > EVAL_BUDGET then error("evaluation took too long (stopped)", 0) end
  end, "", 1000)
  local was = EVALUATING
  EVALUATING = true
  py_eval_flag(true)
  local res = pack(co_resume(co, ...))
  EVALUATING = was
  py_eval_flag(was)
  if res[1] and co_status(co) ~= "dead" then
    return false, "evaluation yielded (coroutine.yield is not allowed here)"
  end
  return unpack(res, 1, res.n)
end

local function error_text(e)
  if type(e) == "string" then return (e:gsub("^%(expression%):%d+: ", "")) end
  if type(e) == "table" then
    local mt = getmetatable_raw(e)
    if type(mt) == "table" and rawget(mt, "__name") == "SpellError" then
      return tostring(rawget(e, "code")) .. ": " .. tostring(rawget(e, "message"))
    end
  end
  return tostring(e)
end

local function compile_expr(expr)
  local c = COND_CACHE[expr]
  if c then return c.fn, c.err end
  -- the env is swapped per evaluation through the first upvalue (_ENV) of the compiled chunk
  local fn, err = load("return " .. expr, "=(expression)", "t", {})
  if not fn then
    local st = load(expr, "=(expression)", "t", {})
    if st then err = "only expressions can be evaluated here (statements and assignments are refused)"
    else err = ssub(tostring(err), 1, 300):gsub("^%(expression%):%d+: ", "") end
  end
  COND_CACHE[expr] = {fn = fn, err = err}
  return fn, err
end

local function eval_in(T, lvl, expr)
  local fn, err = compile_expr(expr)
  if not fn then return false, err end
  local vals, present, varargs = snapshot(T, own(T, lvl))
  debug.setupvalue(fn, 1, eval_env(vals, present))
  local res = pack(run_eval(fn, unpack(varargs, 1, varargs.n or 0)))
  if not res[1] then return false, error_text(res[2]) end
  return true, res[2]
end

------------------------------------------------------------------------------------------------ stopping
local function apply_resume(action, lvl)
  local co = co_running()
  if action == "step_in" or action == "step_over" or action == "step_out" then
    STEP = {mode = ssub(action, 6), thread = co, depth = depth_below(co, lvl + 1)}
  else
    STEP = nil
  end
  REFS, nrefs = {}, 0
  set_mode_from(co, lvl + 1)   -- the stopped frame runs on
end

-- Stop here: `lvl` is the stopped frame relative to the caller of stop. Returns after the user resumes.
local function stop(lvl, reason, extra)
  PAUSED = true
  STEP = nil
  local action = py_stop(reason, extra or {})
  PAUSED = false
  apply_resume(action, lvl + 1)
  return action
end

local function hit_ok(bp)
  bp.hits = bp.hits + 1
  local n = bp.hit_n
  if not n then return true end
  local mode = bp.hit_mode
  if mode == "==" then return bp.hits == n
  elseif mode == "%" then return bp.hits % n == 0
  else return bp.hits >= n end
end

local function log_message(bp, lvl)
  local parts = {}
  for _, p in ipairs(bp.log_parts) do
    if p.expr then
      local ok, v = eval_in(co_running(), lvl + 1, p.expr)
      if ok then
        if type(v) == "string" then parts[#parts + 1] = v else parts[#parts + 1] = (describe(v)) end
      else parts[#parts + 1] = "{" .. p.expr .. ": " .. tostring(v) .. "}" end
    else
      parts[#parts + 1] = p.text
    end
  end
  return concat(parts)
end

-- A breakpoint line was reached in the frame at `lvl` (relative to the caller). Returns true when stopped.
local function check_bp(bp, lvl, line)
  if not bp.enabled then return false end
  if bp.condition then
    if bp.cond_error then
      stop(lvl + 1, "condition_error", {bp_id = bp.id, line = line, message = bp.cond_error,
                                        condition = bp.condition})
      return true
    end
    local ok, v = eval_in(co_running(), lvl + 1, bp.condition)
    if not ok then
      stop(lvl + 1, "condition_error", {bp_id = bp.id, line = line, message = v, condition = bp.condition})
      return true
    end
    if not v then return false end
  end
  if not hit_ok(bp) then return false end
  if bp.log_parts then
    py_output(log_message(bp, lvl + 1))
    return false
  end
  if bp.temporary then bp.enabled = false end
  stop(lvl + 1, bp.temporary and "run_to_cursor" or "breakpoint", {bp_id = bp.id, line = line})
  return true
end

local function on_line(line)
  -- level 3 here is the function whose line it is (HOOK → on_line)
  local bl = BP[line]
  if bl then
    local info = getinfo(3, "S")
    local bp = bl[info.source]
    if bp and not (line == info.linedefined and info.what ~= "main" and not (proto_of(info) and
        PROTO[proto_of(info)[1]].pline_code)) then
      if check_bp(bp, 3, line) then return end
    end
  end
  local step = STEP
  if step then
    local co = co_running()
    if step.thread ~= co then return end
    local mode = step.mode
    local info = getinfo(3, "S")
    if not is_spell(info.source) then return end
    local reason = step.pause and "pause" or "step"
    if mode == "in" then
      stop(3, reason)
    elseif mode == "over" then
      if not getinfo(3 + step.depth, "l") then stop(3, reason) end
    else -- out
      if not getinfo(2 + step.depth, "l") then stop(3, reason) end
    end
  end
end

-- (levels here: 1 this function, 2 HOOK, 3 the function the event is about, 4 its caller)
local function on_return()
  local co = co_running()
  local st = tstate(co)
  if st.mode == "in" then
    -- the function holding a breakpoint returns (our own bookkeeping's returns do not count)
    local info = getinfo(3, "S")
    if info.what == "C" or info.source == SELF_SOURCE then return end
    local caller = getinfo(4, "S")
    if caller and caller.what ~= "C" and holds_bp(caller) then return end
    set_mode(co, stack_holds_bp(co, 5) and "below" or "none")
  elseif st.mode == "below" then
    local caller = getinfo(4, "S")
    if caller and caller.what ~= "C" and holds_bp(caller) then set_mode(co, "in") end
  end
end

local function on_call(ev)
  local co = co_running()
  local st = tstate(co)
  local info = getinfo(3, "S")
  if info.what ~= "C" and holds_bp(info) then
    if st.mode ~= "in" then set_mode(co, "in") end
  elseif st.mode == "in" then
    if ev == "tail call" then
      -- the function holding the breakpoint was replaced by this one
      set_mode(co, stack_holds_bp(co, 5) and "below" or "none")
    else
      set_mode(co, "below")
    end
  end
end

local function on_count()
  local co = co_running()
  set_mode(co, tstate(co).mode)     -- drop the count hook the poker set
  local gen_before = GEN
  local action = py_poll()
  if action == "pause" then
    -- stop at the next spell line this thread runs (the count hook may fire inside internals)
    STEP = {mode = "in", thread = co, depth = 0, pause = true}
    set_mode(co, tstate(co).mode)
  end
  if GEN ~= gen_before then set_mode_from(co, 3) end   -- breakpoints changed: precise mode for this frame
end

HOOK = function(ev, line)
  if PAUSED or EVALUATING then return end
  if ev == "line" then
    on_line(line)
  elseif ev == "return" then
    on_return()
  elseif ev == "count" then
    on_count()
  elseif ev == "call" or ev == "tail call" then
    on_call(ev)
  end
end

-- The prologue of a function holding a breakpoint (instrument.py).
D.e = function(k)
  if EVALUATING or PAUSED then return end
  local co = co_running()
  local st = TS[co]
  if not st then st = tstate(co) end
  local was_on = st.mode == "in" or (STEP and STEP.thread == co)
  if st.mode ~= "in" then set_mode(co, "in") end
  local p = PROTO[k]
  if p and p.pline_code and not was_on then
    -- the prologue shares its line with code: that line's event already passed, check it here
    local bl = BP[p.pline]
    local bp = bl and bl[p.source]
    if bp then check_bp(bp, 2, p.pline) end
  end
end

------------------------------------------------------------------------------------------------ API for agent.py
local api = {}

function api.setup(spell_env, sb_source, options, invoke_callback, run_main)
  env = spell_env
  sandbox_source = sb_source
  INVOKE_CB = invoke_callback
  RUN_MAIN = run_main
  break_on_error = options.break_on_error ~= false
  for k in pairs(env) do INITIAL_GLOBALS[k] = true end
  local c = env.coroutine
  c.create, c.resume, c.wrap = create, resume, wrap
  env.pcall = function(f, ...) return after_pcall(pcall(f, ...)) end
  env.xpcall = function(f, h, ...) return after_pcall(xpcall(f, h, ...)) end
  register(main_thread)
  -- a huge count so the C hook function can be read back (agent.py), then no hook at all
  sethook(main_thread, HOOK, "", 1 << 30)
  return D, CUR, sformat("%p", main_thread), sformat("%p", CUR)
end

-- Hand the debugger's table to the next instrumented chunk (its first statement takes it and clears the key).
function api.arm_env(key)
  rawset(env, key, D)
end

-- A script function is about to run for a bridge (agent.py): it runs on the main coroutine.
function api.enter_callback()
  local prev = CUR[1]
  CB_PREV[#CB_PREV + 1] = prev
  local co = co_running()
  CUR[1] = co
  nactive = nactive + 1
  ACTIVE[nactive] = co
  if STEP and STEP.mode == "in" and STEP.thread == prev and prev ~= co then
    -- stepping into a bridge call that runs a script function: follow it onto the main coroutine
    STEP = {mode = "in", thread = co, depth = 0, pause = STEP.pause}
    set_mode(co, tstate(co).mode)
  end
end

function api.leave_callback()
  local prev = CB_PREV[#CB_PREV]
  CB_PREV[#CB_PREV] = nil
  if prev then CUR[1] = prev end
  ACTIVE[nactive] = nil
  nactive = nactive - 1
end

function api.hook_off()
  sethook(main_thread, HOOK, "")
end

function api.add_chunk(source, protos)
  local bysrc = BYSRC[source] or {}
  BYSRC[source] = bysrc
  for _, p in ipairs(protos) do
    PROTO[p.k] = {source = source, linedefined = p.linedefined, pline = p.pline, pline_code = p.pline_code}
    INSTR[p.k] = p.instrumented
    D[p.k] = false
    local ks = bysrc[p.linedefined]
    if not ks then ks = {}; bysrc[p.linedefined] = ks end
    ks[#ks + 1] = p.k
  end
end

local function parse_log(msg)
  local parts = {}
  local pos = 1
  while true do
    local s, e, expr = sfind(msg, "{([^{}]+)}", pos)
    if not s then break end
    if s > pos then parts[#parts + 1] = {text = ssub(msg, pos, s - 1)} end
    parts[#parts + 1] = {expr = expr}
    pos = e + 1
  end
  if pos <= #msg then parts[#parts + 1] = {text = ssub(msg, pos)} end
  return parts
end

-- Replace all breakpoints. Each: {id, source, line, protos = {k...}, condition, hit_mode, hit_n, log,
-- enabled, temporary}. Returns {id → condition error} for conditions that do not compile.
function api.set_breakpoints(list)
  local old = {}
  for _, bysrc in pairs(BP) do for _, bp in pairs(bysrc) do old[bp.id] = bp end end
  BP = {}
  for k in pairs(PROTO) do D[k] = false end
  local errors = {}
  for _, b in ipairs(list) do
    local prev = old[b.id]
    local bp = {id = b.id, line = b.line, enabled = b.enabled ~= false, hit_mode = b.hit_mode, hit_n = b.hit_n,
                temporary = b.temporary, hits = (prev and prev.condition == b.condition) and prev.hits or 0}
    if b.condition and b.condition ~= "" then
      bp.condition = b.condition
      local fn, err = compile_expr(b.condition)
      if not fn then bp.cond_error = err; errors[tostring(b.id)] = err end
    end
    if b.log and b.log ~= "" then
      bp.log_parts = parse_log(b.log)
      for _, p in ipairs(bp.log_parts) do
        if p.expr then
          local fn, err = compile_expr(p.expr)
          if not fn then errors[tostring(b.id)] = "{" .. p.expr .. "}: " .. err end
        end
      end
    end
    local bl = BP[b.line]
    if not bl then bl = {}; BP[b.line] = bl end
    bl[b.source] = bp
    if bp.enabled then for _, k in ipairs(b.protos) do D[k] = true end end
  end
  CALL_GATE = false
  for k in pairs(PROTO) do
    if D[k] and not INSTR[k] then CALL_GATE = true; break end
  end
  GEN = GEN + 1
  -- every coroutine takes the new breakpoints into account now (the running one again, precisely, in its hook)
  for th in pairs(TS) do
    if co_status(th) ~= "dead" then refresh(th) end
  end
  return errors
end

-- Called from agent.py while running (poll) or stopped: re-arm the running thread after breakpoint changes.
-- Names for coroutines that are tasks ("task #3") and the list of tasks (each with its coroutine), from
-- lua_tasks.lua: stacks show the other waiting tasks too.
function api.set_thread_namer(namer, lister)
  THREAD_NAMER = namer
  TASK_LISTER = lister
end

function api.refresh_current()
  refresh(target())
end

function api.stack()
  local out = {}
  for i, f in ipairs(frames(target())) do
    out[i] = {id = i, name = f.name, chunk = f.chunk, line = f.line, kind = f.kind, thread = f.thread_label}
  end
  return out
end

-- Visible frame `id` (1 = top) of the stack shown for thread T: its level in the caller's numbering, the
-- frame, and the thread it belongs to.
local function frame_level(T, id)
  local fs = frames(T)
  local f = fs[id]
  if not f then return nil end
  if f.thread == co_running() then return f.lvl - 1, f, f.thread end
  return f.lvl, f, f.thread
end

function api.scopes(id)
  local lvl, _, T = frame_level(target(), id)
  if not lvl then return nil, "no frame " .. tostring(id) end
  local out = {
    {name = "Locals", ref = new_ref({kind = "locals", frame = id})},
    {name = "Upvalues", ref = new_ref({kind = "upvalues", frame = id})},
  }
  if getlocal(T, lvl, -1) then out[#out + 1] = {name = "Varargs", ref = new_ref({kind = "varargs", frame = id})} end
  out[#out + 1] = {name = "Globals", ref = new_ref({kind = "globals"})}
  return out
end

local function key_name(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  if type(k) == "string" then return "[" .. (short_string(k)) .. "]" end
  if math.type(k) == "integer" then return "[" .. sformat("%d", k) .. "]" end
  return "[" .. (describe(k)) .. "]"
end

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta == "number" and tb == "number" then return a < b end
  if ta == "number" then return true end
  if tb == "number" then return false end
  if ta == "string" and tb == "string" then return a < b end
  if ta == "string" then return true end
  if tb == "string" then return false end
  return tostring(a) < tostring(b)
end

local function table_children(t, start, count)
  local items = {}
  local n, more = count_entries(t, MAX_SORT + 1)
  local len = rawlen(t)
  local total
  if len == n and not more then
    total = n
    for i = start + 1, math.min(n, start + count) do items[#items + 1] = variable(key_name(i), rawget(t, i)) end
  elseif not more then
    local keys = {}
    for k in next, t do keys[#keys + 1] = k end
    sort(keys, key_less)
    total = #keys
    for i = start + 1, math.min(total, start + count) do
      local k = keys[i]
      items[#items + 1] = variable(key_name(k), rawget(t, k))
    end
  else
    -- big table: array part in order, then the rest in iteration order (stable while stopped)
    total = count_entries(t, math.huge)
    local i = 0
    for k, v in next, t do
      if i >= start + count then break end
      if i >= start then items[#items + 1] = variable(key_name(k), v) end
      i = i + 1
    end
  end
  local mt = getmetatable_raw(t)
  if start == 0 and type(mt) == "table" then
    table.insert(items, 1, variable("[metatable]", mt))
  end
  return items, total
end

function api.variables(ref, start, count)
  local r = REFS[ref]
  if not r then return nil, "unknown variable reference " .. tostring(ref) end
  start, count = start or 0, count or 100
  local items, total = {}, 0
  if r.kind == "locals" or r.kind == "upvalues" or r.kind == "varargs" then
    local lvl, _, T = frame_level(target(), r.frame)
    if not lvl then return nil, "no frame " .. tostring(r.frame) end
    local all = {}
    if r.kind == "locals" then
      for i = 1, 255 do
        local k, v = getlocal(T, lvl, i)
        if not k then break end
        if ssub(k, 1, 1) ~= "(" and k ~= DBG_LOCAL then all[#all + 1] = variable(k, v) end
      end
    elseif r.kind == "varargs" then
      for i = 1, 255 do
        local k, v = getlocal(T, lvl, -i)
        if not k then break end
        all[#all + 1] = variable("..." .. i, v)
      end
    else
      local f = getinfo(T, lvl, "f").func
      for i = 1, 255 do
        local k, v = getupvalue(f, i)
        if not k then break end
        if k ~= "_ENV" and k ~= DBG_LOCAL then all[#all + 1] = variable(k, v) end
      end
    end
    total = #all
    for i = start + 1, math.min(total, start + count) do items[#items + 1] = all[i] end
  elseif r.kind == "globals" then
    local keys = {}
    for k in next, env do
      if not INITIAL_GLOBALS[k] and type(k) == "string" then keys[#keys + 1] = k end
    end
    sort(keys)
    total = #keys
    for i = start + 1, math.min(total, start + count) do items[#items + 1] = variable(keys[i], rawget(env, keys[i])) end
  elseif r.kind == "value" then
    local v = r.value
    if type(v) == "table" then
      items, total = table_children(v, start, count)
    elseif type(v) == "string" then
      total = 0
    end
  end
  return {items = items, total = total}
end

-- A slice of a long string behind a variable reference (1-based offset, bytes).
function api.string_slice(ref, offset, length)
  local r = REFS[ref]
  if not r or type(r.value) ~= "string" then return nil, "not a string reference" end
  return ssub(r.value, offset, offset + length - 1), #r.value
end

function api.evaluate(expr, id)
  local T = target()
  if not id then  -- hover and watches without a chosen frame: the top spell frame
    for i, f in ipairs(frames(T)) do if f.kind == "spell" then id = i; break end end
  end
  local lvl, _, TH = frame_level(T, id or 1)
  T = TH
  if not lvl then
    -- no spell frame (e.g. before the first line): globals only
    local fn, err = compile_expr(expr)
    if not fn then return {ok = false, error = err} end
    debug.setupvalue(fn, 1, eval_env({}, {}))
    local res = pack(run_eval(fn))
    if not res[1] then return {ok = false, error = error_text(res[2])} end
    local v = variable("result", res[2])
    v.ok = true
    return v
  end
  local ok, v = eval_in(T, lvl, expr)
  if not ok then return {ok = false, error = v} end
  local out = variable("result", v)
  out.ok = true
  return out
end

function api.set_variable(ref, name, expr)
  local r = REFS[ref]
  if not r then return {ok = false, error = "unknown variable reference"} end
  local frame = r.frame or 1
  local lvl, _, T = frame_level(target(), frame)
  local ok, value
  if lvl then ok, value = eval_in(T, lvl, expr) else ok, value = false, "no frame" end
  if not ok then return {ok = false, error = value} end
  if r.kind == "locals" then
    local found
    for i = 1, 255 do
      local k = getlocal(T, lvl, i)
      if not k then break end
      if k == name then found = i end
    end
    if not found then return {ok = false, error = "no local named " .. name} end
    setlocal(T, lvl, found, value)
  elseif r.kind == "upvalues" then
    local f = getinfo(T, lvl, "f").func
    local found
    for i = 1, 255 do
      local k = getupvalue(f, i)
      if not k then break end
      if k == name then found = i; break end
    end
    if not found then return {ok = false, error = "no upvalue named " .. name} end
    setupvalue(f, found, value)
  elseif r.kind == "value" and type(r.value) == "table" then
    local key = name
    local inner = name:match("^%[(.*)%]$")
    if inner then key = tonumber(inner) or inner:match('^"(.*)"$') or inner end
    rawset(r.value, key, value)
  else
    return {ok = false, error = "this variable cannot be set"}
  end
  local out = variable(name, value)
  out.ok = true
  return out
end

-- Step from a host-side stop (an LLM or tool call breakpoint): the top spell frame is the step origin.
function api.begin_step(action)
  local co = target()
  local fs = frames(co)
  if #fs == 0 then STEP = nil; return end
  local top
  for _, f in ipairs(fs) do if f.kind == "spell" then top = f; break end end
  if not top then STEP = nil; return end
  local th = top.thread
  STEP = {mode = ssub(action, 6), thread = th, depth = depth_below(th, top.lvl)}
  if action == "step_in" then STEP.depth = 0 end
  REFS, nrefs = {}, 0
  set_mode(th, tstate(th).mode)
end

-- Pause asked while the spell waits in a bridge call: stop at the next spell line after it returns.
function api.begin_pause()
  local co = target()
  STEP = {mode = "in", thread = co, depth = 0, pause = true}
  set_mode(co, tstate(co).mode)
end

function api.set_options(o)
  if o.break_on_error ~= nil then break_on_error = o.break_on_error and true or false end
end

function api.clear_refs() REFS, nrefs = {}, 0 end

-- Break on an uncaught error, from the message handler of the sandbox (the stack is still there).
error_stop = function(e)
  local co = co_running()
  local saved = tstate(co).mode
  sethook(co, HOOK, "")
  PAUSED = true
  STEP = nil
  LAST_ERROR = e
  py_stop("exception", {message = error_text(e)})
  PAUSED = false
  STEP = nil
  set_mode(co, saved)
end

function api.on_error(e)
  if not break_on_error or PAUSED or EVALUATING then return end
  local last = LAST_ERROR
  if last ~= nil and (e == last or (type(e) == "string" and type(last) == "string" and
                                    ssub(e, -#last) == last)) then
    return  -- already stopped at it inside the coroutine it came from
  end
  error_stop(e)
end

return api
