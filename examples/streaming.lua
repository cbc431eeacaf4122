-- streaming.lua: show text as it arrives, and stop a stream early by returning false from the callback.
local chunks = {}
local story = LLM.stream("Tell a tiny story about a brave owl", function(chunk)
  chunks[#chunks + 1] = chunk
end)
print("streamed " .. #chunks .. " chunks: " .. story)

local seen = 0
local partial = LLM.stream({{role = "user", content = "one two three four five six"}}, function(chunk)
  seen = seen + 1
  return seen < 3          -- returning false stops the stream
end)
print("stopped after " .. seen .. " chunks: " .. partial)

return {chunks = #chunks, partial = partial}
