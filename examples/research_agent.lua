-- research_agent.lua: an agent with the built-in tools (calculator, text, json_query, datetime).
-- Profiles that allow them add file_read/file_write/file_list (workspace only) and http_get (allowed hosts).
local agent = Agent.new({name = "researcher", system = "You research with tools and cite the numbers.",
                         tools = {"calculator", "text", "json_query"}, max_steps = 5})

local budget = agent:run("Use the calculator to compute (1200 * 0.15) + 30.")
print(budget.text)

local words = agent:run('Use the text tool with op: word_count on "the quick brown fox"')
print(words.text)

-- Tools can be called directly too.
local data = {papers = {{title = "On Owls", year = 2019}, {title = "Owls Revisited", year = 2024}}}
print("latest: " .. Tool.call("json_query", {data = data, path = "$.papers[-1].title"}))
print("years: " .. table.concat(Tool.call("json_query", {data = data, path = "$.papers[*].year"}), ", "))
print("has datetime: " .. tostring(Tool.info("datetime").name == "datetime"))

return {budget = budget.text, words = words.text}
