// research_agent.js: an agent with the built-in tools (calculator, text, json_query, datetime).
// Profiles that allow them add file_read/file_write/file_list (workspace only) and http_get (allowed hosts).
const agent = Agent.new({ name: "researcher", system: "You research with tools and cite the numbers.",
                          tools: ["calculator", "text", "json_query"], maxSteps: 5 });

const budget = agent.run("Use the calculator to compute (1200 * 0.15) + 30.");
console.log(budget.text);

const words = agent.run('Use the text tool with op: word_count on "the quick brown fox"');
console.log(words.text);

// Tools can be called directly too.
const data = { papers: [{ title: "On Owls", year: 2019 }, { title: "Owls Revisited", year: 2024 }] };
console.log("latest: " + Tool.call("json_query", { data, path: "$.papers[-1].title" }));
console.log("years: " + Tool.call("json_query", { data, path: "$.papers[*].year" }).join(", "));
console.log("has datetime: " + (Tool.info("datetime").name === "datetime"));

return { budget: budget.text, words: words.text };
