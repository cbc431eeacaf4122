// hello.test.js: tests of hello.js (run them: llmspell test examples/hello.test.js)
describe("hello", () => {
  test("greets the name it is given", () => {
    const r = Spell.run("hello.js", { name: "Ada" });
    expect(r.error).toBeNull();
    expect(r.result).toEqual({ greeted: "Ada" });
    expect(r.output).toContain("Hello, Ada! Greetings from a JavaScript spell.");
  });

  test("greets the world without input", () => {
    expect(Spell.run("hello.js").result.greeted).toBe("world");
  });

  test("asks no model", () => {
    expect(Spell.run("hello.js").calls).toHaveLength(0);
  });
});
