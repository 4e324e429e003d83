-- Settle a delivery: forget the claim and keep the payload in a history list.
--
-- KEYS[1]  processing_key: hash of lease token -> stored message
-- KEYS[2]  deadlines_key: sorted set of lease tokens scored by deadline
-- KEYS[3]  counts_key: hash of delivery field -> deliveries so far
-- KEYS[4]  settled_key: short-lived record that this token's delivery was settled
-- KEYS[5]  history_key (optional): completed or failed list, newest first
-- ARGV[1]  lease_token: the token the claim returned
-- ARGV[2]  delivery_field: the message's field in counts_key
-- ARGV[3]  history_payload: what to push onto history_key
-- ARGV[4]  history_limit: keep at most this many entries, or "" to keep all
-- ARGV[5]  record_seconds: keep settled_key this long after a success, or "" for
--          no record
--
-- Returns 1 if the token still held the message, else 0 with nothing changed. A
-- token that no longer holds its message but has a settled record was settled by
-- an earlier run of this same call whose reply was lost: that also returns 1.

local processing_key = KEYS[1]
local deadlines_key = KEYS[2]
local counts_key = KEYS[3]
local settled_key = KEYS[4]
local history_key = KEYS[5]
local lease_token = ARGV[1]
local delivery_field = ARGV[2]
local history_payload = ARGV[3]
local history_limit = tonumber(ARGV[4])
local record_seconds = tonumber(ARGV[5])

-- A script cannot roll back, so every key written after the first write is read
-- first: a wrong-typed key then fails the call before any change.
local function check_key_types()
    redis.call('ZCARD', deadlines_key)
    redis.call('HLEN', counts_key)
    if history_key then
        redis.call('LLEN', history_key)
    end
end

local function keep_history()
    redis.call('LPUSH', history_key, history_payload)
    if not history_limit then
        return
    end
    if history_limit < 1 then
        redis.call('DEL', history_key)
    else
        redis.call('LTRIM', history_key, 0, history_limit - 1)
    end
end

check_key_types()
if redis.call('HEXISTS', processing_key, lease_token) == 0 then
    return redis.call('EXISTS', settled_key)
end

redis.call('HDEL', processing_key, lease_token)
redis.call('ZREM', deadlines_key, lease_token)
redis.call('HDEL', counts_key, delivery_field)
if history_key then
    keep_history()
end
if record_seconds and record_seconds > 0 then
    redis.call('SET', settled_key, '1', 'EX', record_seconds)
end
return 1
