-- wrk script: the same create-session call sent straight to the simulator.
wrk.method = "POST"
wrk.body = '{"user": "bench-user", "workflow": {"id": "wf_bench"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPENAI_API_KEY")
wrk.headers["OpenAI-Beta"] = "chatkit_beta=v1"
local pause = tonumber(os.getenv("RATE_DELAY_MS") or "0")
if pause > 0 then
  function delay() return pause end
end
