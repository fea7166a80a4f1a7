"""The Lua scripts of the live index. Every key a script touches starts with the tenant's
prefix ``lg:{tenant}:``, so on Redis Cluster a tenant's keys share one hash slot."""

from __future__ import annotations

# KEYS: the tenant's seen zset. ARGV: prefix, then one packed string per rider:
#   "rider_id;now_ms;seed_contiguous;sequences;newest", where sequences (ascending) are
#   "first:last" for a run without gaps or else "seq,seq,...", and newest is the newest valid ping
#   or '' (packed as "record_ms|seq|lat|lng|accuracy|speed|heading|battery|task|cell").
# Per rider: records every sequence once (contiguous + pending, as domain.telemetry.advance),
# moves the rider to the newest valid ping unless the stored position is newer, refreshes
# last-seen. One call serves the batches of many riders of one tenant (all its keys share the
# tenant's hash slot). Returns one string, per rider "contiguous,came_online,state_was_missing,
# n_fresh[,fresh sequence...]" joined by ';', with n_fresh -1 and no list when every sequence
# of the rider was fresh. (Packed strings: the client library's cost is per argument.)
INGEST = """
local seen, prefix = KEYS[1], ARGV[1]
local out = {}
for a = 2, #ARGV do
  local rid, now, seed, seqs, best = string.match(ARGV[a], '^([^;]*);([^;]*);([^;]*);([^;]*);(.*)$')
  now = tonumber(now)
  local rider, pend = prefix .. 'r:' .. rid, prefix .. 'p:' .. rid
  -- The stream's state (c: contiguous, pn: whether the pending set has members) lives in the
  -- rider's hash beside its position: one read and one write per rider.
  local cur = redis.call('HMGET', rider, 'c', 'pn', 'ts', 'cell', 'status')
  local missing = 0
  if not cur[1] then missing = 1 end
  local contig = cur[1] and tonumber(cur[1]) or tonumber(seed)
  local pending = cur[2] == '1'
  local was_pending = pending
  local fresh = {}
  local n = 0
  -- In-order pings (the usual case) move contig without touching the pending set.
  local function record(seq)
    n = n + 1
    if seq == contig + 1 and not pending then
      contig = seq
      fresh[#fresh + 1] = seq
    elseif seq > contig and (not pending or not redis.call('ZSCORE', pend, seq)) then
      redis.call('ZADD', pend, seq, seq)
      pending = true
      fresh[#fresh + 1] = seq
    end
  end
  local first, last = string.match(seqs, '^(%d+):(%d+)$')
  first, last = tonumber(first), tonumber(last)
  if first and first == contig + 1 and not pending then
    -- The usual batch: the next sequences, without a gap.
    n = last - first + 1
    for seq = first, last do fresh[#fresh + 1] = seq end
    contig = last
  elseif first then
    for seq = first, last do record(seq) end
  else
    for s in string.gmatch(seqs, '%d+') do record(tonumber(s)) end
  end
  if pending then
    while true do
      local head = redis.call('ZRANGE', pend, 0, 0)
      if head[1] == nil then pending = false break end
      local h = tonumber(head[1])
      if h > contig + 1 then break end
      if h == contig + 1 then contig = h end
      redis.call('ZREM', pend, head[1])  -- at or below contig: recorded (or left by a lost state)
    end
  end
  local state = {'c', contig}
  if pending ~= was_pending then
    state[3] = 'pn'
    state[4] = pending and '1' or '0'
  end
  local online = 0
  if best ~= '' then
    local f = {}
    for part in string.gmatch(best .. '|', '([^|]*)|') do f[#f + 1] = part end
    local record = tonumber(f[1])
    if cur[5] ~= 'online' then online = 1 end
    local cell = cur[4]
    if cur[3] == false or record > tonumber(cur[3]) then
      cell = f[10]
      if cur[4] and cur[4] ~= cell then redis.call('ZREM', prefix .. 'c:' .. cur[4], rid) end
      redis.call('HSET', rider, 'ts', record, 'seq', f[2], 'lat', f[3], 'lng', f[4],
        'acc', f[5], 'spd', f[6], 'hdg', f[7], 'bat', f[8], 'task', f[9], 'cell', cell,
        'seen', now, 'status', 'online', unpack(state))
    else
      redis.call('HSET', rider, 'seen', now, 'status', 'online', unpack(state))
    end
    if cell then redis.call('ZADD', prefix .. 'c:' .. cell, now, rid) end
    redis.call('ZADD', seen, now, rid)
  elseif #fresh > 0 or missing == 1 or pending ~= was_pending then
    redis.call('HSET', rider, unpack(state))
  end
  local line = contig .. ',' .. online .. ',' .. missing
  if #fresh == n then
    line = line .. ',-1'  -- all of them: the caller has the list
  else
    line = line .. ',' .. #fresh
    for k = 1, #fresh do line = line .. ',' .. fresh[k] end
  end
  out[#out + 1] = line
end
return table.concat(out, ';')
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

# The one rule of a rider's availability, spliced into NEAREST, EXPLAIN and AVAILABILITY (no
# copy of it elsewhere, in Lua or Python): available when eligible until after now, not busy,
# and holding no open offer; an offer past its expiry holds the rider no more (as OFFER_CLAIM
# decides).
# Arguments are the rider hash's 'eu', 'busy', 'offer', 'offer_exp' (false when absent).
# Returns nil when available, else why not.
_UNAVAILABLE = """
local function unavailable(eu, busy, offer, offer_exp, now)
  if (tonumber(eu or '0') or 0) <= now then return 'not eligible' end
  if busy == '1' then return 'busy' end
  if offer and offer ~= '' and (tonumber(offer_exp or '0') or 0) > now then
    return 'holds an open offer'
  end
  return nil
