-- Claim messages: take back expired leases, then take the oldest pending messages.
--
-- KEYS[1]    pending_key: list of stored messages, claimed from the right
-- KEYS[2]    processing_key: hash of lease token -> stored message
-- KEYS[3]    deadlines_key: sorted set of lease tokens scored by deadline (server ms)
-- KEYS[4]    counts_key: hash of delivery field -> deliveries so far
-- KEYS[5]    dead_letter_key: list of payloads that used up their deliveries
-- ARGV[1]    max_messages: deliver at most this many messages
-- ARGV[2]    lease_ms: lease length, or "" to claim without a lease
-- ARGV[3]    max_delivery_count: deliveries a message gets, or "" for no limit
-- ARGV[4]    reclaim_limit: take back at most this many expired leases
-- ARGV[5..]  lease tokens, one per message this call may deliver; derived from the
--            claim's id, so a repeated call passes the same ones
--
-- Returns {claims, reclaimed, dead_lettered, next_expiry_ms}: claims is a list of
-- {stored, lease_token, delivery_count}; reclaimed and dead_lettered are stored
-- values; next_expiry_ms is the time until the earliest lease ends, -1 for none.
-- When some of the tokens already hold messages, an earlier run of this same call
-- took them and its reply was lost: those messages are returned (leases renewed)
-- and nothing else is taken back or claimed.

local pending_key = KEYS[1]
local processing_key = KEYS[2]
local deadlines_key = KEYS[3]
local counts_key = KEYS[4]
local dead_letter_key = KEYS[5]
local max_messages = tonumber(ARGV[1])
local lease_ms = tonumber(ARGV[2])
local max_delivery_count = tonumber(ARGV[3])
local reclaim_limit = tonumber(ARGV[4])
local first_token = 5

-- Each value is one Lua stack slot; stay far below the stack limit.
local batch_size = 1000
-- A run of poison messages is dead-lettered a bounded number at a time, so one
-- call never holds the server for long; the next claim goes on with the rest.
local max_dead_letters_per_call = 100

local function server_now_ms()
    local time = redis.call('TIME')
    return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function call_in_batches(command, key, values)
    for first = 1, #values, batch_size do
        local last = math.min(first + batch_size - 1, #values)
        redis.call(command, key, unpack(values, first, last))
    end
end

-- Our envelope starts with its id; any other value is its own delivery field.
local function delivery_field(stored)
    return string.match(stored, '^\30RMQ1:{"id":"([^"]+)"') or stored
end

-- Restates core.envelope.decode: a value that is not a valid envelope stays whole.
local function payload_of(stored)
    if not string.match(stored, '^\30RMQ1:') then
        return stored
    end
    local ok, body = pcall(cjson.decode, string.sub(stored, 7))
    if ok and type(body) == 'table' and type(body.id) == 'string'
        and type(body.payload) == 'string' then
        return body.payload
    end
    return stored
end

-- A script cannot roll back, so every key that may be written after an earlier
-- write is read first: a wrong-typed key then fails the call before any change.
-- pending needs no check: its first write is the script's first write.
local function check_key_types()
    redis.call('HLEN', processing_key)
    redis.call('ZCARD', deadlines_key)
    redis.call('HLEN', counts_key)
    redis.call('LLEN', dead_letter_key)
end

-- Restates core.policy.lease_expired: only deadlines strictly before now.
local function expired_tokens(now_ms)
    if reclaim_limit < 1 then
        return {}
    end
    local before_now = string.format('(%d', now_ms)
    return redis.call(
        'ZRANGEBYSCORE', deadlines_key, '-inf', before_now, 'LIMIT', 0, reclaim_limit)
end

local function held_values(tokens)
    local values = {}
    for first = 1, #tokens, batch_size do
        local last = math.min(first + batch_size - 1, #tokens)
        local batch = redis.call('HMGET', processing_key, unpack(tokens, first, last))
        for offset = 1, last - first + 1 do
            values[first + offset - 1] = batch[offset]
        end
    end
    return values
end

local function reclaim_expired(now_ms)
    local tokens = expired_tokens(now_ms)
    if #tokens == 0 then
        return {}
    end

    -- A token without a held value is a leftover deadline; it is only removed.
    local stored = held_values(tokens)
    local reclaimed, latest_first = {}, {}
    for index = 1, #tokens do
        if stored[index] then
            reclaimed[#reclaimed + 1] = stored[index]
        end
        local back = stored[#tokens - index + 1]
        if back then
            latest_first[#latest_first + 1] = back
        end
    end

    -- Pushed latest deadline first, so the earliest ends up at the claim end.
    call_in_batches('RPUSH', pending_key, latest_first)
    call_in_batches('HDEL', processing_key, tokens)
    call_in_batches('ZREM', deadlines_key, tokens)
    return reclaimed
end

local function dead_letter(stored, field)
    redis.call('LPUSH', dead_letter_key, payload_of(stored))
    redis.call('HDEL', counts_key, field)
end

local function deliver(stored, count, token, now_ms)
    redis.call('HSET', processing_key, token, stored)
    if lease_ms then
        redis.call('ZADD', deadlines_key, now_ms + lease_ms, token)
    end
    return {stored, token, count}
end

-- Restates core.policy.decide_claim for each message taken from pending.
local function claim_pending(now_ms)
    local claims, dead_lettered = {}, {}
    while #claims < max_messages and #dead_lettered < max_dead_letters_per_call do
        local stored = redis.call('RPOP', pending_key)
        if not stored then
            break
        end

        local field = delivery_field(stored)
        local count = redis.call('HINCRBY', counts_key, field, 1)
        if max_delivery_count and count > max_delivery_count then
            dead_letter(stored, field)
            dead_lettered[#dead_lettered + 1] = stored
        else
            local token = ARGV[first_token + #claims]
            claims[#claims + 1] = deliver(stored, count, token, now_ms)
        end
    end
    return claims, dead_lettered
end

-- The messages an earlier run of this call left under its tokens, in token order.
local function claims_of_earlier_run(now_ms)
    local tokens = {}
    for index = first_token, #ARGV do
        tokens[#tokens + 1] = ARGV[index]
    end

    local stored = held_values(tokens)
    local claims = {}
    for index = 1, #tokens do
        if stored[index] then
            local field = delivery_field(stored[index])
            local count = tonumber(redis.call('HGET', counts_key, field)) or 1
            if lease_ms then
                redis.call('ZADD', deadlines_key, 'XX', now_ms + lease_ms, tokens[index])
            end
            claims[#claims + 1] = {stored[index], tokens[index], count}
        end
    end
    return claims
end

local function next_expiry_ms(now_ms)
    local earliest = redis.call('ZRANGE', deadlines_key, 0, 0, 'WITHSCORES')
    if #earliest == 0 then
        return -1
    end
    return math.max(0, tonumber(earliest[2]) - now_ms)
end

check_key_types()
local now_ms = server_now_ms()
local earlier_claims = claims_of_earlier_run(now_ms)
if #earlier_claims > 0 then
    return {earlier_claims, {}, {}, next_expiry_ms(now_ms)}
end

local reclaimed = reclaim_expired(now_ms)
local claims, dead_lettered = claim_pending(now_ms)

return {claims, reclaimed, dead_lettered, next_expiry_ms(now_ms)}
