// custom_tool_agent.js: register your own tools and let an agent call them.
Tool.register("get_weather", "Current weather for a city",
  { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  (args) => {
    const reports = { Paris: "sunny, 21 C", London: "rainy, 14 C" };
    return reports[args.city] || "no report";
  });

// A tool can also be defined inline for one agent.
const toFahrenheit = {
  name: "to_fahrenheit", description: "Convert Celsius to Fahrenheit",
  parameters: { type: "object", properties: { celsius: { type: "number" } }, required: ["celsius"] },
  fn: (args) => args.celsius * 9 / 5 + 32,
};

const agent = Agent.new({ name: "weather_bot", system: "Answer weather questions with your tools.",
                          tools: ["get_weather", toFahrenheit], maxSteps: 4 });

const r = agent.run("Use get_weather for city: Paris");
console.log(r.text);
for (const step of r.steps) {
  for (const call of step.tool_calls) {
    console.log("  step " + step.step + ": " + call.name + "(" + call.arguments.city + ") -> " + call.result);
  }
}
console.log(agent.run("Convert with to_fahrenheit, celsius = 21").text);
console.log("steps: " + r.steps.length + ", tokens: " + r.usage.total_tokens);

return { answer: r.text };
