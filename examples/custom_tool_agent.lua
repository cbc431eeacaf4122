-- custom_tool_agent.lua: register your own tools and let an agent call them.
Tool.register("get_weather", "Current weather for a city",
  {type = "object", properties = {city = {type = "string"}}, required = {"city"}},
  function(args)
    local reports = {Paris = "sunny, 21 C", London = "rainy, 14 C"}
    return reports[args.city] or "no report"
  end)

-- A tool can also be defined inline for one agent.
local to_fahrenheit = {
  name = "to_fahrenheit", description = "Convert Celsius to Fahrenheit",
  parameters = {type = "object", properties = {celsius = {type = "number"}}, required = {"celsius"}},
  fn = function(args) return args.celsius * 9 / 5 + 32 end,
}

local agent = Agent.new({name = "weather_bot", system = "Answer weather questions with your tools.",
                         tools = {"get_weather", to_fahrenheit}, max_steps = 4})

local r = agent:run("Use get_weather for city: Paris")
print(r.text)
for _, step in ipairs(r.steps) do
  for _, call in ipairs(step.tool_calls) do
    print("  step " .. step.step .. ": " .. call.name .. "(" .. call.arguments.city .. ") -> " .. call.result)
  end
end
print(agent:run("Convert with to_fahrenheit, celsius = 21").text)
print("steps: " .. #r.steps .. ", tokens: " .. r.usage.total_tokens)

return {answer = r.text}
