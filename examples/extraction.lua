-- extraction.lua: structured extraction. LLM.structured returns a value validated against a JSON schema.
local schema = {
  type = "object",
  properties = {
    name = {type = "string"},
    born = {type = "integer"},
    field = {type = "string", enum = {"mathematics", "physics", "chemistry"}},
    languages = {type = "array", items = {type = "string"}},
  },
  required = {"name", "born", "field", "languages"},
}
local text = (INPUT and INPUT.text)
  or "name: Ada Lovelace, born: 1815, field: mathematics, languages: English and French"

local person = LLM.structured("Extract the person described here.\n" .. text, schema, {temperature = 0})
print(person.name .. " (born " .. person.born .. "), " .. person.field)
print("languages: " .. table.concat(person.languages, ", "))

-- A schema violation that survives the repair attempt is an error you can catch.
local ok, err = pcall(LLM.structured, "anything", {type = "bogus"})
print("bad schema -> " .. err.code)

return person