end
"""

# The one rule of whether a rider fits what a match needs, spliced into NEAREST and EXPLAIN.
# Arguments: the rider hash's 'vt', 'cw', 'cv', 'ci', 'fleet', 'zone' (false when absent) and
# the need (types: '' = any, else ',bicycle,car,'; w, v, i: capacities, 0 = any; fleet and
# zone: '' = any). Returns nil when the rider fits, else why not. A zero capacity is no limit.
_MISFIT = """
local function misfit(vt, cw, cv, ci, rider_fleet, rider_zone, need)
  if need.types ~= '' and not (vt and string.find(need.types, ',' .. vt .. ',', 1, true)) then
    return 'vehicle type'
  end
  for _, pair in ipairs({{cw, need.w}, {cv, need.v}, {ci, need.i}}) do
    local c = tonumber(pair[1] or '0') or 0
    if pair[2] > 0 and c ~= 0 and c < pair[2] then return 'capacity' end
  end
  if need.fleet ~= '' and rider_fleet ~= need.fleet then return 'fleet' end
  if need.zone ~= '' and rider_zone ~= need.zone then return 'zone' end
  return nil
end
"""

# ARGV: prefix, min_seen_ms, now_ms, vehicle types ('' = any, else ',bicycle,car,'), need_w,
#   need_v, need_i, fleet ('' = any), zone ('' = any), query lat, query lng, count, radius_m,
#   cells ("cell bound cell bound ...", bounds never decreasing; no point of a cell is nearer
#   the query than its bound), outside (no point outside the cells is nearer than it).
# Walks the cells nearest first, reading positions (distance computed here) and the dispatch
# fields of the nearest riders only, until the count-th available rider is nearer than
# anything unread (or nothing unread is within the radius). Available: fresh (in a cell's
# zset since min_seen), available (_UNAVAILABLE), fitting the need.
# Returns one string: "1" (certain) or "0", then per rider "\nid|lat|lng|vt|load|idle|rating"
# for the available riders up to the count-th distance + 0.5 m (none when not certain).
NEAREST = (
    _UNAVAILABLE
    + _MISFIT
    + """
local prefix, min_seen, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local need = {types = ARGV[4], w = tonumber(ARGV[5]), v = tonumber(ARGV[6]),
  i = tonumber(ARGV[7]), fleet = ARGV[8], zone = ARGV[9]}
