-- wrk script for bench_serving.py. Run with as many threads as connections (-t N -c N), so each
-- connection has its own Lua state and so its own cookie jar, like one browser per connection.
-- BENCH_KEEP_COOKIE=1: a returning visitor (sends back the cookie the server set);
-- otherwise a new visitor on every request (never sends a cookie).
-- done() prints one line "BENCH_JSON {...}": counts, errors, and the latency at every 0.1 %
-- (so the harness can merge the latencies of several runs into one distribution).

local keep = os.getenv("BENCH_KEEP_COOKIE") == "1"
cookie = nil -- a global, so that setup() below can hand each thread the cookie it starts with

-- BENCH_COOKIES="a=1|a=2|...": the n-th thread starts with the n-th cookie (a visitor who
-- came before, so slices of one cell and every cell of a row reuse the same sessions).
local started = 0
local threads = {}
setup = function(thread)
  started = started + 1
  threads[started] = thread
  local index = 0
  for value in string.gmatch(os.getenv("BENCH_COOKIES") or "", "[^|]+") do
    index = index + 1
    if index == started then
      thread:set("cookie", value)
    end
  end
end

request = function()
  if cookie then
    return wrk.format("GET", nil, { ["Cookie"] = cookie })
  end
  return wrk.format("GET")
end

given = 0 -- responses that set a cookie: 0 once every connection has its session
if keep then
  response = function(status, headers, body)
    for name, value in pairs(headers) do
      if string.lower(name) == "set-cookie" then
        given = given + 1
        cookie = string.match(value, "^[^;]+")
      end
    end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local cookies_set = 0
  for _, thread in ipairs(threads) do
    cookies_set = cookies_set + (thread:get("given") or 0)
  end
  local q = {}
  for i = 1, 1000 do
    q[i] = string.format("%d", latency:percentile(i / 10))
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "max_us": %d, ' ..
    '"cookies_set": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"permille_us": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, latency.max, cookies_set,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(q, ",")))
end
