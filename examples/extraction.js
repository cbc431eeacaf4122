// extraction.js: structured extraction. LLM.structured returns a value validated against a JSON schema.
const schema = {
  type: "object",
  properties: {
    name: { type: "string" },
    born: { type: "integer" },
    field: { type: "string", enum: ["mathematics", "physics", "chemistry"] },
    languages: { type: "array", items: { type: "string" } },
  },
  required: ["name", "born", "field", "languages"],
};
const text = (INPUT && INPUT.text)
  || "name: Ada Lovelace, born: 1815, field: mathematics, languages: English and French";

const person = LLM.structured("Extract the person described here.\n" + text, schema, { temperature: 0 });
console.log(person.name + " (born " + person.born + "), " + person.field);
console.log("languages: " + person.languages.join(", "));

// A schema violation that survives the repair attempt is an error you can catch.
try {
  LLM.structured("anything", { type: "bogus" });
} catch (e) {
  console.log("bad schema -> " + e.code);
}

return person;
