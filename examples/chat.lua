-- chat.lua: a multi-turn conversation. LLM.chat with a message list you keep, then an Agent that keeps it for you.
-- Run it:  llmspell run examples/chat.lua            (offline model; add --model openai/gpt-4o-mini for a real one)
local messages = {{role = "system", content = "You are a friendly assistant."}}
local turns = (INPUT and INPUT.turns) or {"Hi, my name is Ada.", "What is my name?"}

for _, text in ipairs(turns) do
  messages[#messages + 1] = {role = "user", content = text}
  local reply = LLM.chat(messages, {temperature = 0})
  messages[#messages + 1] = reply
  print("user: " .. text)
  print("assistant: " .. reply.content)
end

-- An agent remembers the conversation itself (up to `memory` messages).
local bot = Agent.new({name = "buddy", system = "You are terse.", memory = 10})
bot:chat("Remember the number 7.")
print("agent: " .. bot:chat("Which number did I mention?"))
print("agent history: " .. #bot:history() .. " messages")

return {turns = #turns, messages = #messages}
