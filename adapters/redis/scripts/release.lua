-- Release claims: put their messages back at the claim end of pending, unclaimed.
--
-- KEYS[1]    pending_key: list of stored messages, claimed from the right
-- KEYS[2]    processing_key: hash of lease token -> stored message
-- KEYS[3]    deadlines_key: sorted set of lease tokens scored by deadline
-- KEYS[4]    counts_key: hash of delivery field -> deliveries so far
-- ARGV[1..]  lease tokens of the claims to release
--
-- Returns the number of messages put back. A token that holds nothing is skipped.
-- The delivery the release undoes is taken off the message's count.

local pending_key = KEYS[1]
local processing_key = KEYS[2]
local deadlines_key = KEYS[3]
local counts_key = KEYS[4]

-- Our envelope starts with its id; any other value is its own delivery field.
local function delivery_field(stored)
    return string.match(stored, '^\30RMQ1:{"id":"([^"]+)"') or stored
end

-- A script cannot roll back, so every key written after the first write is read
-- first: a wrong-typed key then fails the call before any change.
local function check_key_types()
    redis.call('LLEN', pending_key)
    redis.call('ZCARD', deadlines_key)
    redis.call('HLEN', counts_key)
end

local function forget_one_delivery(stored)
    local field = delivery_field(stored)
    if redis.call('HINCRBY', counts_key, field, -1) <= 0 then
        redis.call('HDEL', counts_key, field)
    end
end

check_key_types()
local released = 0
for index = 1, #ARGV do
    local token = ARGV[index]
    local stored = redis.call('HGET', processing_key, token)
    if stored then
        redis.call('RPUSH', pending_key, stored)
        redis.call('HDEL', processing_key, token)
        redis.call('ZREM', deadlines_key, token)
        forget_one_delivery(stored)
        released = released + 1
    end
end
return released
