-- Shared by the wrk scripts of bench/bench_onestop.py (found through LUA_PATH, which it sets):
-- thread numbering, reading the prepared files, and a one-line JSON summary for the Python side.

local M = {}
local counter = 0

function M.setup(thread)
  -- Runs in the main Lua state once per wrk thread: give each thread its number.
  counter = counter + 1
  thread:set("thread_index", counter)
end

function M.lines(path)
  local rows = {}
  local handle = assert(io.open(path, "r"))
  for line in handle:lines() do
    if line ~= "" then
      rows[#rows + 1] = line
    end
  end
  handle:close()
  assert(#rows > 0, "no rows in " .. path)
  return rows
end

function M.split(line)
  local fields = {}
  for field in string.gmatch(line, "%S+") do
    fields[#fields + 1] = field
  end
  return fields
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max
  ))
end

return M
