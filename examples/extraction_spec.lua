-- extraction_spec.lua: tests of extraction.lua with a mocked model (no network, the same answer every time)
local grace = {name = "Grace Hopper", born = 1906, field = "mathematics", languages = {"English"}}

describe("extraction", function()
  before_each(function()
    -- any other table than {content=..., tool_calls=...} is structured output: the model "returns" it as JSON
    Mock.llm("Extract the person", grace)
  end)

  it("returns the validated person", function()
    local r = Spell.run("extraction.lua", {text = "Grace Hopper, born 1906, a mathematician"})
    assert.is_nil(r.error)
    assert.are.same(grace, r.result)
    assert.matches("Grace Hopper %(born 1906%), mathematics", r.output)
  end)

  it("sends the text to the model", function()
    local r = Spell.run("extraction.lua", {text = "Grace Hopper, born 1906"})
    assert.matches("Grace Hopper, born 1906", r.calls[1].prompt, 1, true)
    assert.is_true(r.calls[1].mocked)
  end)

  it("reports a bad schema as an error value", function()
    assert.matches("bad schema %-> invalid_argument", Spell.run("extraction.lua").output)
  end)
end)
