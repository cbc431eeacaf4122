// hello.js: the smallest spell. Prints a greeting, asks a model to say hello, returns both.
// Run it:  llmspell run examples/hello.js --input '{"name": "Ada"}'
// The default model is the offline one (it echoes, no key needed): pick a real one in Settings or with --model.
const name = (INPUT && INPUT.name) || "world";
console.log(`Hello, ${name}! Greetings from a JavaScript spell.`);
const reply = LLM.complete(`Say hello to ${name}`, { temperature: 0 });
console.log(`The model says: ${reply}`);
Log.info("spell finished", { language: "js" });
return { greeted: name, reply: reply };
