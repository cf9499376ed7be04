-- wrk script: GET the request paths listed (one a line) in the file named by
-- $WRK_PATHS, in rotation; each wrk thread starts at its own offset. At the
-- end it prints one line "WRKJSON {...}" with counts and latency percentiles
-- (microseconds) for bench/http_bench.py to read.
local paths = {}
local counter = 0
local next_tid = 0

setup = function(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

init = function(args)
  local f = assert(io.open(os.getenv("WRK_PATHS"), "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  counter = (tid or 0) * 7919
end

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
