// The JavaScript spell sandbox, evaluated once per fresh quickjs Context before the spell.
// QuickJS has only ECMAScript built-ins; this adds console/print, require, INPUT and the bridge globals generated
// from the registry description. The host functions (__ls_host_*) are captured here and removed from globalThis.
(function () {
  "use strict";
  const hostCall = globalThis.__ls_host_call;
  const hostOutput = globalThis.__ls_host_output;
  const hostModule = globalThis.__ls_host_module;
  const hostSend = globalThis.__ls_host_send;      // start a call without waiting (a promise's)
  const hostCancel = globalThis.__ls_host_cancel;  // abandon such a call
  const hostClock = globalThis.__ls_host_clock;    // monotonic seconds, for timers
  delete globalThis.__ls_host_call;
  delete globalThis.__ls_host_output;
  delete globalThis.__ls_host_module;
  delete globalThis.__ls_host_send;
  delete globalThis.__ls_host_cancel;
  delete globalThis.__ls_host_clock;

  const MAX_DEPTH = 100;
  const MODULE_LINES = 100000;  // module k's lines are offset by k * MODULE_LINES (QuickJS names every file <input>)
  const MAIN_OFFSET = 1000;     // the main spell's lines are offset by this; lower lines are this prelude's
  const callbacks = new Map();
  let nextCallback = 0;
  const HANDLE = Symbol("handle");

  class SpellError extends Error {
    constructor(code, message, retryable) {
      super(message);
      this.name = "SpellError";
      this.code = code;
      this.retryable = !!retryable;
    }
    toString() { return this.code + ": " + this.message; }
  }

  // Lone surrogates cannot cross into Python (its str is UTF-8 here): the conversion fails inside quickjs and
  // leaves a Python error set. Text for the host callables gets U+FFFD instead.
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
  const strReplace = String.prototype.replace, apply = Reflect.apply;
  function wellFormed(s) { return apply(strReplace, String(s), [LONE_SURROGATE, "\uFFFD"]); }

  function camel(name) { return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()); }
  function snake(name) { return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase(); }

  function toPlain(v, depth, seen) {
    if (v === undefined || v === null) return null;
    const t = typeof v;
    if (t === "boolean" || t === "string") return v;
    if (t === "number") {
      if (!Number.isFinite(v)) throw new SpellError("invalid_argument", "cannot pass NaN or infinity to the host");
      return v;
    }
    if (t === "bigint") return Number(v);
    if (t === "function") {
      nextCallback += 1;
      callbacks.set(nextCallback, v);
      return { "$callback": nextCallback };
    }
    if (t !== "object") throw new SpellError("invalid_argument", "a " + t + " cannot be passed to the host");
    if (v[HANDLE] !== undefined) return { "$handle": v[HANDLE] };
    if (depth > MAX_DEPTH) throw new SpellError("invalid_argument", "value nested deeper than " + MAX_DEPTH + " levels");
    if (seen.has(v)) throw new SpellError("invalid_argument", "value contains a cycle (an object inside itself)");
    seen.add(v);
    let out;
    if (Array.isArray(v)) {
      out = v.map((x) => toPlain(x, depth + 1, seen));
    } else {
      out = {};
      for (const k of Object.keys(v)) {
        const x = toPlain(v[k], depth + 1, seen);
        if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true });
        else out[k] = x;
      }
    }
    seen.delete(v);
    return out;
  }

  const handleTypes = {};
  function fromHost(v) {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(fromHost);
    if (v["$handle"] !== undefined && v["$type"] !== undefined && Object.keys(v).length === 2) {
      const proto = handleTypes[v["$type"]];
      if (!proto) throw new SpellError("internal", "unknown object type " + v["$type"]);
      const obj = Object.create(proto);
      Object.defineProperty(obj, HANDLE, { value: v["$handle"] });
      return Object.freeze(obj);
    }
    const out = {};
    for (const k of Object.keys(v)) {
      if (k === "__proto__")  // a key like any other, as JSON.parse makes it (assigning would set the prototype)
        Object.defineProperty(out, k, { value: fromHost(v[k]), enumerable: true, writable: true, configurable: true });
      else out[k] = fromHost(v[k]);
    }
    return out;
  }

  // The spell line making the call: QuickJS records the caller's line in the second stack frame.
  // The spell line making the call: the first frame below the prelude's own that carries a line number
  // (QuickJS records a caller's line once it has called on; prelude lines are all below MAIN_OFFSET).
  const lineRe = /\(<input>:(\d+)\)/;
  function callerLine() {
    const lines = String(new Error().stack || "").split("\n");
    for (let i = 1; i < lines.length; i++) {
      const m = lineRe.exec(lines[i]);
      if (!m) continue;
      const n = Number(m[1]);
      if (n >= MODULE_LINES) return n % MODULE_LINES;
      if (n > MAIN_OFFSET) return n - MAIN_OFFSET;
    }
    return null;
  }

  // The JSON text [args, opts] of one call; `signal` (async twins only) is taken out of the options.
  function payload(spec, args, withSignal) {
    let n = args.length;
    let opts = null;
    let signal = null;
    if ((spec.has_opts || withSignal) && n > spec.params.length) {
      opts = args[n - 1];
      n -= 1;
      if (opts !== null && opts !== undefined && (typeof opts !== "object" || Array.isArray(opts)))
        throw new SpellError("invalid_argument", "the options argument must be an object");
    }
    const plainArgs = [];
    for (let i = 0; i < n; i++) plainArgs.push(toPlain(args[i], 0, new Set()));
    let plainOpts = null;
    if (opts) {
      plainOpts = {};
      for (const k of Object.keys(opts)) {
        if (withSignal && k === "signal") { signal = opts[k]; continue; }
        plainOpts[snake(k)] = toPlain(opts[k], 1, new Set());
      }
      if (!spec.has_opts) plainOpts = null;
    }
    if (signal !== null && signal !== undefined && !(signal instanceof AbortSignal))
      throw new SpellError("invalid_argument", "the signal option must be an AbortSignal (new AbortController().signal)");
    return { text: JSON.stringify([plainArgs, plainOpts]), signal: signal };
  }

  function call(target, method, spec, args) {
    const reply = JSON.parse(hostCall(target, method, payload(spec, args, false).text, callerLine()));
    if (reply.ok) return fromHost(reply.value);
    throw new SpellError(reply.error.code, reply.error.message, reply.error.retryable);
  }

  // ---------------------------------------------------------------------------------------------- promises
  // The async twin of a bridge method: the call goes to the host without blocking; the worker's event loop
  // (js_engine.py) hands its answer to `deliver`, which settles the promise. Cancelling (an aborted signal)
  // abandons the call on the host.
  const inFlight = new Map();  // call id → {resolve, reject, error, signal, onAbort}
  function abortReason(signal) {
    const r = signal.reason;
    if (r instanceof SpellError) return r;
    const e = new SpellError("cancelled", "the call was cancelled" + (r instanceof Error ? ": " + r.message : ""));
    return e;
  }
  // A bridge promise knows whether anyone listens to it (then, catch, finally, await, Promise.all...: they all
  // call `then` on it, since it is a subclass). One that fails with nobody listening fails the run when it ends,
  // with its error and line, as an unawaited failed task does in Lua (and an unhandled rejection in Node): a
  // forgotten `await` must not hide a failed call. A cancelled one is not news.
  const listened = new WeakSet();  // (not a property: a spell may freeze its promises)
  const unheard = new Map();  // rejected bridge promise → its error
  class BridgePromise extends Promise {
    then(onFulfilled, onRejected) {
      listened.add(this);
      unheard.delete(this);
      return super.then(onFulfilled, onRejected);
    }
  }
  function noteRejected(promise, error) {
    if (!listened.has(promise) && error && error.code !== "cancelled") unheard.set(promise, error);
  }
  function rejected(error) {
    const promise = BridgePromise.reject(error);
    noteRejected(promise, error);
    return promise;
  }
  // The first failure nothing listened to, as an error record (null when there is none).
  function takeUnheard() {
    let first = null;
    for (const error of unheard.values()) { first = error; break; }
    unheard.clear();
    return first === null ? null : JSON.stringify(describeError(first));
  }
  function callAsync(target, method, spec, args) {
    let p;
    try { p = payload(spec, args, true); } catch (e) { return rejected(e); }
    if (p.signal && p.signal.aborted) return rejected(abortReason(p.signal));
    const error = new SpellError("pending", "");  // made here, so its stack names the calling line
    const reply = JSON.parse(hostSend(target, method, p.text, callerLine(), !!p.signal));
    if (!reply.ok) {
      error.code = reply.error.code; error.message = reply.error.message;
      return rejected(error);
    }
    const id = reply.id;
    let promise = null;
    promise = new BridgePromise((resolve, reject) => {
      const fail = (e) => { reject(e); noteRejected(promise, e); };
      const entry = { resolve, reject: fail, error, signal: p.signal, onAbort: null };
      if (p.signal) {
        entry.onAbort = () => {
          if (!inFlight.has(id)) return;
          inFlight.delete(id);
          hostCancel(id);
          fail(abortReason(p.signal));
        };
        p.signal.addEventListener("abort", entry.onAbort);
      }
      inFlight.set(id, entry);
    });
    return promise;
  }
  function deliver(id, replyJson) {
    const entry = inFlight.get(id);
    if (!entry) return;  // abandoned meanwhile
    inFlight.delete(id);
    if (entry.signal) entry.signal.removeEventListener("abort", entry.onAbort);
    const reply = JSON.parse(replyJson);
    if (reply.ok) {
      let value;
      try { value = fromHost(reply.value); } catch (e) { entry.reject(e); return; }
      entry.resolve(value);
    } else {
      const e = entry.error;
      e.code = reply.error.code; e.message = reply.error.message; e.retryable = !!reply.error.retryable;
      entry.reject(e);
    }
  }
  // The run ended (the spell failed): calls nobody will read are abandoned.
  function abandonAll() {
    for (const id of inFlight.keys()) hostCancel(id);
    inFlight.clear();
  }

  // ---------------------------------------------------------------------------------------------- timers
  const timers = new Map();  // id → {at, fn, args, every}
  let nextTimer = 0;
  function delaySeconds(ms) {
    const n = Number(ms);
    return Number.isFinite(n) && n > 0 ? n / 1000 : 0;
  }
  function addTimer(fn, ms, args, repeat, weak) {
    if (typeof fn !== "function") throw new SpellError("invalid_argument", "setTimeout/setInterval expect a function (code strings are not run)");
    nextTimer += 1;
    const every = repeat ? Math.max(delaySeconds(ms), 0.001) : 0;
    timers.set(nextTimer, { at: hostClock() + delaySeconds(ms), fn, args, every, seq: nextTimer, weak: !!weak });
    return nextTimer;
  }
  function setTimeout(fn, ms, ...args) { return addTimer(fn, ms, args, false); }
  function setInterval(fn, ms, ...args) { return addTimer(fn, ms, args, true); }
  function clearTimer(id) { timers.delete(Number(id)); }
  // Run the timers that are due (in order); the earliest next deadline, or -1 when no timer is left.
  function fireTimers(now) {
    const due = [];
    for (const [id, t] of timers) if (t.at <= now) due.push([id, t]);
    due.sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq);
    for (const [id, t] of due) {
      if (timers.get(id) !== t) continue;  // cleared by an earlier one
      if (t.every) t.at = now + t.every; else timers.delete(id);
      t.fn(...t.args);  // an error here ends the run, as an uncaught error in a Node timer does
    }
    let next = -1;
    for (const t of timers.values()) if (next < 0 || t.at < next) next = t.at;
    return next;
  }
  // Timers that keep a finished spell's run going (as in Node; an AbortSignal.timeout's does not).
  function strongTimers() {
    let n = 0;
    for (const t of timers.values()) if (!t.weak) n += 1;
    return n;
  }

  // ---------------------------------------------------------------------------------------------- AbortController
  const listenersOf = new WeakMap();
  class AbortSignal {
    constructor(key) {
      if (key !== HANDLE) throw new TypeError("AbortSignal cannot be constructed: use new AbortController().signal");
      this.aborted = false;
      this.reason = undefined;
      this.onabort = null;
      listenersOf.set(this, []);
    }
    addEventListener(type, fn) { if (type === "abort" && typeof fn === "function") listenersOf.get(this).push(fn); }
    removeEventListener(type, fn) {
      const list = listenersOf.get(this);
      const i = list.indexOf(fn);
      if (type === "abort" && i >= 0) list.splice(i, 1);
    }
    throwIfAborted() { if (this.aborted) throw this.reason; }
    static abort(reason) { const c = new AbortController(); c.abort(reason); return c.signal; }
    static timeout(ms) {
      const c = new AbortController();
      addTimer(() => c.abort(new SpellError("timeout", "timed out after " + Number(ms) + " ms")), ms, [], false, true);
      return c.signal;
    }
    static any(signals) {
      const c = new AbortController();
      for (const s of signals) {
        if (s.aborted) { c.abort(s.reason); break; }
        s.addEventListener("abort", () => c.abort(s.reason));
      }
      return c.signal;
    }
  }
  class AbortController {
    constructor() { this.signal = new AbortSignal(HANDLE); }
    abort(reason) {
      const s = this.signal;
      if (s.aborted) return;
      s.aborted = true;
      s.reason = reason === undefined ? new SpellError("cancelled", "the operation was aborted") : reason;
      const list = listenersOf.get(s).slice();
      if (typeof s.onabort === "function") list.unshift(s.onabort);
      for (const fn of list) fn.call(s, { type: "abort", target: s });
    }
  }

  function buildMethods(target, methods, isType) {
    const obj = {};
    for (const name of Object.keys(methods)) {
      const spec = methods[name];
      const fn = isType
        ? function (...args) {
            if (!this || this[HANDLE] === undefined) throw new SpellError("invalid_argument", name + " must be called on an object");
            return call(this[HANDLE], name, spec, args);
          }
        : function (...args) { return call(target, name, spec, args); };
      Object.defineProperty(obj, camel(name), { value: fn, enumerable: true });
      const fnAsync = isType
        ? function (...args) {
            if (!this || this[HANDLE] === undefined) return Promise.reject(new SpellError("invalid_argument", name + "Async must be called on an object"));
            return callAsync(this[HANDLE], name, spec, args);
          }
        : function (...args) { return callAsync(target, name, spec, args); };
      Object.defineProperty(obj, camel(name) + "Async", { value: fnAsync, enumerable: false });
    }
    return obj;
  }

  function format(args) {
    return args.map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return String(a);
      if (typeof a === "function") return "[Function" + (a.name ? ": " + a.name : "") + "]";
      if (a !== null && typeof a === "object") {
        if (a[HANDLE] !== undefined) return "[object #" + a[HANDLE] + "]";
        try { return JSON.stringify(a); } catch (e) { return String(a); }
      }
      return String(a);
    }).join(" ");
  }

  // ---------------------------------------------------------------------------------------------- require
  const moduleCache = new Map();
  let moduleCount = 0;
  function normalize(dir, name) {
    const parts = (dir ? dir.split("/") : []).concat(name.split("/"));
    const out = [];
    for (const p of parts) {
      if (p === "" || p === ".") continue;
      if (p === "..") { if (!out.length) throw new SpellError("permission_denied", "require('" + name + "') leaves the spell's folder"); out.pop(); }
      else out.push(p);
    }
    return out.join("/");
  }
  function makeRequire(dir) {
    return function require(name) {
      if (typeof name !== "string") throw new SpellError("invalid_argument", "require expects a string");
      if (!name.startsWith("./") && !name.startsWith("../"))
        throw new SpellError("module_not_found", "require('" + name + "'): only sibling files of the spell can be required, as './name'");
      const rel = normalize(dir, name);
      const reply = JSON.parse(hostModule(wellFormed(rel)));
      if (!reply.ok) throw new SpellError(reply.error.code, reply.error.message);
      if (moduleCache.has(reply.path)) return moduleCache.get(reply.path).exports;
      moduleCount += 1;
      const module = { exports: {} };
      moduleCache.set(reply.path, module);
      const offset = "\n".repeat(moduleCount * MODULE_LINES);
      const fn = (0, eval)(offset + "(function (module, exports, require) {" + reply.source + "\n})");
      const subdir = reply.rel.includes("/") ? reply.rel.slice(0, reply.rel.lastIndexOf("/")) : "";
      __ls_modules[moduleCount] = reply.path;
      fn.call(module.exports, module, module.exports, makeRequire(subdir));
      return module.exports;
    };
  }
  const __ls_modules = {};

  // ---------------------------------------------------------------------------------------------- globals
  // Mock.llm(/regex/, reply) in test files: the RegExp is matched here, in the sandbox, as a match function.
  function mockWithRegExp(g) {
    const out = {};
    for (const k of Object.keys(g)) if (k !== "llm") Object.defineProperty(out, k, { value: g[k], enumerable: true });
    const llm = g.llm;
    Object.defineProperty(out, "llm", { enumerable: true, value: function (match, reply, opts) {
      if (match instanceof RegExp) {
        const re = new RegExp(match.source, match.flags.replace("g", ""));
        match = (req) => re.test((req.messages || []).map((m) => (m.content == null ? "" : String(m.content))).join("\n"));
      }
      return arguments.length > 2 ? llm(match, reply, opts) : llm(match, reply);
    } });
    return out;
  }

  function install(spec, input) {
    for (const tname of Object.keys(spec.types || {})) handleTypes[tname] = buildMethods(null, spec.types[tname].methods, true);
    for (const gname of Object.keys(spec.globals || {})) {
      let g = buildMethods(gname, spec.globals[gname].methods, false);
      if (gname === "Mock") g = mockWithRegExp(g);
      if (gname === "JSON") {  // keep the ECMAScript JSON.parse/stringify next to the bridge methods
        Object.defineProperty(g, "parse", { value: JSON.parse.bind(JSON) });
        Object.defineProperty(g, "stringify", { value: JSON.stringify.bind(JSON) });
      }
      Object.defineProperty(globalThis, gname, { value: Object.freeze(g), enumerable: false, writable: false,
                                                  configurable: false });  // JSON is configurable by default
    }
    const out = (stream) => function (...args) { hostOutput(stream, wellFormed(format(args))); };
    globalThis.console = Object.freeze({ log: out("stdout"), info: out("stdout"), debug: out("stdout"),
                                         warn: out("stderr"), error: out("stderr") });
    globalThis.print = out("stdout");
    globalThis.SpellError = SpellError;
    globalThis.setTimeout = setTimeout;
    globalThis.setInterval = setInterval;
    globalThis.clearTimeout = clearTimer;
    globalThis.clearInterval = clearTimer;
    globalThis.AbortController = AbortController;
    globalThis.AbortSignal = AbortSignal;
    globalThis.INPUT = fromHost(input);
    globalThis.require = makeRequire("");
  }

  function describeError(e) {
    if (e instanceof Error) {
      return { name: e.name, message: String(e.message), code: e.code === undefined ? null : String(e.code),
               stack: String(e.stack || "") };
    }
    let text;
    try { text = typeof e === "object" && e !== null ? JSON.stringify(e) : String(e); } catch (x) { text = String(e); }
    return { name: "Uncaught", message: text, code: null, stack: "" };
  }

  function settle(value) {
    try { return JSON.stringify({ ok: true, value: toPlain(value, 0, new Set()) }); }
    catch (e) { return JSON.stringify({ ok: false, error: { name: "ResultError", message: "the spell's result cannot be returned: " + e.message, code: null, stack: "" } }); }
  }

  let pending = null;
  function runMain(fn) {
    try {
      const v = fn(globalThis.INPUT, globalThis.require);
      if (v && typeof v.then === "function") {
        pending = { done: false };
        v.then((x) => { pending = { done: true, reply: settle(x) }; },
               (e) => { pending = { done: true, reply: JSON.stringify({ ok: false, error: describeError(e) }) }; });
        return JSON.stringify({ pending: true });
      }
      return settle(v);
    } catch (e) {
      return JSON.stringify({ ok: false, error: describeError(e) });
    }
  }
  function pendingReply() { return pending && pending.done ? pending.reply : null; }

  function invokeCallback(id, argsJson) {
    const fn = callbacks.get(id);
    if (!fn) return JSON.stringify({ ok: false, error: { name: "SpellError", code: "invalid_argument", message: "script function #" + id + " is gone", stack: "" } });
    try {
      const args = JSON.parse(argsJson).map(fromHost);
      const v = fn(...args);
      if (v && typeof v.then === "function") {  // an async function (a tool body, a step...): the loop settles it
        nextCallReply += 1;
        const key = nextCallReply;
        callReplies.set(key, null);
        v.then((x) => { callReplies.set(key, settle(x)); },
               (e) => { callReplies.set(key, JSON.stringify({ ok: false, error: describeError(e) })); });
        return JSON.stringify({ pending: key });
      }
      return settle(v);
    } catch (e) {
      return JSON.stringify({ ok: false, error: describeError(e) });
    }
  }
  const callReplies = new Map();  // key → the settled reply of an async script function (null while pending)
  let nextCallReply = 0;
  function callbackReply(key, take) {
    const r = callReplies.get(key);
    if (r === null || r === undefined) return null;
    if (take) callReplies.delete(key);
    return r;
  }

  globalThis.__ls_internal = { install, runMain, pendingReply, invokeCallback, modules: __ls_modules,
                               deliver, fireTimers, strongTimers, abandonAll, callbackReply, takeUnheard };
})();
