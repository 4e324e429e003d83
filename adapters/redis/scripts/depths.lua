-- Count each part of a queue, as one snapshot: the cluster form of depths.
--
-- KEYS[1]  pending_key: list of stored messages waiting to be claimed
-- KEYS[2]  processing_key: hash of lease token -> stored message
-- KEYS[3]  completed_key: list of acknowledged payloads
-- KEYS[4]  failed_key: list of failed payloads
-- KEYS[5]  dead_letter_key: list of dead-lettered payloads
--
-- Returns {pending, processing, completed, failed, dead_letter}. Cluster pipelines
-- cannot always wrap reads in MULTI/EXEC; a script reads them atomically anyway.
-- Writes nothing; a wrong-typed key fails the call.

local pending_key = KEYS[1]
local processing_key = KEYS[2]
local completed_key = KEYS[3]
local failed_key = KEYS[4]
local dead_letter_key = KEYS[5]

return {
    redis.call('LLEN', pending_key),
    redis.call('HLEN', processing_key),
    redis.call('LLEN', completed_key),
    redis.call('LLEN', failed_key),
    redis.call('LLEN', dead_letter_key),
}
