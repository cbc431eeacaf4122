-- parallel_analysts.lua: three analysts answer at the same time — each is a task, and their LLM calls are
-- in flight together on the host — then a synthesizer agent combines their views. The whole group has a
-- deadline: Task.timeout cancels whatever is still running (closing its LLM requests) when it passes.
local question = (INPUT and INPUT.question) or "Should our team adopt a four-day work week?"

local roles = {"optimist", "skeptic", "economist"}
local analysts = {}
local article = {optimist = "an", skeptic = "a", economist = "an"}
for i, role in ipairs(roles) do
  analysts[i] = Task.spawn(function()
    return LLM.complete("As " .. article[role] .. " " .. role .. ", analyse: " .. question)
  end)
end

local views = Task.timeout(60, function() return Task.all(analysts) end)

for i, role in ipairs(roles) do
  print(role .. ": " .. views[i])
end

local synthesizer = Agent.new({name = "synthesizer", system = "Combine analyses into one recommendation."})
local summary = synthesizer:run("Views: " .. table.concat(views, " | "))
print("synthesis: " .. summary.text)

return {ok = true, views = #views}
