// The JavaScript test API (Jest style), evaluated in a test run's quickjs Context after js_prelude.js.
// The host callable __ls_host_test is captured here and removed from globalThis; the test file sees only
// describe/test/it/beforeAll/afterAll/beforeEach/afterEach/expect. `__ls_test_internal.runAll` runs the declared
// tests and reports each through the host (app/engines/js_engine.py). Tests and hooks may be async: runAll returns a
// promise, which the engine's event loop settles (bridge calls, timers).
(function () {
  "use strict";
  const hostTest = globalThis.__ls_host_test;
  delete globalThis.__ls_host_test;

  const MODULE_LINES = 100000;
  const MAIN_OFFSET = 1000;
  let sourceLines = [];

  // ------------------------------------------------------------------------------------------- locations
  const lineRe = /\(<input>:(\d+)\)/g;
  // The innermost line of the test file in a stack text (null when the stack does not show one).
  function testLine(stack) {
    const text = String(stack || "");
    let m;
    lineRe.lastIndex = 0;
    while ((m = lineRe.exec(text)) !== null) {
      const n = Number(m[1]);
      if (n > MAIN_OFFSET && n < MODULE_LINES) return n - MAIN_OFFSET;
    }
    return null;
  }
  function here() { return testLine(new Error().stack); }

  // QuickJS reports a multi-line call at its last line: walk up to the line that opens the call.
  const declRe = /\b(describe|test|it|xit|xtest)(\.skip|\.todo|\.only)?\s*\(/;
  function declLine(line, name) {
    if (line === null) return null;
    for (let i = line; i >= 1 && i > line - 500; i--) {
      const text = sourceLines[i - 1] || "";
      if (declRe.test(text) && text.indexOf(name) >= 0) return i;
    }
    return line;
  }

  // ------------------------------------------------------------------------------------------- values
  function plain(v, seen, depth) {
    if (v === null) return null;
    if (v === undefined) return "undefined";
    const t = typeof v;
    if (t === "boolean" || t === "string") return v;
    if (t === "number") return Number.isFinite(v) ? v : String(v);
    if (t === "bigint") return String(v) + "n";
    if (t === "function") return "[Function" + (v.name ? ": " + v.name : "") + "]";
    if (t === "symbol") return String(v);
    if (seen.has(v)) return "[Circular]";
    if (depth > 20) return "[…]";
    if (v instanceof Error) return String(v);
    if (v instanceof RegExp) return String(v);
    if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
    seen.add(v);
    let out;
    if (Array.isArray(v)) out = v.map((x) => plain(x, seen, depth + 1));
    else if (v instanceof Map) out = Array.from(v.entries()).map((e) => plain(e, seen, depth + 1));
    else if (v instanceof Set) out = Array.from(v.values()).map((x) => plain(x, seen, depth + 1));
    else {
      out = {};
      for (const k of Object.keys(v)) {
        const x = plain(v[k], seen, depth + 1);
        if (k === "__proto__") Object.defineProperty(out, k, { value: x, enumerable: true, writable: true });
        else out[k] = x;
      }
    }
    seen.delete(v);
    return out;
  }
  function show(v) {
    if (typeof v === "string") return JSON.stringify(v);
    try { return JSON.stringify(plain(v, new Set(), 0)); } catch (e) { return String(v); }
  }

  function equals(a, b, seen) {
    if (Object.is(a, b) || (a === b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (a instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof RegExp) return String(a) === String(b);
    const pairs = seen || new Map();
    if (pairs.get(a) === b) return true;
    pairs.set(a, b);
    if (Array.isArray(a)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i], pairs)) return false;
      return true;
    }
    if (a instanceof Map || a instanceof Set) return equals(Array.from(a), Array.from(b), pairs);
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
      if (!Object.prototype.hasOwnProperty.call(b, k) || !equals(a[k], b[k], pairs)) return false;
    }
    return true;
  }

  // ------------------------------------------------------------------------------------------- failures
  class TestFailure extends Error {
    constructor(message, values, expected, actual) {
      super(message);
      this.name = "TestFailure";
      this.line = here();
      this.hasValues = !!values;
      if (values) { this.expected = plain(expected, new Set(), 0); this.actual = plain(actual, new Set(), 0); }
    }
  }

  function errorMessage(e) {
    if (e instanceof Error) return e.code ? e.code + ": " + e.message : (e.name === "Error" || e.name === "SpellError" ? e.message : e.name + ": " + e.message);
    try { return typeof e === "object" && e !== null ? JSON.stringify(e) : String(e); } catch (x) { return String(e); }
  }

  function matchers(actual, negated) {
    const not = negated ? "not " : "";
    function check(ok, message, values, expected) {
      if (negated ? ok : !ok) throw new TestFailure(message, values && !negated, expected, actual);
    }
    const m = {
      toBe(expected) {
        check(Object.is(actual, expected), negated ? "expected values not to be identical (Object.is), both are " + show(actual)
          : "expected values to be identical (Object.is)", true, expected);
      },
      toEqual(expected) {
        check(equals(actual, expected), negated ? "expected values not to be equal (deep), both are " + show(actual)
          : "expected values to be equal (deep)", true, expected);
      },
      toStrictEqual(expected) { m.toEqual(expected); },
      toContain(item) {
        const ok = (typeof actual === "string") ? actual.includes(String(item))
          : (actual && typeof actual.includes === "function") ? actual.includes(item) : false;
        check(ok, "expected " + show(actual) + " " + not + "to contain " + show(item));
      },
      toMatch(pattern) {
        if (typeof actual !== "string") throw new TestFailure("expected a string to match " + String(pattern) + ", got " + show(actual));
        const ok = pattern instanceof RegExp ? new RegExp(pattern.source, pattern.flags.replace("g", "")).test(actual) : actual.includes(String(pattern));
        check(ok, "expected " + show(actual) + " " + not + "to match " + (pattern instanceof RegExp ? String(pattern) : show(pattern)));
      },
      toBeTruthy() { check(!!actual, "expected " + show(actual) + " " + not + "to be truthy"); },
      toBeFalsy() { check(!actual, "expected " + show(actual) + " " + not + "to be falsy"); },
      toBeNull() { check(actual === null, "expected " + show(actual) + " " + not + "to be null"); },
      toBeUndefined() { check(actual === undefined, "expected " + show(actual) + " " + not + "to be undefined"); },
      toBeDefined() { check(actual !== undefined, "expected the value " + not + "to be defined"); },
      toHaveLength(n) {
        const len = actual !== null && actual !== undefined ? actual.length : undefined;
        check(len === n, "expected length " + not + show(n) + ", got " + show(len));
      },
      toBeGreaterThan(n) { check(actual > n, "expected " + show(actual) + " " + not + "to be > " + show(n)); },
      toBeGreaterThanOrEqual(n) { check(actual >= n, "expected " + show(actual) + " " + not + "to be >= " + show(n)); },
      toBeLessThan(n) { check(actual < n, "expected " + show(actual) + " " + not + "to be < " + show(n)); },
      toBeLessThanOrEqual(n) { check(actual <= n, "expected " + show(actual) + " " + not + "to be <= " + show(n)); },
      toBeCloseTo(n, digits) {
        const d = digits === undefined ? 2 : digits;
        check(Math.abs(n - actual) < Math.pow(10, -d) / 2, "expected " + show(actual) + " " + not + "to be close to " + show(n));
      },
      toHaveProperty(key) {
        const ok = actual !== null && actual !== undefined && Object.prototype.hasOwnProperty.call(Object(actual), key);
        check(ok, "expected " + show(actual) + " " + not + "to have property " + show(key));
      },
      toThrow(expected) {
        if (typeof actual !== "function") throw new TestFailure("toThrow expects a function, got " + show(actual));
        let threw = false, err;
        try { actual(); } catch (e) { threw = true; err = e; }
        if (negated) {
          if (threw) throw new TestFailure("expected no error, got: " + errorMessage(err));
          return;
        }
        if (!threw) throw new TestFailure("expected the function to throw, but it returned normally");
        if (expected === undefined) return;
        const text = err instanceof Error ? String(err.message) : errorMessage(err);
        const ok = expected instanceof RegExp ? expected.test(text)
          : typeof expected === "function" ? err instanceof expected : text.includes(String(expected));
        if (!ok) throw new TestFailure("expected the error to match " + (expected instanceof RegExp ? String(expected) : show(expected)) + ", got: " + show(text));
      },
    };
    return m;
  }

  function expect(actual) {
    const m = matchers(actual, false);
    Object.defineProperty(m, "not", { value: matchers(actual, true) });
    return m;
  }

  // ------------------------------------------------------------------------------------------- declaring tests
  const root = { name: null, before: [], after: [], beforeAll: [], afterAll: [], parent: null, line: null,
                 skip: false, only: false };
  let current = root;
  const tests = [];

  function fullName(block, name) {
    const parts = [name];
    for (let b = block; b && b.name !== null; b = b.parent) parts.unshift(b.name);
    return parts.join(" › ");
  }
  let anyOnly = false;  // test.only / describe.only somewhere: the other tests are skipped
  function addTest(name, fn, skip, only) {
    if (typeof name !== "string") throw new TypeError("a test needs a name (a string)");
    if (fn !== undefined && typeof fn !== "function") throw new TypeError("test: the body must be a function");
    if (only) anyOnly = true;
    tests.push({ name: fullName(current, name), line: declLine(here(), name), fn, block: current,
                 skip: skip || fn === undefined || current.skip, only: !!only || current.only });
  }
  function describe(name, fn, skip, only) {
    if (typeof name !== "string") throw new TypeError("describe needs a name (a string)");
    if (typeof fn !== "function") throw new TypeError("describe: the block must be a function");
    if (only) anyOnly = true;
    const block = { name, before: [], after: [], beforeAll: [], afterAll: [], parent: current,
                    line: declLine(here(), name), skip: !!skip || current.skip, only: !!only || current.only };
    const outer = current;
    current = block;
    try {
      const v = fn();
      if (v && typeof v.then === "function") throw new TypeError("describe: the block must not be async (declare the tests in it at once; tests may be async)");
    } finally { current = outer; }
  }
  function hook(list, name) {
    return (fn) => {
      if (typeof fn !== "function") throw new TypeError(name + " expects a function");
      current[list].push(fn);
    };
  }
  const api = {
    describe: Object.assign((name, fn) => describe(name, fn, false), { skip: (name, fn) => describe(name, fn, true),
                                                                       only: (name, fn) => describe(name, fn, false, true) }),
    test: Object.assign((name, fn) => addTest(name, fn, false),
                        { skip: (name, fn) => addTest(name, fn, true), todo: (name) => addTest(name, undefined, true),
                          only: (name, fn) => addTest(name, fn, false, true) }),
    beforeAll: hook("beforeAll", "beforeAll"),
    afterAll: hook("afterAll", "afterAll"),
    beforeEach: hook("before", "beforeEach"),
    afterEach: hook("after", "afterEach"),
    expect,
  };
  api.it = api.test;
  api.xit = api.test.skip;
  api.xtest = api.test.skip;
  api.xdescribe = api.describe.skip;
  for (const k of Object.keys(api)) Object.defineProperty(globalThis, k, { value: api[k], writable: false, configurable: false });

  // ------------------------------------------------------------------------------------------- running tests
  function failureOf(e) {
    if (e instanceof TestFailure) return e;
    return { message: errorMessage(e), line: testLine(e && e.stack), hasValues: false };
  }
  function selected(t, options) {
    if (options.filter && t.name.indexOf(options.filter) < 0) return false;
    if (options.line) {
      if (t.line === options.line) return true;
      for (let b = t.block; b; b = b.parent) if (b.line === options.line) return true;
      return false;
    }
    return true;
  }
  // A hook or test body, awaited when it returns a promise; its failure (null when it passed).
  async function attempt(fn) {
    try { await fn(); return null; } catch (e) { return failureOf(e); }
  }
  function chain(t) {
    const blocks = [];
    for (let b = t.block; b; b = b.parent) blocks.unshift(b);
    return blocks;
  }
  async function runOne(t, blocks) {
    let failure = null;
    for (const b of blocks) for (const fn of b.before) if (!failure) failure = await attempt(fn);
    if (!failure) failure = await attempt(t.fn);
    for (let i = blocks.length - 1; i >= 0; i--) {
      for (const fn of blocks[i].after) {
        const f = await attempt(fn);
        if (!failure) failure = f;
      }
    }
    return failure;
  }
  // beforeAll runs before the first test of its describe that runs, afterAll after the last one; a failing
  // beforeAll fails every test of its describe, a failing afterAll the last one.
  function withHookName(f, name) {
    if (f && !String(f.message).startsWith(name)) f.message = name + ": " + f.message;
    return f;
  }
  async function runAll(optionsJson) {
    const options = JSON.parse(optionsJson);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const runs = (t) => !(t.skip || (anyOnly && !t.only));
    const chosen = tests.map((t, i) => ({ t, id: i + 1 })).filter((x) => selected(x.t, options));
    const remaining = new Map();  // block → tests of it still to run
    for (const { t } of chosen) if (runs(t)) for (const b of chain(t)) remaining.set(b, (remaining.get(b) || 0) + 1);
    const setUp = new Map();  // block → failure of its beforeAll (null: passed)
    for (const { t, id } of chosen) {
      hostTest("started", JSON.stringify({ test_id: id, name: t.name, line: t.line }));
      const started = Date.now();
      const result = { test_id: id, name: t.name, line: t.line };
      let f = null;
      if (!runs(t)) result.status = "skipped";
      else {
        const blocks = chain(t);
        for (const b of blocks) {
          if (!setUp.has(b)) {
            let bf = null;
            for (const fn of b.beforeAll) if (!bf) bf = withHookName(await attempt(fn), "beforeAll");
            setUp.set(b, bf);
          }
          if (!f) f = setUp.get(b);
        }
        if (!f) f = await runOne(t, blocks);
        const forgotten = unheardFailure();
        if (!f) f = forgotten;
        for (let i = blocks.length - 1; i >= 0; i--) {
          const b = blocks[i];
          const left = remaining.get(b) - 1;
          remaining.set(b, left);
          if (left === 0) for (const fn of b.afterAll) {
            const af = withHookName(await attempt(fn), "afterAll");
            if (!f) f = af;
          }
        }
        result.status = f ? "failed" : "passed";
      }
      if (f) {
        result.message = String(f.message);
        result.failure_line = f.line;
        if (f.hasValues) { result.has_values = true; result.expected = f.expected; result.actual = f.actual; }
      }
      result.duration_s = (Date.now() - started) / 1000;
      counts[result.status] += 1;
      let text;
      try { text = JSON.stringify(result); } catch (e) { delete result.expected; delete result.actual; result.has_values = false; text = JSON.stringify(result); }
      hostTest("result", text);
      if (options.bail && result.status === "failed") break;
    }
    return counts;
  }
  function setSource(text) { sourceLines = String(text).split("\n"); }
  // The engine's "first failed bridge call nothing awaited" (js_prelude.js), checked after each test: a forgotten
  // `await` fails the test it is in, when its call has failed by the time the test ends.
  let takeUnheard = () => null;
  function setUnheard(fn) { takeUnheard = fn; }
  function unheardFailure() {
    const text = takeUnheard();
    if (!text) return null;
    const e = JSON.parse(text);
    return { message: "a call nothing awaited failed: " + (e.code ? e.code + ": " : "") + e.message,
             line: testLine(e.stack), hasValues: false };
  }

  globalThis.__ls_test_internal = { runAll, setSource, setUnheard };
})();
