-- hello.lua: the smallest spell. Prints a greeting, asks a model to say hello, returns both.
-- Run it:  llmspell run examples/hello.lua --input '{"name": "Ada"}'
-- The default model is the offline one (it echoes, no key needed): pick a real one in Settings or with --model.
local name = (INPUT and INPUT.name) or "world"
print("Hello, " .. name .. "! Greetings from a Lua spell.")
local reply = LLM.complete("Say hello to " .. name, {temperature = 0})
print("The model says: " .. reply)
Log.info("spell finished", {language = "lua"})
return {greeted = name, reply = reply}
