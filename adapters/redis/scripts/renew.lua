-- Renew a lease: move its deadline to now + lease_ms, measured by the server clock.
--
-- KEYS[1]  processing_key: hash of lease token -> stored message
-- KEYS[2]  deadlines_key: sorted set of lease tokens scored by deadline (server ms)
-- ARGV[1]  lease_token: the token the claim returned
-- ARGV[2]  lease_ms: the new lease length
--
-- Returns 1 if the token still holds the message under a lease and its deadline
-- moved, else 0 with nothing changed. Both keys are read before the only write,
-- so a wrong-typed key fails the call before any change.

local processing_key = KEYS[1]
local deadlines_key = KEYS[2]
local lease_token = ARGV[1]
local lease_ms = tonumber(ARGV[2])

local function server_now_ms()
    local time = redis.call('TIME')
    return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local held = redis.call('HEXISTS', processing_key, lease_token) == 1
local leased = redis.call('ZSCORE', deadlines_key, lease_token) ~= false
if not (held and leased) then
    return 0
end

redis.call('ZADD', deadlines_key, 'XX', server_now_ms() + lease_ms, lease_token)
return 1
