-- wrk script for bench/run. `wrk -tN ... -s bench/wrk_requests.lua URL -- FILE N` walks through FILE
-- (written by sign_requests: one request per line, tab-separated METHOD, TARGET, BODY, then
-- "Name: value" headers), each request once; wrk thread k of n takes lines k, k+n, ... so no
-- two threads send the same nonce. Without FILE it sends `GET <path of URL>` (nginx baseline),
-- also through request(), so both sides cost the load generator the same.
-- done() prints one machine-readable line:
--   RESULT requests=N seconds=S rps=R p50_ms=A p99_ms=B non2xx=E errors=F bytes=B wrapped=W
-- A run that sends more requests than the file has wraps around and reuses nonces, which the
-- server answers with 401 (counted in non2xx); `wrapped` counts the wraps, and bench/run then
-- signs a bigger file and runs again.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local file = args[1]
  if file == nil then
    requests[1] = wrk.format("GET", wrk.path)
  else
    local my_id = id or 0
    local total = tonumber(args[2] or "1")
    local i = 0
    for line in io.lines(file) do
      if i % total == my_id then
        local fields = {}
        for f in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = f end
        local headers = {}
        for h = 4, #fields do
          local name, value = fields[h]:match("^([^:]+): (.*)$")
          if name then headers[name] = value end
        end
        local body = fields[3]
        if body == "" then body = nil end
        requests[#requests + 1] = wrk.format(fields[1], fields[2], headers, body)
      end
      i = i + 1
    end
  end
  lines = #requests
  next_index = 1
  wrapped = 0
end

function request()
  local r = requests[next_index]
  next_index = next_index + 1
  if next_index > lines then
    next_index = 1
    if lines > 1 then wrapped = wrapped + 1 end
  end
  return r
end

function done(summary, latency, requests_)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local wraps = 0
  for _, t in ipairs(threads) do wraps = wraps + (t:get("wrapped") or 0) end
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d bytes=%d wrapped=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, summary.bytes, wraps))
end
