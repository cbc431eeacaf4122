-- moderation.lua: event-driven moderation. Incoming messages are events; a moderator handler classifies each
-- one and publishes message.flagged or message.approved, which other handlers react to.
local verdict_schema = {type = "object", properties = {flagged = {type = "boolean"}, reason = {type = "string"}},
                        required = {"flagged"}}
local banned = {"spam", "scam"}
local approved, flagged = 0, 0

Event.subscribe("message.received", function(topic, msg)
  local verdict = LLM.structured("Moderate this chat message: " .. msg.text, verdict_schema)
  for _, word in ipairs(banned) do
    if string.find(string.lower(msg.text), word, 1, true) then
      verdict.flagged, verdict.reason = true, "mentions " .. word
    end
  end
  Event.publish(verdict.flagged and "message.flagged" or "message.approved",
                {id = msg.id, text = msg.text, reason = verdict.reason})
end)
Event.subscribe("message.flagged", function(topic, m) flagged = flagged + 1; print("flagged #" .. m.id .. " (" .. m.reason .. ")") end)
Event.subscribe("message.approved", function(topic, m) approved = approved + 1; print("approved #" .. m.id) end)

local inbox = (INPUT and INPUT.messages) or {"Hello everyone!", "Buy cheap SPAM now", "Great talk today", "This is a scam"}
for i, text in ipairs(inbox) do
  Event.publish("message.received", {id = i, text = text})
end

local first = Event.wait("message.flagged")          -- events are also kept for wait()
print("first flagged: " .. first.data.text)
print("approved " .. approved .. ", flagged " .. flagged)
return {approved = approved, flagged = flagged}
