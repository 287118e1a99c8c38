-- wrk script for the end-to-end benchmark: POST /v1/deployments over keep-alive connections.
-- One request in five opens a new slot; the rest pick one of BENCH_HOT_SLOTS existing slots and
-- deploy one of two artifacts into it, so that about half of those re-record the current artifact
-- and half supersede it. Slots spread over BENCH_ENVIRONMENTS environments.
-- With BENCH_WARM=1 it instead walks the hot slots in order with the first artifact, so that a
-- warm-up creates them before the measured runs.
-- Environment: BENCH_TOKEN (bearer token), BENCH_RUN (prefix that keeps new slots of different
-- runs apart), BENCH_HOT_SLOTS, BENCH_ENVIRONMENTS, BENCH_WARM, BENCH_OUT (file the summary is
-- written to).

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
  for _, t in ipairs(threads) do
    t:set("thread_count", #threads)
  end
end

function init(args)
  local token = os.getenv("BENCH_TOKEN")
  if token == nil or token == "" then
    error("record_mix.lua: BENCH_TOKEN is not set")
  end
  run = os.getenv("BENCH_RUN") or "run"
  hot_slots = tonumber(os.getenv("BENCH_HOT_SLOTS") or "10000")
  environments = tonumber(os.getenv("BENCH_ENVIRONMENTS") or "200")
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  warm = os.getenv("BENCH_WARM") == "1"
  sent = 0
  math.randomseed(os.time() * 1000 + thread_number)
end

local function digest(a, b, c)
  return string.format("sha256:%s%08x%08x%08x", string.rep("d", 40), a, b, c)
end

function request()
  sent = sent + 1
  local environment, deployment, artifact
  if warm then
    local slot = ((sent - 1) * thread_count + thread_number - 1) % hot_slots + 1
    environment = "env-" .. (slot % environments)
    deployment = "hot-" .. slot
    artifact = digest(0, slot, 1)
  elseif math.random(5) == 1 then
    environment = "env-" .. (sent % environments)
    deployment = run .. "-" .. thread_number .. "-" .. sent
    artifact = digest(thread_number, sent, 0)
  else
    local slot = math.random(hot_slots)
    environment = "env-" .. (slot % environments)
    deployment = "hot-" .. slot
    artifact = digest(0, slot, math.random(2))
  end
  local body = string.format(
    '{"environment_name":"%s","deployment_name":"%s","logical_environment_name":"production",' ..
    '"artifact_digest":"%s","kind":"CONTAINER_IMAGE","artifact_name":"registry.local/%s"}',
    environment, deployment, artifact, deployment)
  return wrk.format("POST", "/v1/deployments", headers, body)
end

function done(summary, latency, requests)
  local out = os.getenv("BENCH_OUT")
  if out == nil or out == "" then
    return
  end
  local file = assert(io.open(out, "w"))
  local e = summary.errors
  file:write(string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
  file:close()
end
