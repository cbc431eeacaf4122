-- custom_tool_agent_spec.lua: the agent's tool loop, with the model's answers and a tool pinned by mocks
describe("custom_tool_agent", function()
  before_each(function()
    -- the newest matching mock answers first: the model asks for the tool once, then gives its final answer
    Mock.llm("Convert with to_fahrenheit", "21 C is 69.8 F.")
    Mock.llm("Use get_weather", "It is snowy in Oslo.")
    Mock.llm("Use get_weather", {tool_calls = {{name = "get_weather", arguments = {city = "Oslo"}}}}, {times = 1})
    Mock.tool("get_weather", function(args) return "snowy, -3 C in " .. args.city end)
  end)

  it("answers with what the tool said", function()
    local r = Spell.run("custom_tool_agent.lua")
    assert.is_nil(r.error)
    assert.are.same({answer = "It is snowy in Oslo."}, r.result)
    assert.matches("get_weather%(Oslo%) %-> snowy, %-3 C in Oslo", r.output)
  end)

  it("calls the tool with the city the model chose", function()
    local tools = {}
    for _, call in ipairs(Spell.run("custom_tool_agent.lua").calls) do
      if call.kind == "tool" then tools[#tools + 1] = {name = call.name, args = call.args, result = call.result} end
    end
    assert.are.same({{name = "get_weather", args = {city = "Oslo"}, result = "snowy, -3 C in Oslo"}}, tools)
  end)

  it("sends the tool's result back to the model", function()
    local calls = Spell.run("custom_tool_agent.lua").calls
    local second = calls[3]  -- llm (asks for the tool), tool, llm (final answer)
    assert.are.equal("llm", second.kind)
    assert.are.equal("tool", second.messages[#second.messages].role)
    assert.are.equal("snowy, -3 C in Oslo", second.messages[#second.messages].content)
  end)
end)
