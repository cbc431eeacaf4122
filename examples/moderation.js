// moderation.js: event-driven moderation. Incoming messages are events; a moderator handler classifies each
// one and publishes message.flagged or message.approved, which other handlers react to.
const verdictSchema = { type: "object", properties: { flagged: { type: "boolean" }, reason: { type: "string" } },
                        required: ["flagged"] };
const banned = ["spam", "scam"];
let approved = 0;
let flagged = 0;

Event.subscribe("message.received", (topic, msg) => {
  const verdict = LLM.structured("Moderate this chat message: " + msg.text, verdictSchema);
  for (const word of banned) {
    if (msg.text.toLowerCase().includes(word)) {
      verdict.flagged = true;
      verdict.reason = "mentions " + word;
    }
  }
  Event.publish(verdict.flagged ? "message.flagged" : "message.approved",
                { id: msg.id, text: msg.text, reason: verdict.reason });
});
Event.subscribe("message.flagged", (topic, m) => { flagged += 1; console.log("flagged #" + m.id + " (" + m.reason + ")"); });
Event.subscribe("message.approved", (topic, m) => { approved += 1; console.log("approved #" + m.id); });

const inbox = (INPUT && INPUT.messages) || ["Hello everyone!", "Buy cheap SPAM now", "Great talk today", "This is a scam"];
inbox.forEach((text, i) => Event.publish("message.received", { id: i + 1, text }));

const first = Event.wait("message.flagged"); // events are also kept for wait()
console.log("first flagged: " + first.data.text);
console.log("approved " + approved + ", flagged " + flagged);
return { approved, flagged };
