"""The Lua scripts of the live index. Every key a script touches starts with the tenant's
prefix ``lg:{tenant}:``, so on Redis Cluster a tenant's keys share one hash slot."""

from __future__ import annotations

# KEYS: rider hash, sequence hash, pending zset, seen zset.
# ARGV: now_ms, seed_contiguous, prefix, rider_id, newest valid ping or '' (packed as
#   "record_ms|seq|lat|lng|accuracy|speed|heading|battery|task|cell"), then the batch's
#   sequence numbers.
# Records every sequence once (contiguous + pending, as domain.telemetry.advance), moves the
# rider to the newest valid ping unless the stored position is newer, refreshes last-seen.
# Returns {contiguous, came_online, state_was_missing, fresh sequence...}.
INGEST = """
local rider, seqk, pend, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
local prefix, rid, best = ARGV[3], ARGV[4], ARGV[5]
local stored = redis.call('HGET', seqk, 'c')
local missing = 0
if not stored then missing = 1 end
local contig = stored and tonumber(stored) or tonumber(ARGV[2])
local fresh = {}
for i = 6, #ARGV do
  local seq = tonumber(ARGV[i])
  if seq > contig and not redis.call('ZSCORE', pend, seq) then
    redis.call('ZADD', pend, seq, seq)
    fresh[#fresh + 1] = seq
  end
end
while true do
  local head = redis.call('ZRANGE', pend, 0, 0)
  if head[1] == nil or tonumber(head[1]) ~= contig + 1 then break end
  contig = contig + 1
  redis.call('ZREM', pend, head[1])
end
redis.call('HSET', seqk, 'c', contig)
local online = 0
if best ~= '' then
  local f = {}
  for part in string.gmatch(best .. '|', '([^|]*)|') do f[#f + 1] = part end
  local record = tonumber(f[1])
  local cur = redis.call('HMGET', rider, 'ts', 'cell', 'status')
  if cur[3] ~= 'online' then online = 1 end
  local cell = cur[2]
  if cur[1] == false or record > tonumber(cur[1]) then
    cell = f[10]
    if cur[2] and cur[2] ~= cell then redis.call('ZREM', prefix .. 'c:' .. cur[2], rid) end
    redis.call('HSET', rider, 'ts', record, 'seq', f[2], 'lat', f[3], 'lng', f[4],
      'acc', f[5], 'spd', f[6], 'hdg', f[7], 'bat', f[8], 'task', f[9], 'cell', cell)
  end
  redis.call('HSET', rider, 'seen', now, 'status', 'online')
  if cell then redis.call('ZADD', prefix .. 'c:' .. cell, now, rid) end
  redis.call('ZADD', seen, now, rid)
end
local out = {contig, online, missing}
for i = 1, #fresh do out[#out + 1] = fresh[i] end
return out
"""

# ARGV: prefix, min_seen_ms, n_fields, field..., cell...
# Returns, per fresh rider in the cells: rider id then the requested fields.
IN_CELLS = """
local prefix, min_seen = ARGV[1], ARGV[2]
local nf = tonumber(ARGV[3])
local fields = {}
for i = 1, nf do fields[i] = ARGV[3 + i] end
local out = {}
for i = 4 + nf, #ARGV do
  local ids = redis.call('ZRANGEBYSCORE', prefix .. 'c:' .. ARGV[i], min_seen, '+inf')
  for _, id in ipairs(ids) do
    out[#out + 1] = id
    local values = redis.call('HMGET', prefix .. 'r:' .. id, unpack(fields))
    for j = 1, nf do out[#out + 1] = values[j] or '' end
  end
end
return out
"""

# KEYS: seen zset. ARGV: prefix, cutoff_ms, limit.
# Marks riders last seen at or before cutoff offline, once: returns {rider, seen_ms, ...} for
# those this call moved from online to offline (whichever replica runs it first).
SWEEP_OFFLINE = """
local prefix = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = prefix .. 'r:' .. id
  local cur = redis.call('HMGET', key, 'status', 'cell', 'seen')
  if cur[1] == 'online' then
    redis.call('HSET', key, 'status', 'offline')
    out[#out + 1] = id
    out[#out + 1] = cur[3] or ''
  end
  if cur[2] then redis.call('ZREM', prefix .. 'c:' .. cur[2], id) end
  redis.call('ZREM', KEYS[1], id)
end
return out
"""

