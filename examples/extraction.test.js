// extraction.test.js: tests of extraction.js with a mocked model (no network, the same answer every time)
const grace = { name: "Grace Hopper", born: 1906, field: "mathematics", languages: ["English"] };

describe("extraction", () => {
  beforeEach(() => {
    // any object other than {content, tool_calls} is structured output: the model "returns" it as JSON
    Mock.llm(/^Extract the person/, grace);
  });

  test("returns the validated person", () => {
    const r = Spell.run("extraction.js", { text: "Grace Hopper, born 1906, a mathematician" });
    expect(r.error).toBeNull();
    expect(r.result).toEqual(grace);
    expect(r.output).toContain("Grace Hopper (born 1906), mathematics");
  });

  test("sends the text to the model", () => {
    const r = Spell.run("extraction.js", { text: "Grace Hopper, born 1906" });
    expect(r.calls[0].prompt).toContain("Grace Hopper, born 1906");
    expect(r.calls[0].mocked).toBe(true);
  });

  test("reports a bad schema as an error", () => {
    expect(Spell.run("extraction.js").output).toMatch(/bad schema -> invalid_argument/);
  });
});
