-- wrk script for bench_serving.py. Run with as many threads as connections (-t N -c N), so each
-- connection has its own Lua state and so its own cookie jar, like one browser per connection.
-- BENCH_KEEP_COOKIE=1: a returning visitor (sends back the cookie the server set);
-- otherwise a new visitor on every request (never sends a cookie).
-- done() prints one line "BENCH_JSON {...}" with the figures the harness reads.

local keep = os.getenv("BENCH_KEEP_COOKIE") == "1"
local cookie = nil

request = function()
  if cookie then
    return wrk.format("GET", nil, { ["Cookie"] = cookie })
  end
  return wrk.format("GET")
end

if keep then
  response = function(status, headers, body)
    if cookie == nil then
      for name, value in pairs(headers) do
        if string.lower(name) == "set-cookie" then
          cookie = string.match(value, "^[^;]+")
        end
      end
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
