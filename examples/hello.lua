-- hello.lua: the smallest spell. Prints a greeting and returns a value.
-- Run it:  llmspell run examples/hello.lua --input '{"name": "Ada"}'
local name = (INPUT and INPUT.name) or "world"
print("Hello, " .. name .. "! Greetings from a Lua spell.")
Log.info("spell finished", {language = "lua"})
return {greeted = name}
