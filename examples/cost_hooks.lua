-- cost_hooks.lua: hooks that track tokens and cost, enforce a budget, and answer repeats from a cache.
local ledger = {calls = 0, tokens = 0, cost = 0}
local cache = {}
local budget = 30   -- tokens

Hook.register("after_llm", function(ev)
  ledger.calls = ledger.calls + 1
  ledger.tokens = ledger.tokens + ev.usage.total_tokens
  ledger.cost = ledger.cost + ev.cost
  cache[ev.messages[#ev.messages].content] = ev.content
end, {name = "ledger"})

Hook.register("before_llm", function(req)
  local prompt = req.messages[#req.messages].content
  if cache[prompt] then return {action = "skip", result = cache[prompt]} end
  if ledger.tokens >= budget then return {action = "cancel", reason = "token budget of " .. budget .. " reached"} end
end, {name = "budget", priority = 10})

local prompts = {"What is a hook?", "Explain budgets briefly", "What is a hook?", "Tell me more about tokens please", "One more?"}
for i, prompt in ipairs(prompts) do
  local ok, answer = pcall(LLM.complete, prompt)
  if ok then
    print(i .. ". " .. answer)
  else
    print(i .. ". refused: " .. answer.code .. " (" .. answer.message .. ")")
  end
end

local usage = LLM.usage()
print("ledger: " .. ledger.calls .. " calls, " .. ledger.tokens .. " tokens, $" .. ledger.cost)
print("LLM.usage: " .. usage.calls .. " calls, " .. usage.total_tokens .. " tokens")
return ledger
