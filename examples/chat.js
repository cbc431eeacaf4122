// chat.js: a multi-turn conversation. LLM.chat with a message list you keep, then an Agent that keeps it for you.
// Run it:  llmspell run examples/chat.js            (offline model; add --model openai/gpt-4o-mini for a real one)
const messages = [{ role: "system", content: "You are a friendly assistant." }];
const turns = (INPUT && INPUT.turns) || ["Hi, my name is Ada.", "What is my name?"];

for (const text of turns) {
  messages.push({ role: "user", content: text });
  const reply = LLM.chat(messages, { temperature: 0 });
  messages.push(reply);
  console.log("user: " + text);
  console.log("assistant: " + reply.content);
}

// An agent remembers the conversation itself (up to `memory` messages).
const bot = Agent.new({ name: "buddy", system: "You are terse.", memory: 10 });
bot.chat("Remember the number 7.");
console.log("agent: " + bot.chat("Which number did I mention?"));
console.log("agent history: " + bot.history().length + " messages");

return { turns: turns.length, messages: messages.length };
