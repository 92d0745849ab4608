-- wrk script: POST /provision with a unique databaseName per request (duplicates would be 409s).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  non202 = 0
  prefix = os.getenv("WRK_PREFIX") or "w"
end

function request()
  counter = counter + 1
  local body = string.format('{"databaseName": "%s%d_%d", "databaseEngine": "PostgreSQL", "environment": "Dev"}', prefix, tid, counter)
  return wrk.format("POST", "/provision", {["content-type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 202 then non202 = non202 + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non202") end
  io.write(string.format("  wrk: %d requests, %d not 202, %.0f requests/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    summary.requests, bad, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
