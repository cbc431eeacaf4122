// content_pipeline.js: a sequential pipeline (outline -> draft) with a quality gate that decides what happens next.
const topic = (INPUT && INPUT.topic) || "urban beekeeping";

const pipeline = Workflow.sequential([
  { name: "outline", prompt: "Outline a short article about {{input}}" },
  { name: "draft", prompt: "Write the article from this outline: {{outline}}" },
], { input: topic, name: "content", onError: "retry", retries: 1 });

const draft = pipeline.output;
console.log("outline: " + pipeline.outputs.outline);

// The gate: deterministic checks first (length, topic mentioned), then route.
const gate = Workflow.conditional((text) => {
  const words = Tool.call("text", { op: "word_count", text });
  const onTopic = text.toLowerCase().includes(topic.toLowerCase());
  console.log("gate: " + words + " words, on topic: " + onTopic);
  return words >= 8 && onTopic ? "publish" : "revise";
}, {
  publish: (text) => "PUBLISHED: " + text,
  revise: { prompt: "Revise this draft so it is longer and on topic: {{input}}" },
}, { input: draft });

console.log("branch: " + gate.branch);
console.log(gate.output);
return { branch: gate.branch, ok: pipeline.ok && gate.ok, article: gate.output };
