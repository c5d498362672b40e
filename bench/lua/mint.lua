-- wrk script: POST /v1/chatkit/sessions with the bearer token in TOKEN.
-- With RATE_DELAY_MS set, each connection waits that long between requests
-- (offered rate about connections * 1000 / (RATE_DELAY_MS + latency) per second).
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local pause = tonumber(os.getenv("RATE_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d, socket errors: %d/%d/%d/%d\n", summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
