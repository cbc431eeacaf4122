// parallel_analysts.js: three analysts answer at the same time — their LLM calls are promises in flight
// together on the host — then a synthesizer agent combines their views. The whole group has a deadline:
// AbortSignal.timeout cancels the calls still running (closing their LLM requests) when it passes.
const question = (INPUT && INPUT.question) || "Should our team adopt a four-day work week?";

const roles = [["optimist", "an"], ["skeptic", "a"], ["economist", "an"]];
const signal = AbortSignal.timeout(60000);
const views = await Promise.all(roles.map(([role, article]) =>
  LLM.completeAsync(`As ${article} ${role}, analyse: ${question}`, { signal })));

roles.forEach(([role], i) => console.log(role + ": " + views[i]));

const synthesizer = Agent.new({ name: "synthesizer", system: "Combine analyses into one recommendation." });
const summary = await synthesizer.runAsync("Views: " + views.join(" | "));
console.log("synthesis: " + summary.text);

return { ok: true, views: views.length };
