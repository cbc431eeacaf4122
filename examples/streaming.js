// streaming.js: show text as it arrives, and stop a stream early by returning false from the callback.
const chunks = [];
const story = LLM.stream("Tell a tiny story about a brave owl", (chunk) => {
  chunks.push(chunk);
});
console.log("streamed " + chunks.length + " chunks: " + story);

let seen = 0;
const partial = LLM.stream([{ role: "user", content: "one two three four five six" }], (chunk) => {
  seen += 1;
  return seen < 3; // returning false stops the stream
});
console.log("stopped after " + seen + " chunks: " + partial);

return { chunks: chunks.length, partial };
