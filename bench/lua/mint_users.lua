-- wrk script: POST /v1/chatkit/sessions, each request with the next of the
-- tokens in the file TOKENS_FILE (one per line, one user each), in turn.
local requests = {}
local next_one = 0
function init(args)
  local headers = {["Content-Type"] = "application/json"}
  for token in io.lines(os.getenv("TOKENS_FILE")) do
    headers["Authorization"] = "Bearer " .. token
    requests[#requests + 1] = wrk.format("POST", nil, headers, "{}")
  end
end
function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
function done(summary, latency, requests)
  io.write(string.format("non-2xx: %d, socket errors: %d/%d/%d/%d\n", summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
