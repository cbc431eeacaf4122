-- state_across_runs.lua: remember things between runs. "workspace" state persists (SQLite in your data folder),
-- keyed by this folder; "run" state lasts one run. Run it twice and the count goes up.
local runs = State.get("workspace", "demo.runs", 0) + 1
State.set("workspace", "demo.runs", runs)

local notes = State.get("workspace", "demo.notes", {})
notes[#notes + 1] = LLM.complete("Note for run " .. runs)
while #notes > 3 do table.remove(notes, 1) end     -- keep the last three
State.set("workspace", "demo.notes", notes)

State.set("run", "scratch", {started = true})
print("run #" .. runs)
print("notes kept: " .. #notes .. ", latest: " .. notes[#notes])
print("workspace keys: " .. table.concat(State.keys("workspace", {prefix = "demo."}), ", "))
return {runs = runs}
