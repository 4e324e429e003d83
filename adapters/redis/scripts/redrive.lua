-- Redrive dead letters: move the oldest back to pending, each in a fresh envelope.
--
-- KEYS[1]    dead_letter_key: list of payloads, newest on the left
-- KEYS[2]    pending_key: list of stored messages, claimed from the right
-- ARGV[1..]  fresh envelope ids, one per message this call may move
--
-- Returns the number of messages moved. A fresh id gives each message a fresh
-- delivery budget. The envelope restates core.envelope.encode: the marker, then
-- compact JSON with the id first.

local dead_letter_key = KEYS[1]
local pending_key = KEYS[2]

local function envelope(message_id, payload)
    return '\30RMQ1:{"id":"' .. message_id .. '","payload":' .. cjson.encode(payload)
        .. '}'
end

redis.call('LLEN', pending_key)
local moved = 0
for index = 1, #ARGV do
    local payload = redis.call('RPOP', dead_letter_key)
    if not payload then
        break
    end
    redis.call('LPUSH', pending_key, envelope(ARGV[index], payload))
    moved = moved + 1
end
return moved
