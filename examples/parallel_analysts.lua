-- parallel_analysts.lua: three analysts answer at the same time (their LLM calls overlap on the host),
-- then a synthesizer agent combines their views.
local question = (INPUT and INPUT.question) or "Should our team adopt a four-day work week?"

local analysts = Workflow.parallel({
  {name = "optimist", prompt = "As an optimist, analyse: {{input}}"},
  {name = "skeptic", prompt = "As a skeptic, analyse: {{input}}"},
  {name = "economist", prompt = "As an economist, analyse: {{input}}"},
}, {input = question, max_concurrency = 3, name = "analysts"})

for _, r in ipairs(analysts.results) do
  print(r.name .. ": " .. r.output)
end

local synthesizer = Agent.new({name = "synthesizer", system = "Combine analyses into one recommendation."})
local summary = synthesizer:run("Views: " .. table.concat(analysts.output, " | "))
print("synthesis: " .. summary.text)

return {ok = analysts.ok, views = #analysts.output}
