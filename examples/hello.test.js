// hello.test.js: tests of hello.js (run them: llmspell test examples/hello.test.js)
describe("hello", () => {
  beforeEach(() => {
    Mock.llm(/^Say hello to/, (req) => "Hi " + req.prompt.replace("Say hello to ", "") + "!");
  });

  test("greets the name it is given and passes on the model's hello", () => {
    const r = Spell.run("hello.js", { name: "Ada" });
    expect(r.error).toBeNull();
    expect(r.result).toEqual({ greeted: "Ada", reply: "Hi Ada!" });
    expect(r.output).toContain("Hello, Ada! Greetings from a JavaScript spell.");
    expect(r.output).toContain("The model says: Hi Ada!");
  });

  test("greets the world without input", () => {
    expect(Spell.run("hello.js").result.greeted).toBe("world");
  });

  test("asks the model once", () => {
    const calls = Spell.run("hello.js", { name: "Ada" }).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0].prompt).toBe("Say hello to Ada");
  });
});
