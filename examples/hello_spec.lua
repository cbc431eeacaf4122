-- hello_spec.lua: tests of hello.lua (run them: llmspell test examples/hello_spec.lua)
describe("hello", function()
  before_each(function()
    Mock.llm("Say hello to", function(req) return "Hi " .. req.prompt:match("Say hello to (.+)") .. "!" end)
  end)

  it("greets the name it is given and passes on the model's hello", function()
    local r = Spell.run("hello.lua", {name = "Ada"})
    assert.is_nil(r.error)
    assert.are.same({greeted = "Ada", reply = "Hi Ada!"}, r.result)
    assert.are.equal("Hello, Ada! Greetings from a Lua spell.\nThe model says: Hi Ada!\n", r.output)
  end)

  it("greets the world without input", function()
    assert.are.equal("world", Spell.run("hello.lua").result.greeted)
  end)

  it("asks the model once, at temperature 0", function()
    local calls = Spell.run("hello.lua", {name = "Ada"}).calls
    assert.are.equal(1, #calls)
    assert.are.equal("Say hello to Ada", calls[1].prompt)
  end)
end)