# ARGV: prefix, min_seen_ms, now_ms, vehicle types ('' = any, else ',bicycle,car,'), need_w,
#   need_v, need_i, fleet ('' = any), zone ('' = any), cell...
# Riders of the cells that are fresh, available (eligible until after now, not busy, holding
# no offer) and fit the need. Returns {id, lat, lng, vt, load, idle_ms, ...}.
NEAREST = """
local prefix, min_seen, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local types = ARGV[4]
local need_w, need_v, need_i = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local fleet, zone = ARGV[8], ARGV[9]
local out = {}
for i = 10, #ARGV do
  local ids = redis.call('ZRANGEBYSCORE', prefix .. 'c:' .. ARGV[i], min_seen, '+inf')
  for _, id in ipairs(ids) do
    local v = redis.call('HMGET', prefix .. 'r:' .. id,
      'lat', 'lng', 'eu', 'busy', 'offer', 'vt', 'cw', 'cv', 'ci', 'fleet', 'zone', 'load', 'idle')
    local eu = tonumber(v[3] or '0') or 0
    local ok = v[1] and eu > now and v[4] ~= '1' and (v[5] == false or v[5] == '')
    if ok and types ~= '' then
      ok = v[6] and string.find(types, ',' .. v[6] .. ',', 1, true) ~= nil
    end
    if ok and need_w > 0 then local c = tonumber(v[7] or '0') or 0; ok = c == 0 or c >= need_w end
    if ok and need_v > 0 then local c = tonumber(v[8] or '0') or 0; ok = c == 0 or c >= need_v end
    if ok and need_i > 0 then local c = tonumber(v[9] or '0') or 0; ok = c == 0 or c >= need_i end
    if ok and fleet ~= '' then ok = v[10] == fleet end
    if ok and zone ~= '' then ok = v[11] == zone end
    if ok then
      out[#out + 1] = id
      out[#out + 1] = v[1]
      out[#out + 1] = v[2]
      out[#out + 1] = v[6] or ''
      out[#out + 1] = v[12] or '0'
      out[#out + 1] = v[13] or '0'
    end
  end
end
return out
"""

# KEYS: rider hash, offer hash. ARGV: offer_id, task, now_ms, expire_ms.
# Claims the rider for one offer: only if it holds no open (unexpired) offer and is not busy.
# Returns 1 when claimed, 0 otherwise.
OFFER_CLAIM = """
local cur = redis.call('HMGET', KEYS[1], 'offer', 'offer_exp', 'busy')
local now = tonumber(ARGV[3])
if cur[3] == '1' then return 0 end
if cur[1] and cur[1] ~= '' and tonumber(cur[2] or '0') > now then return 0 end
redis.call('HSET', KEYS[1], 'offer', ARGV[1], 'offer_exp', ARGV[4])
redis.call('HSET', KEYS[2], 'task', ARGV[2], 'state', 'open', 'expire', ARGV[4])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) - now + 600000)
return 1
"""

# KEYS: rider hash, offer hash. ARGV: offer_id, new state, now_ms.
# Moves an open offer to accepted/declined/expired/withdrawn once; an accept after the offer
# expired becomes expired. Frees the rider. Returns the offer's state after the call.
OFFER_RESOLVE = """
local cur = redis.call('HMGET', KEYS[2], 'state', 'expire')
if not cur[1] then return 'unknown' end
if cur[1] ~= 'open' then return cur[1] end
local state = ARGV[2]
if state == 'accepted' and tonumber(ARGV[3]) > tonumber(cur[2]) then state = 'expired' end
redis.call('HSET', KEYS[2], 'state', state)
if redis.call('HGET', KEYS[1], 'offer') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'offer', '', 'offer_exp', 0)
end
return state
"""