local qlat, qlng = math.rad(tonumber(ARGV[10])), math.rad(tonumber(ARGV[11]))
local count, radius = tonumber(ARGV[12]), tonumber(ARGV[13]) + 0.5
local outside = tonumber(ARGV[15])
local cosq = math.cos(qlat)
local cells, bounds = {}, {}
for cell, bound in string.gmatch(ARGV[14], '(%S+) (%S+)') do
  cells[#cells + 1] = cell
  bounds[#bounds + 1] = tonumber(bound)
end
local points, verdict = {}, {}
local function nearer(a, b) return a[1] < b[1] end
-- The rider's dispatch fields when it is available, else false (read once per rider).
local function available(id)
  local ok = verdict[id]
  if ok ~= nil then return ok end
  local v = redis.call('HMGET', prefix .. 'r:' .. id,
    'eu', 'busy', 'offer', 'vt', 'cw', 'cv', 'ci', 'fleet', 'zone', 'load', 'idle', 'rt',
    'offer_exp')
  ok = unavailable(v[1], v[2], v[3], v[13], now) == nil
    and misfit(v[4], v[5], v[6], v[7], v[8], v[9], need) == nil
  if ok then
    ok = (v[4] or '') .. '|' .. (v[10] or '0') .. '|' .. (v[11] or '0') .. '|' .. (v[12] or '')
  else
    ok = false
  end
  verdict[id] = ok
  return ok
end
local certain, i = 0, 1
while true do
  local unread = outside
  if i <= #cells and bounds[i] < unread then unread = bounds[i] end
  if unread >= radius then certain = 1; break end
  if #points >= count then
    table.sort(points, nearer)
    local n = 0
    for _, p in ipairs(points) do
      if p[1] + 0.5 > unread then break end
      if available(p[2]) then n = n + 1 end
      if n == count then break end
    end
    if n == count then certain = 1; break end
  end
  if i > #cells then break end
  local ids = redis.call('ZRANGEBYSCORE', prefix .. 'c:' .. cells[i], min_seen, '+inf')
  for _, id in ipairs(ids) do
    local v = redis.call('HMGET', prefix .. 'r:' .. id, 'lat', 'lng')
    if v[1] then
      local la, lo = math.rad(tonumber(v[1])), math.rad(tonumber(v[2]))
      local h = math.sin((la - qlat) / 2) ^ 2
        + cosq * math.cos(la) * math.sin((lo - qlng) / 2) ^ 2
      local d = 2 * 6371008.8 * math.asin(math.min(1, math.sqrt(h)))
      if d <= radius then points[#points + 1] = {d, id, v[1], v[2]} end
    end
  end
  i = i + 1
end
if certain == 0 then return '0' end
table.sort(points, nearer)
local out, n, kth = {'1'}, 0, nil
for _, p in ipairs(points) do
  if kth and p[1] > kth + 0.5 then break end
  local fields = available(p[2])
  if fields then
    out[#out + 1] = p[2] .. '|' .. p[3] .. '|' .. p[4] .. '|' .. fields
    n = n + 1
    if n == count then kth = p[1] end
  end
end
return table.concat(out, '\\n')
"""
)

# KEYS: the tenant's seen zset. ARGV: as NEAREST's first nine, then query lat, query lng,
#   radius_m, cell... (every cell within the radius).
# FindNearestRiders' explain pass: every rider whose position lies within the radius, fresh or
# stale, judged by the rules NEAREST applies (_UNAVAILABLE, _MISFIT), not only the first ones
# that fail. Returns {examined, stale, fresh riders of the tenant outside the radius, then per
# fresh rider within it "id|distance_m|why unavailable|misfit" ('' where it passes)}.
EXPLAIN = (
    _UNAVAILABLE
    + _MISFIT
    + """
local prefix, min_seen, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local need = {types = ARGV[4], w = tonumber(ARGV[5]), v = tonumber(ARGV[6]),
  i = tonumber(ARGV[7]), fleet = ARGV[8], zone = ARGV[9]}
local qlat, qlng = math.rad(tonumber(ARGV[10])), math.rad(tonumber(ARGV[11]))
local radius = tonumber(ARGV[12])
local cosq = math.cos(qlat)
local examined, stale, out = 0, 0, {}
for c = 13, #ARGV do
  local members = redis.call('ZRANGE', prefix .. 'c:' .. ARGV[c], 0, -1, 'WITHSCORES')
  for k = 1, #members, 2 do
    local id, seen = members[k], tonumber(members[k + 1])
    local v = redis.call('HMGET', prefix .. 'r:' .. id, 'lat', 'lng', 'eu', 'busy', 'offer',
      'offer_exp', 'vt', 'cw', 'cv', 'ci', 'fleet', 'zone')
    if v[1] and v[2] then
      local la, lo = math.rad(tonumber(v[1])), math.rad(tonumber(v[2]))
      local h = math.sin((la - qlat) / 2) ^ 2
        + cosq * math.cos(la) * math.sin((lo - qlng) / 2) ^ 2
      local d = 2 * 6371008.8 * math.asin(math.min(1, math.sqrt(h)))
      if d <= radius then
        examined = examined + 1
        if seen < min_seen then
          stale = stale + 1
        else
          out[#out + 1] = id .. '|' .. string.format('%.1f', d) .. '|'
            .. (unavailable(v[3], v[4], v[5], v[6], now) or '') .. '|'
            .. (misfit(v[7], v[8], v[9], v[10], v[11], v[12], need) or '')
        end
      end
    end
  end
end
local online = redis.call('ZCOUNT', KEYS[1], min_seen, '+inf')
local reply = {examined, stale, math.max(0, online - #out)}
for _, line in ipairs(out) do reply[#reply + 1] = line end
return reply
"""
)

# KEYS: the riders' hashes. ARGV: now_ms, min_seen_ms.
# Per rider, in order: why it is not available ('no position', 'not seen lately', or what
# _UNAVAILABLE says) or '' when it is, then its lat, lng, vt, cw, cv, ci and load ('' when
# absent). Fresh here: seen since min_seen and online, as NEAREST's cell zsets hold it.
AVAILABILITY = (
    _UNAVAILABLE
    + """
local now, min_seen = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'lat', 'lng', 'seen', 'status', 'eu', 'busy', 'offer',
    'offer_exp', 'vt', 'cw', 'cv', 'ci', 'load')
  local why = ''
  if not (v[1] and v[2] and v[3]) then
    why = 'no position'
  elseif (tonumber(v[3]) or 0) < min_seen or v[4] ~= 'online' then
    why = 'not seen lately'
  else
    why = unavailable(v[5], v[6], v[7], v[8], now) or ''
  end
  out[#out + 1] = why
  for k = 1, 2 do out[#out + 1] = v[k] or '' end
  for k = 9, 13 do out[#out + 1] = v[k] or '' end
end
return out
"""
)

# KEYS: rider hash, offer hash. ARGV: offer_id, task, now_ms, expire_ms, rider_id.
# Claims the rider for one offer: only if it holds no open (unexpired) offer and is not busy.
# The offer hash remembers its task, state, expiry and rider. Returns 1 when claimed, else 0.
OFFER_CLAIM = """
local cur = redis.call('HMGET', KEYS[1], 'offer', 'offer_exp', 'busy')
local now = tonumber(ARGV[3])
if cur[3] == '1' then return 0 end
if cur[1] and cur[1] ~= '' and tonumber(cur[2] or '0') > now then return 0 end
redis.call('HSET', KEYS[1], 'offer', ARGV[1], 'offer_exp', ARGV[4])
redis.call('HSET', KEYS[2], 'task', ARGV[2], 'state', 'open', 'expire', ARGV[4], 'rider', ARGV[5])
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

# KEYS: offer hash. Returns the rider the offer was made to and the task offered (nils for an
# offer not remembered).
OFFER_RIDER = """
return redis.call('HMGET', KEYS[1], 'rider', 'task')
"""
