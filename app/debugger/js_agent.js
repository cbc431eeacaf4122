// The JavaScript half of the debugger for JS spells (app/debugger/js_agent.py is the Python half).
// Evaluated once per debug run, before the spell; instrumented files (js_instrument.py) reach it through
// globalThis.__ls_dbg.file(fid). Runs on the worker's thread inside quickjs; stops call the host (hostStop), which
// serves debug commands (calling back into `inspect`) until the user resumes.
(function (hostStop, hostPoll, hostOutput) {
  "use strict";
  const SHORT = 200;
  const POLL_EVERY = 100000;
  const files = [];              // fid -> file state
  const stack = [];              // the shadow stack: records of tracked frames, oldest first
  let seq = 0;
  let mode = null;               // null | "step_in" | "step_over" | "step_out" | "pause"
  let from = null;               // the record a step started in
  let stepSeq = 0;               // records created after this one are newer than the step
  let evaluating = 0;
  let callbacks = 0;             // script functions running for a bridge (their errors are the bridge's)
  let tries = 0;                 // user try blocks (with a catch) running
  let breakOnError = true, breakOnCaught = false;
  let lastThrown = undefined, lastThrownSeen = false;
  const seenErrors = new WeakSet();
  let refs = [null];
  let stopRecord = null, stopFrames = [];
  const compiled = new Map();
  const hasOwn = Object.prototype.hasOwnProperty;

  function File(fid, meta) {
    this.fid = fid; this.path = meta.path; this.functions = meta.functions; this.sites = meta.sites;
    this.names = meta.names; this.top = null; this.topNames = meta.top; this.setFlags = null;
    this.hot = new Set(); this.bps = new Map();
    this.firstSite = [];
    this.sites.forEach((x, i) => { if (x[3] && this.firstSite[x[1]] === undefined) this.firstSite[x[1]] = i; });
  }

  // ------------------------------------------------------------------------------------------ flags
  function applyFlags(f) {
    if (!f.setFlags) return;
    const all = mode !== null;
    const m = [];
    for (let k = 0; k < f.functions.length; k++) m.push(all || f.hot.has(k));
    f.setFlags(m);
  }
  function applyAll() { for (const f of files) if (f) applyFlags(f); }

  // ------------------------------------------------------------------------------------------ records
  function newRecord(f, k, lazy) {
    const kind = f.functions[k][3];
    const detached = kind === "async" || kind === "generator";
    const r = { f, k, site: -1, sc: null, seq: ++seq, live: true, lazy, detached };
    return r;
  }

  function fileApi(f) {
    return Object.freeze({
      reg(setFlags, top) { f.setFlags = setFlags; f.top = top; applyFlags(f); },
      enter(k) { const r = newRecord(f, k, false); stack.push(r); return r; },
      leave(r) {
        r.live = false;
        const i = stack.lastIndexOf(r);
        if (i >= 0) stack.length = i;
      },
      p(r, site, sc, force) {
        if (r === null) {
          const k = f.sites[site][1];
          // an async function or generator met first past its first statement: an old invocation resuming
          // (after an await or a yield), not a new one
          r = newRecord(f, k, true);
          if (r.detached) r.lazy = site !== f.firstSite[k];
          else stack.push(r);
        }
        r.site = site; r.sc = sc;
        if (evaluating) return r;
        probe(r, force);
        return r;
      },
      thrown(e, r, site, sc) { onThrown(e, r, f, site, sc); },
      caught(e, r) { onCaught(e, r); },
      ti() { tries++; },
      to() { tries--; },
      poll() { poll(); return POLL_EVERY; },
    });
  }

  function poll() {
    const what = hostPoll();
    if (what === "pause" && mode === null) { mode = "pause"; from = null; applyAll(); }
  }

  // ------------------------------------------------------------------------------------------ probes
  function lineOf(r) {
    if (r.line !== undefined) return r.line;
    return r.site >= 0 ? r.f.sites[r.site][0] : r.f.functions[r.k][1];
  }

  function probe(r, force) {
    if (mode === "poll") {       // poked from the interrupt handler: serve what waits (a pause stops here)
      mode = null;
      applyAll();
      poll();
    }
    let reason = force ? "breakpoint" : null, data = {};
    if (mode !== null && reason === null) {
      if (mode === "step_in" || mode === "pause" || from === null) reason = mode === "pause" ? "pause" : "step";
      else {
        const older = r.lazy && r.seq > stepSeq;          // a frame entered before the step wakes up
        const gone = from.detached || !from.live;
        if (mode === "step_over" && (r === from || older || (gone && r.seq < from.seq))) reason = "step";
        if (mode === "step_out" && r !== from && (older || (gone && r.seq < from.seq))) reason = "step";
      }
    }
    const bps = r.f.bps.get(lineOf(r));
    if (bps) {
      for (const bp of bps) {
        const got = checkBreakpoint(bp, r);
        if (got) {
          if (got.reason === "condition_error" || reason === null || reason === "step" || reason === "pause") {
            reason = got.reason; data = got.data;
          }
          if (got.reason === "condition_error") break;
        }
      }
    }
    if (reason !== null) stop(r, reason, data);
  }

  function checkBreakpoint(bp, r) {
    if (!bp.enabled) return null;
    if (bp.condition) {
      const res = evalIn(r, bp.condition);
      if (!res.ok) return { reason: "condition_error", data: { bp_id: bp.id, line: bp.line, message: res.error, condition: bp.condition } };
      if (!res.value) return null;
    }
    bp.hits = (bp.hits || 0) + 1;
    const n = bp.hit_n;
    if (n) {
      if (bp.hit_mode === "==" ? bp.hits !== n : bp.hit_mode === "%" ? bp.hits % n !== 0 : bp.hits < n) return null;
    }
    if (bp.log_parts) {
      const out = [];
      for (const [kind, text] of bp.log_parts) {
        if (kind === "text") { out.push(text); continue; }
        const res = evalIn(r, text);
        out.push(!res.ok ? "{" + text + ": " + res.error + "}" : typeof res.value === "string" ? res.value : describe(res.value).value);
      }
      hostOutput(out.join("") + "\n");
      return null;
    }
    if (bp.temporary) { bp.enabled = false; return { reason: "run_to_cursor", data: {} }; }
    return { reason: "breakpoint", data: { bp_id: bp.id, line: bp.line } };
  }

  // ------------------------------------------------------------------------------------------ exceptions
  function markSeen(e) {
    if (e !== null && (typeof e === "object" || typeof e === "function")) {
      if (seenErrors.has(e)) return true;
      seenErrors.add(e);
      return false;
    }
    if (lastThrownSeen && Object.is(lastThrown, e)) return true;
    lastThrown = e; lastThrownSeen = true;
    return false;
  }
  function onThrown(e, r, f, site, sc) {
    if (evaluating || markSeen(e)) return;
    if (!breakOnError || tries > 0 || callbacks > 0 || (r !== null && r.detached)) return;
    if (isLimit(e)) return;
    let temp = false;
    if (r === null) {            // a frame entered cold: its parameters and vars, its line from the error
      r = newRecord(f, f.sites[site][1], true);
      r.site = site; r.sc = sc;
      stack.push(r);
      temp = true;
    }
    const q = e instanceof Error ? /\(<input>:(\d+)\)/.exec(String(e.stack || "")) : null;
    if (q && Number(q[1]) > MAIN_OFFSET) r.line = spellLine(Number(q[1]));
    try {
      stop(r, "exception", exceptionData(e));
    } finally {
      r.line = undefined;
      if (temp) { const i = stack.lastIndexOf(r); if (i >= 0) stack.splice(i, 1); }
    }
  }
  function onCaught(e, r) {
    if (evaluating) return;
    lastThrownSeen = false;
    if (!breakOnCaught || r === null || isLimit(e)) return;
    stop(r, "exception", Object.assign(exceptionData(e), { caught: true }));
  }
  function isLimit(e) {
    return e instanceof Error && e.name === "InternalError" && /stack overflow|out of memory|interrupted/.test(String(e.message));
  }
  function exceptionData(e) {
    let message;
    if (e instanceof Error) message = (e.name && e.name !== "Error" && e.name !== "SpellError" ? e.name + ": " : "") + String(e.message);
    else { try { message = "uncaught " + (typeof e === "object" && e !== null ? JSON.stringify(e) : String(e)); } catch (x) { message = "uncaught " + String(e); } }
    return { message, exception: variable("exception", e) };
  }

  // ------------------------------------------------------------------------------------------ stopping
  // quickjs's own stack trace: the names of every frame, a line for most; it places the frames the shadow
  // stack does not hold (functions entered cold) and corrects the line of tracked frames that ran cold since.
  const MAIN_OFFSET = 1000;
  const TRACE = /^\s*at (\S+(?: \S+)*?) \((?:<input>(?::(\d+))?|native)\)\s*$/;
  function trace() {
    const out = [];
    for (const raw of String(new Error().stack || "").split("\n")) {
      const m = TRACE.exec(raw);
      if (!m) continue;
      const q = m[2] === undefined ? null : Number(m[2]);
      if (q !== null && q <= MAIN_OFFSET) continue;          // the prelude's or this agent's code
      out.push({ name: m[1], qline: q });
    }
    return out;
  }
  function spellLine(q) { return q >= 100000 ? q % 100000 : q - MAIN_OFFSET; }
  function sameName(r, t) {
    const n = r.f.functions[r.k][0];
    if (r.k === 0) return t.qline !== null && (t.name === "__ls_main" || t.name === "<anonymous>");
    return t.name === n || (n === "<anonymous>" && t.name === "<anonymous>");
  }
  function frames(top) {
    const recs = stack.filter((x) => x.live);
    if (top && top.detached) recs.push(top);
    const tr = trace();
    const entries = [];
    let j = 0;
    for (let i = recs.length - 1; i >= 0; i--) {
      const r = recs[i];
      let found = -1;
      for (let t = j; t < tr.length; t++) if (sameName(r, tr[t])) { found = t; break; }
      if (found >= 0) {
        for (let t = j; t < found; t++) {
          if (tr[t].qline !== null && entries.length) entries.push({ r: null, name: tr[t].name, qline: tr[t].qline });
        }
        const q = tr[found].qline;
        entries.push({ r, line: r === top || q === null ? lineOf(r) : spellLine(q) });
        j = found + 1;
      } else {
        entries.push({ r, line: lineOf(r) });
      }
    }
    stopFrames = entries.map((e) => e.r);
    return entries.map((e, i) => e.r === null
      ? { id: i + 1, name: e.name, qline: e.qline, kind: "spell", thread: "main", untracked: true }
      : { id: i + 1, name: e.r.f.functions[e.r.k][0], file: e.r.f.path, line: e.line, kind: "spell", thread: "main",
          chunk: e.r.f.path.split("/").pop() });
  }

  function stop(r, reason, data) {
    stopRecord = r;
    data.frames = frames(r);
    data.thread = "main";
    let action;
    try {
      action = hostStop(JSON.stringify({ reason, file: r.f.path, line: lineOf(r), data }));
    } finally {
      refs = [null];
      stopRecord = null;
      stopFrames = [];
    }
    if (action === "continue" || !action) { mode = null; from = null; }
    else { mode = action; from = r; stepSeq = seq; }
    applyAll();
  }

  // ------------------------------------------------------------------------------------------ values
  function ref(v) { refs.push(v); return refs.length - 1; }
  function className(v) {
    try {
      const p = Object.getPrototypeOf(v);
      const c = p && p.constructor;
      return c && typeof c.name === "string" && c.name ? c.name : "Object";
    } catch (e) { return "Object"; }
  }
  function describe(v) {
    const t = typeof v;
    if (v === undefined) return { value: "undefined", type: "undefined", expandable: false, length: null };
    if (v === null) return { value: "null", type: "null", expandable: false, length: null };
    if (t === "string") {
      const short = v.length > SHORT ? v.slice(0, SHORT) : v;
      let q = JSON.stringify(short);
      if (v.length > SHORT) q = q.slice(0, -1) + "…\"";
      return { value: q, type: "string", expandable: v.length > SHORT, length: v.length };
    }
    if (t === "number" || t === "boolean") return { value: String(v), type: t, expandable: false, length: null };
    if (t === "bigint") return { value: String(v) + "n", type: t, expandable: false, length: null };
    if (t === "symbol") return { value: String(v), type: t, expandable: false, length: null };
    if (t === "function") return { value: "ƒ " + (v.name || "anonymous") + "()", type: "function", expandable: false, length: null };
    if (Array.isArray(v)) return { value: "Array(" + v.length + ")", type: "array", expandable: v.length > 0, length: v.length };
    if (v instanceof Error) return { value: String(v.name) + ": " + String(v.message), type: "error", expandable: true, length: null };
    if (v instanceof Map) return { value: "Map(" + v.size + ")", type: "map", expandable: v.size > 0, length: v.size };
    if (v instanceof Set) return { value: "Set(" + v.size + ")", type: "set", expandable: v.size > 0, length: v.size };
    const n = Object.keys(v).length;
    return { value: className(v) + " {" + (n ? "…" : "") + "}", type: "object", expandable: true, length: n };
  }
  function variable(name, v) {
    const d = describe(v);
    return { name: String(name), value: d.value, type: d.type, ref: d.expandable ? ref(v) : 0, length: d.length };
  }
  function children(v) {
    if (typeof v === "string") return [];
    if (Array.isArray(v)) {
      const out = [];
      for (let i = 0; i < v.length; i++) out.push(["[" + i + "]", v[i]]);
      return out;
    }
    if (v instanceof Map) return Array.from(v.entries(), ([k, x], i) => ["[" + (typeof k === "string" ? JSON.stringify(k) : String(k)) + "]", x]);
    if (v instanceof Set) return Array.from(v.values(), (x, i) => ["[" + i + "]", x]);
    const out = [];
    for (const k of Object.getOwnPropertyNames(v)) {
      const d = Object.getOwnPropertyDescriptor(v, k);
      if (d && hasOwn.call(d, "value")) out.push([k, d.value]);
      else out.push([k, d && d.get ? "(getter)" : undefined]);
    }
    if (v instanceof Error && !out.some((x) => x[0] === "message")) out.push(["message", v.message]);
    return out;
  }

  // ------------------------------------------------------------------------------------------ scopes
  function scopeNames(r) {
    // [name, kind, settable, read(set?, v)]
    const out = [];
    if (r.site >= 0 && r.sc) {
      const names = r.f.names[r.f.sites[r.site][2]];
      names.forEach((n, i) => out.push([n[0], n[1], n[2], (s, v) => r.sc(i, v, s)]));
    }
    const kind = r.k === 0 ? "local" : "global";
    r.f.topNames.forEach((n, i) => {
      if (!out.some((x) => x[0] === n[0])) out.push([n[0], kind, n[1], (s, v) => r.f.top(i, v, s)]);
    });
    return out;
  }
  function readName(entry) {
    try { return { ok: true, value: entry[3](false) }; }
    catch (e) { return { ok: false, value: undefined }; }
  }

  function frameRecord(fid) {
    const r = stopFrames[(fid | 0) - 1];
    if (r === null) throw new Error("the variables of this frame are not known: it started before the debugger was needed");
    if (!r) throw new Error("no frame " + fid);
    return r;
  }

  function evalIn(r, expr) {
    let fn = compiled.get(expr);
    try {
      if (!fn) {
        fn = (0, eval)("(function (__ls_scope) { with (__ls_scope) { return (" + expr + "\n); } })");
        if (compiled.size > 512) compiled.clear();
        compiled.set(expr, fn);
      }
    } catch (e) {
      return { ok: false, error: errorText(e) };
    }
    const names = r ? scopeNames(r) : [];
    const byName = new Map(names.map((x) => [x[0], x]));
    const thisEntry = byName.get("this");
    byName.delete("this");
    const target = Object.create(null);
    const proxy = new Proxy(target, {
      has(t, k) { return typeof k === "string" && byName.has(k); },
      get(t, k) {
        if (typeof k !== "string") return undefined;
        const e = byName.get(k);
        if (!e) return undefined;
        const got = readName(e);
        if (!got.ok) throw new ReferenceError(k + " is not initialized");
        return got.value;
      },
      set(t, k, v) { throw new TypeError("evaluation is read-only"); },
    });
    let self;
    if (thisEntry) { const got = readName(thisEntry); self = got.ok ? got.value : undefined; }
    evaluating++;
    try {
      return { ok: true, value: fn.call(self, proxy) };
    } catch (e) {
      return { ok: false, error: errorText(e) };
    } finally {
      evaluating--;
    }
  }
  function errorText(e) {
    if (e instanceof Error) return (e.name && e.name !== "Error" ? e.name + ": " : "") + String(e.message);
    try { return String(e); } catch (x) { return "error"; }
  }

  // ------------------------------------------------------------------------------------------ inspect
  function inspect(cmd, args) {
    if (!stopFrames.length && stopRecord === null) frames(null);  // stopped inside a bridge call (host stop)
    if (cmd === "stack") return frames(stopRecord);  // (null at a host stop: every line from the trace)
    if (cmd === "scopes") {
      const r = frameRecord(args.frame || 1);
      const out = [{ name: "Locals", ref: ref({ scope: r, kind: "local" }) }];
      if (scopeNames(r).some((x) => x[1] === "closure")) out.push({ name: "Closure", ref: ref({ scope: r, kind: "closure" }) });
      if (r.k !== 0) out.push({ name: "Globals", ref: ref({ scope: r, kind: "global" }) });
      return out;
    }
    if (cmd === "variables") {
      const x = refs[args.ref | 0];
      if (x === undefined || (args.ref | 0) <= 0) throw new Error("unknown variable reference " + args.ref);
      let pairs;
      if (x && x.scope && refs.indexOf(x) > 0 && x.kind) {
        pairs = [];
        for (const e of scopeNames(x.scope)) {
          if (e[1] !== x.kind) continue;
          const got = readName(e);
          pairs.push([e[0], got.ok ? got.value : undefined, !got.ok]);
        }
      } else {
        pairs = children(x);
      }
      const start = args.start | 0, count = args.count === undefined ? 100 : args.count | 0;
      const items = pairs.slice(start, start + count).map((p) => {
        if (p[2]) return { name: p[0], value: "<uninitialized>", type: "uninitialized", ref: 0, length: null };
        return variable(p[0], p[1]);
      });
      return { items, total: pairs.length };
    }
    if (cmd === "string") {
      const s = refs[args.ref | 0];
      if (typeof s !== "string") throw new Error("not a string reference");
      const off = args.offset === undefined ? 1 : args.offset | 0;
      const len = args.length === undefined ? 65536 : args.length | 0;
      return { text: s.slice(off - 1, off - 1 + len), length: s.length };
    }
    if (cmd === "evaluate") {
      const r = stopFrames.length ? frameRecord(args.frame || 1) : null;
      const res = evalIn(r, String(args.expression));
      if (!res.ok) return { ok: false, error: res.error };
      return Object.assign(variable("result", res.value), { ok: true });
    }
    if (cmd === "set_variable") return setVariable(args.ref | 0, String(args.name), String(args.value));
    throw new Error("unknown command " + cmd);
  }

  function setVariable(refId, name, expr) {
    const x = refs[refId];
    if (x === undefined || refId <= 0) throw new Error("unknown variable reference " + refId);
    const r = x && x.scope && x.kind ? x.scope : (stopFrames.length ? frameRecord(1) : null);
    const res = evalIn(r, expr);
    if (!res.ok) return { ok: false, error: res.error };
    const v = res.value;
    if (x && x.scope && x.kind) {
      const e = scopeNames(x.scope).find((y) => y[0] === name && y[1] === x.kind);
      if (!e) return { ok: false, error: "no variable named " + name };
      if (!e[2]) return { ok: false, error: name + " is a constant" };
      try { e[3](true, v); } catch (err) { return { ok: false, error: errorText(err) }; }
      return Object.assign(variable(name, v), { ok: true });
    }
    if (x === null || typeof x !== "object") return { ok: false, error: "this variable cannot be set" };
    if (Array.isArray(x) || x instanceof Set || x instanceof Map) {
      const m = /^\[(\d+)\]$/.exec(name);
      if (Array.isArray(x) && m && Number(m[1]) < x.length) {
        try { x[Number(m[1])] = v; } catch (err) { return { ok: false, error: errorText(err) }; }
        return Object.assign(variable(name, v), { ok: true });
      }
      return { ok: false, error: "no element " + name };
    }
    if (Object.isFrozen(x)) return { ok: false, error: "the object is frozen" };
    try { x[name] = v; } catch (err) { return { ok: false, error: errorText(err) }; }
    return Object.assign(variable(name, v), { ok: true });
  }

  // ------------------------------------------------------------------------------------------ host API
  const api = Object.freeze({
    file(fid) { const f = files[fid]; if (!f) throw new Error("debugger: unknown file " + fid); return f.api; },
  });
  const control = {
    addFile(fid, metaJson) {
      const f = new File(fid, JSON.parse(metaJson));
      f.api = fileApi(f);
      files[fid] = f;
    },
    setBreakpoints(json) {
      const spec = JSON.parse(json);
      for (const f of files) {
        if (!f) continue;
        const s = spec[String(f.fid)] || { hot: [], lines: {} };
        const old = new Map();
        for (const list of f.bps.values()) for (const bp of list) old.set(bp.id, bp);
        f.hot = new Set(s.hot);
        f.bps = new Map();
        for (const line of Object.keys(s.lines)) {
          f.bps.set(Number(line), s.lines[line].map((bp) => {
            const prev = old.get(bp.id);
            if (prev && prev.condition === bp.condition && prev.enabled) bp.hits = prev.hits;
            return bp;
          }));
        }
        applyFlags(f);
      }
    },
    setOptions(json) {
      const o = JSON.parse(json);
      if ("break_on_error" in o) breakOnError = !!o.break_on_error;
      if ("break_on_caught" in o) breakOnCaught = !!o.break_on_caught;
    },
    step(action) {  // stopped at an LLM or tool call (inside a bridge): step from the calling frame
      const top = stack.length ? stack[stack.length - 1] : null;
      if (action === "continue") { mode = null; from = null; }
      else if (action === "pause") { mode = "pause"; from = null; }
      else { mode = action; from = top; stepSeq = seq; }
      applyAll();
    },
    inspect(cmd, argsJson) {
      try { return JSON.stringify({ ok: true, value: inspect(cmd, JSON.parse(argsJson)) }); }
      catch (e) { return JSON.stringify({ ok: false, error: errorText(e) }); }
    },
    callback(delta) { callbacks += delta; },
    // Called from quickjs's interrupt handler (app/debugger/js_agent.py) while the spell runs: pure JavaScript,
    // no host call (the handler runs inside the interpreter). The next statement probe polls the host.
    poke() { try { if (mode === null) { mode = "poll"; applyAll(); } } catch (e) { /* never throw here */ } },
    isEvaluating() { return evaluating > 0; },
    endBridgeStop() { if (stopRecord === null) { stopFrames = []; refs = [null]; } },
  };
  Object.defineProperty(globalThis, "__ls_dbg", { value: api, enumerable: false, writable: false, configurable: false });
  return control;
})
