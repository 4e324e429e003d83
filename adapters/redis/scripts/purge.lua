-- Purge one list of a queue: pending, completed, failed or dead-letter.
--
-- KEYS[1]  list_key: the list to empty
-- KEYS[2]  counts_key: hash of delivery field -> deliveries so far
-- ARGV[1]  is_pending: "1" when list_key is pending (its delivery counts go too)
--
-- Returns the number of entries removed. Processing is never purged: its messages
-- belong to running handlers.

local list_key = KEYS[1]
local counts_key = KEYS[2]
local is_pending = ARGV[1] == '1'

-- Our envelope starts with its id; any other value is its own delivery field.
local function delivery_field(stored)
    return string.match(stored, '^\30RMQ1:{"id":"([^"]+)"') or stored
end

-- Each value is one Lua stack slot; stay far below the stack limit.
local batch_size = 1000

local function forget_counts()
    local values = redis.call('LRANGE', list_key, 0, -1)
    for first = 1, #values, batch_size do
        local fields = {}
        for index = first, math.min(first + batch_size - 1, #values) do
            fields[#fields + 1] = delivery_field(values[index])
        end
        redis.call('HDEL', counts_key, unpack(fields))
    end
end

local removed = redis.call('LLEN', list_key)
redis.call('HLEN', counts_key)
if is_pending and removed > 0 then
    forget_counts()
end
redis.call('DEL', list_key)
return removed
