-- Publish messages: apply the pending cap, create dedup markers, push the rest.
--
-- KEYS[1]    pending_key: list of stored messages; new ones go in at the left
-- KEYS[2..]  dedup marker keys, each named once; publications refer to them by
--            position (1 is KEYS[2])
-- ARGV[1]    dedup_ttl_seconds: lifetime of a marker this call creates
-- ARGV[2]    max_pending_length: the cap on pending, or "" for no cap
-- ARGV[3]    drop_oldest: "1" makes room by dropping the oldest, "0" refuses
-- ARGV[4..]  one triple per publication, in order: the position of its marker key
--            (0 for none), the value its marker holds (its envelope id, or "" when
--            it has none), then its stored envelope
--
-- Returns {0, pending_length} when the cap refuses (nothing is written), else
-- {1, enqueued, dropped}: enqueued holds 1 or 0 per publication (0: a live marker
-- suppressed it), dropped the stored values removed to make room, oldest first.
-- A marker that already holds the publication's own id was set by an earlier run
-- of this same call whose reply was lost: the publication counts as enqueued and
-- is not pushed again.

local pending_key = KEYS[1]
local dedup_ttl_seconds = ARGV[1]
local max_pending_length = tonumber(ARGV[2])
local drop_oldest = ARGV[3] == '1'
local first_triple = 4

local function marker_key(position)
    if position == 0 then
        return nil
    end
    return KEYS[1 + position]
end

-- How many publications would be pushed: the cap counts only those, so a batch of
-- duplicates never makes room or gets refused. Reads only.
local function count_incoming()
    local seen = {}
    local incoming = 0
    for index = first_triple, #ARGV, 3 do
        local position = tonumber(ARGV[index])
        if position == 0 then
            incoming = incoming + 1
        elseif not seen[position] then
            seen[position] = true
            if redis.call('EXISTS', marker_key(position)) == 0 then
                incoming = incoming + 1
            end
        end
    end
    return incoming
end

-- Restates core.policy.decide_publish. Returns the dropped values, or nil to refuse.
local function make_room(pending_length)
    if not max_pending_length then
        return {}
    end

    local incoming = count_incoming()
    local overflow = pending_length + incoming - max_pending_length
    if overflow <= 0 then
        return {}
    end
    if not drop_oldest or incoming > max_pending_length then
        return nil
    end
    return redis.call('RPOP', pending_key, overflow)
end

-- Whether the live marker at key was set by this very publication. pcall: a marker
-- key of another type is someone else's, and must not fail the call midway.
local function set_by_us(key, marker)
    return marker ~= '' and redis.pcall('GET', key) == marker
end

local function push_publications()
    local enqueued = {}
    for index = first_triple, #ARGV, 3 do
        local key = marker_key(tonumber(ARGV[index]))
        local marker = ARGV[index + 1]
        local fresh, ours = true, false
        if key then
            fresh = redis.call('SET', key, marker, 'NX', 'EX', dedup_ttl_seconds)
                ~= false
            ours = not fresh and set_by_us(key, marker)
        end
        if fresh then
            redis.call('LPUSH', pending_key, ARGV[index + 2])
        end
        enqueued[#enqueued + 1] = (fresh or ours) and 1 or 0
    end
    return enqueued
end

-- LLEN comes first: on a wrong-typed pending it fails before anything is written.
local pending_length = redis.call('LLEN', pending_key)
local dropped = make_room(pending_length)
if not dropped then
    return {0, pending_length}
end

return {1, push_publications(), dropped}
