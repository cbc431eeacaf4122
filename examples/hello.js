// hello.js: the smallest spell. Prints a greeting and returns a value.
// Run it:  llmspell run examples/hello.js --input '{"name": "Ada"}'
const name = (INPUT && INPUT.name) || "world";
console.log(`Hello, ${name}! Greetings from a JavaScript spell.`);
Log.info("spell finished", { language: "js" });
return { greeted: name };
