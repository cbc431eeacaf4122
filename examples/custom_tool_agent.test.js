// custom_tool_agent.test.js: the agent's tool loop, with the model's answers and a tool pinned by mocks
describe("custom_tool_agent", () => {
  beforeEach(() => {
    // the newest matching mock answers first: the model asks for the tool once, then gives its final answer
    Mock.llm("Convert with to_fahrenheit", "21 C is 69.8 F.");
    Mock.llm("Use get_weather", "It is snowy in Oslo.");
    Mock.llm("Use get_weather", { tool_calls: [{ name: "get_weather", arguments: { city: "Oslo" } }] }, { times: 1 });
    Mock.tool("get_weather", (args) => "snowy, -3 C in " + args.city);
  });

  test("answers with what the tool said", () => {
    const r = Spell.run("custom_tool_agent.js");
    expect(r.error).toBeNull();
    expect(r.result).toEqual({ answer: "It is snowy in Oslo." });
    expect(r.output).toContain("get_weather(Oslo) -> snowy, -3 C in Oslo");
  });

  test("calls the tool with the city the model chose", () => {
    const tools = Spell.run("custom_tool_agent.js").calls
      .filter((c) => c.kind === "tool")
      .map((c) => ({ name: c.name, args: c.args, result: c.result }));
    expect(tools).toEqual([{ name: "get_weather", args: { city: "Oslo" }, result: "snowy, -3 C in Oslo" }]);
  });

  test("sends the tool's result back to the model", () => {
    const second = Spell.run("custom_tool_agent.js").calls[2];  // llm (asks for the tool), tool, llm
    expect(second.kind).toBe("llm");
    const last = second.messages[second.messages.length - 1];
    expect(last.role).toBe("tool");
    expect(last.content).toBe("snowy, -3 C in Oslo");
  });
});
