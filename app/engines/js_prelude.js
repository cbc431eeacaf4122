// The JavaScript spell sandbox, evaluated once per fresh quickjs Context before the spell.
// QuickJS has only ECMAScript built-ins; this adds console/print, require, INPUT and the bridge globals generated
// from the registry description. The host functions (__ls_host_*) are captured here and removed from globalThis.
(function () {
  "use strict";
  const hostCall = globalThis.__ls_host_call;
  const hostOutput = globalThis.__ls_host_output;
  const hostModule = globalThis.__ls_host_module;
  delete globalThis.__ls_host_call;
  delete globalThis.__ls_host_output;
  delete globalThis.__ls_host_module;

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

  function call(target, method, spec, args) {
    let n = args.length;
    let opts = null;
    if (spec.has_opts && n > spec.params.length) {
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
      for (const k of Object.keys(opts)) plainOpts[snake(k)] = toPlain(opts[k], 1, new Set());
    }
    const reply = JSON.parse(hostCall(target, method, JSON.stringify([plainArgs, plainOpts]), callerLine()));
    if (reply.ok) return fromHost(reply.value);
    throw new SpellError(reply.error.code, reply.error.message, reply.error.retryable);
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
      return settle(fn(...args));
    } catch (e) {
      return JSON.stringify({ ok: false, error: describeError(e) });
    }
  }

  globalThis.__ls_internal = { install, runMain, pendingReply, invokeCallback, modules: __ls_modules };
})();
