-- Forget dedup markers that still belong to given messages.
--
-- KEYS[1..]  marker keys
-- ARGV[1..]  the envelope id each marker must hold to be deleted
--
-- Returns the number of markers deleted. A marker that expired and was set again
-- by a later publish holds another id and is kept.

local deleted = 0
for index = 1, #KEYS do
    if redis.call('GET', KEYS[index]) == ARGV[index] then
        redis.call('DEL', KEYS[index])
        deleted = deleted + 1
    end
end
return deleted
