-- content_pipeline.lua: a sequential pipeline (outline -> draft) with a quality gate that decides what happens next.
local topic = (INPUT and INPUT.topic) or "urban beekeeping"

local pipeline = Workflow.sequential({
  {name = "outline", prompt = "Outline a short article about {{input}}"},
  {name = "draft", prompt = "Write the article from this outline: {{outline}}"},
}, {input = topic, name = "content", on_error = "retry", retries = 1})

local draft = pipeline.output
print("outline: " .. pipeline.outputs.outline)

-- The gate: deterministic checks first (length, topic mentioned), then route.
local gate = Workflow.conditional(function(text)
  local words = Tool.call("text", {op = "word_count", text = text})
  local on_topic = string.find(string.lower(text), string.lower(topic), 1, true) ~= nil
  print("gate: " .. words .. " words, on topic: " .. tostring(on_topic))
  return (words >= 8 and on_topic) and "publish" or "revise"
end, {
  publish = function(text) return "PUBLISHED: " .. text end,
  revise = {prompt = "Revise this draft so it is longer and on topic: {{input}}"},
}, {input = draft})

print("branch: " .. gate.branch)
print(gate.output)
return {branch = gate.branch, ok = pipeline.ok and gate.ok, article = gate.output}
