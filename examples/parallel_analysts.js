// parallel_analysts.js: three analysts answer at the same time (their LLM calls overlap on the host),
// then a synthesizer agent combines their views.
const question = (INPUT && INPUT.question) || "Should our team adopt a four-day work week?";

const analysts = Workflow.parallel([
  { name: "optimist", prompt: "As an optimist, analyse: {{input}}" },
  { name: "skeptic", prompt: "As a skeptic, analyse: {{input}}" },
  { name: "economist", prompt: "As an economist, analyse: {{input}}" },
], { input: question, maxConcurrency: 3, name: "analysts" });

for (const r of analysts.results) {
  console.log(r.name + ": " + r.output);
}

const synthesizer = Agent.new({ name: "synthesizer", system: "Combine analyses into one recommendation." });
const summary = synthesizer.run("Views: " + analysts.output.join(" | "));
console.log("synthesis: " + summary.text);

return { ok: analysts.ok, views: analysts.output.length };
