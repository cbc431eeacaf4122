// state_across_runs.js: remember things between runs. "workspace" state persists (SQLite in your data folder),
// keyed by this folder; "run" state lasts one run. Run it twice and the count goes up.
const runs = State.get("workspace", "demo.runs", 0) + 1;
State.set("workspace", "demo.runs", runs);

const notes = State.get("workspace", "demo.notes", []);
notes.push(LLM.complete("Note for run " + runs));
while (notes.length > 3) notes.shift(); // keep the last three
State.set("workspace", "demo.notes", notes);

State.set("run", "scratch", { started: true });
console.log("run #" + runs);
console.log("notes kept: " + notes.length + ", latest: " + notes[notes.length - 1]);
console.log("workspace keys: " + State.keys("workspace", { prefix: "demo." }).join(", "));
return { runs };
