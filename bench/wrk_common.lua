-- What bench/api.lua and bench/ingest.lua share: the sending window, the response counts and
-- the one JSON line done() prints, which bench/load.py reads. A script loads it with
--   dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "") .. "wrk_common.lua")
-- (wrk loads scripts with luaL_loadfile, so the source is "@<path>": the path works from any
-- working directory), then sets `window` in its own init() and may add request().
--
-- After the sending window, delay() parks each connection once its response is in, so no
-- request is in flight when wrk stops: every request sent is answered and counted.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local PARKED_MS = 3600 * 1000
local timespec = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

-- Setup and done run in wrk's main Lua state: number the threads, then read them back.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
window, started, last_response = 10, nil, nil
sent, ok, non_2xx, statuses = 0, 0, 0, {}

-- wrk asks delay() before every send (and calls request() once more, unsent, to check it),
-- so requests are counted here: `sent` is exactly what went on the wire.
function delay()
  local time = now()
  started = started or time
  if time - started >= window then
    return PARKED_MS
  end
  sent = sent + 1
  return 0
end

function response(status, headers, body)
  last_response = now()
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non_2xx = non_2xx + 1
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

local function statuses_json(all)
  local parts = {}
  for code, count in pairs(all) do
    table.insert(parts, string.format('"%s": %d', code, count))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local totals = { sent = 0, ok = 0, non_2xx = 0, seconds = 0 }
  local all_statuses = {}
  for _, thread in ipairs(threads) do
    totals.sent = totals.sent + thread:get("sent")
    totals.ok = totals.ok + thread:get("ok")
    totals.non_2xx = totals.non_2xx + thread:get("non_2xx")
    local first, last = thread:get("started"), thread:get("last_response")
    if first and last then
      totals.seconds = math.max(totals.seconds, last - first)
    end
    for code, count in pairs(thread:get("statuses")) do
      all_statuses[code] = (all_statuses[code] or 0) + count
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "sent": %d, "ok_2xx": %d, "non_2xx": %d, "statuses": %s, ' ..
    '"active_seconds": %.6f, "wrk_duration_s": %.6f, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, "socket_errors": {"connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, totals.sent, totals.ok, totals.non_2xx, statuses_json(all_statuses),
    totals.seconds, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    latency.mean / 1e3, errors.connect, errors.read, errors.write, errors.timeout))
end
