// cost_hooks.js: hooks that track tokens and cost, enforce a budget, and answer repeats from a cache.
const ledger = { calls: 0, tokens: 0, cost: 0 };
const cache = {};
const budget = 30; // tokens

Hook.register("after_llm", (ev) => {
  ledger.calls += 1;
  ledger.tokens += ev.usage.total_tokens;
  ledger.cost += ev.cost;
  cache[ev.messages[ev.messages.length - 1].content] = ev.content;
}, { name: "ledger" });

Hook.register("before_llm", (req) => {
  const prompt = req.messages[req.messages.length - 1].content;
  if (prompt in cache) return { action: "skip", result: cache[prompt] };
  if (ledger.tokens >= budget) return { action: "cancel", reason: "token budget of " + budget + " reached" };
  return null;
}, { name: "budget", priority: 10 });

const prompts = ["What is a hook?", "Explain budgets briefly", "What is a hook?", "Tell me more about tokens please", "One more?"];
prompts.forEach((prompt, i) => {
  try {
    console.log((i + 1) + ". " + LLM.complete(prompt));
  } catch (e) {
    console.log((i + 1) + ". refused: " + e.code + " (" + e.message + ")");
  }
});

const usage = LLM.usage();
console.log("ledger: " + ledger.calls + " calls, " + ledger.tokens + " tokens, $" + ledger.cost.toFixed(1));
console.log("LLM.usage: " + usage.calls + " calls, " + usage.total_tokens + " tokens");
return ledger;
