---@meta test
-- Test files (*_spec.lua, *_test.lua): the busted-style test API.

---Group tests; names nest ("outer › inner › test").
---@param name string
---@param fn fun()
function describe(name, fn) end

---Declare a test (a failed assertion ends it).
---@param name string
---@param fn? fun()
function it(name, fn) end

---Declare a test (same as it).
---@param name string
---@param fn? fun()
function test(name, fn) end

---Declare a test that is reported as skipped.
---@param name string
function pending(name) end

---Run fn before each test of the enclosing describe (outer ones first).
---@param fn fun()
function before_each(fn) end

---Run fn after each test of the enclosing describe, even when it failed.
---@param fn fun()
function after_each(fn) end

---Run fn once, before the first test of the enclosing describe (a failure fails that describe's tests).
---@param fn fun()
function setup(fn) end

---Run fn once, after the last test of the enclosing describe.
---@param fn fun()
function teardown(fn) end
