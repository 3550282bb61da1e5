-- wrk script for bench/run-load.sh: POSTs SendMessage envelopes from a pool of pre-generated
-- files (each with its own messageId and signature), round robin, each thread starting at a
-- different offset. Optional pacing to a fixed total rate. Writes a JSON summary.
--
--   WRK_THREADS=T [WRK_RATE=R] [WRK_OUT=F] wrk -tT ... -s post.lua URL -- LISTFILE
--   LISTFILE     one message file per line (read once per thread at init)
--   WRK_THREADS  the -t value (each thread starts at its share of the pool)
--   WRK_RATE     requests/s over all threads; unset or 0 = as fast as possible (closed loop).
--                An environment variable because wrk decides whether the script paces
--                (defines delay()) when it loads it, before init() sees any argument.
--   WRK_OUT      JSON summary file (default: stdout)
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
local rate = tonumber(os.getenv("WRK_RATE") or "0")
local started = 0

function setup(thread)
  started = started + 1
  thread:set("tid", started)
end

local bodies, idx, interval, next_slot
local headers = { ["Content-Type"] = "text/xml; charset=utf-8", ["SOAPAction"] = '""' }

function init(args)
  bodies = {}
  for path in io.lines(args[1]) do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  assert(#bodies > 0, "no messages in " .. args[1])
  idx = math.floor((tid - 1) * #bodies / nthreads)
  if rate > 0 then
    interval = 1000.0 * nthreads / rate -- this thread's share of the total rate
    next_slot = now_ms()
  end
end

function request()
  idx = idx % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[idx])
end

if rate > 0 then
  -- delay() is only defined when pacing (it costs a timer per request): each request of this
  -- thread gets the next fixed slot (open-loop schedule per thread; a late slot goes at once).
  function delay()
    next_slot = next_slot + interval
    local d = next_slot - now_ms()
    if d < 0 then return 0 end
    return d
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean)
  local path = os.getenv("WRK_OUT")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(out)
    f:close()
  else
    io.write(out)
  end
end
