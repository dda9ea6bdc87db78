-- POST a JSON dossier, as signed-in citizens, each request with a new Idempotency-Key.
-- Arguments (after --): sessions file ("<sessionid> <csrftoken>" per line), body file (one JSON
-- body per line, taken in turn: one per receiving unit), path, run tag, thread count.
-- Thread t of n uses the sessions whose index is t modulo n, in turn, so that the requests in
-- flight at one moment come from different citizens.

local common = require("common")

setup = common.setup
done = common.done

local sessions = {}
local bodies, path, tag
local sent, next_session = 0, 1

function init(args)
  local threads = tonumber(args[5])
  for index, line in ipairs(common.lines(args[1])) do
    if (index - 1) % threads == thread_index - 1 then
      local f = common.split(line)
      sessions[#sessions + 1] = {
        ["Cookie"] = "sessionid=" .. f[1] .. "; csrftoken=" .. f[2],
        ["X-CSRFToken"] = f[2],
      }
    end
  end
  assert(#sessions > 0, "thread " .. thread_index .. " has no session")
  bodies = common.lines(args[2])
  path, tag = args[3], args[4]
end

function request()
  local session = sessions[next_session]
  next_session = next_session % #sessions + 1
  sent = sent + 1
  local headers = {
    ["Cookie"] = session["Cookie"],
    ["X-CSRFToken"] = session["X-CSRFToken"],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = tag .. "-" .. thread_index .. "-" .. sent,
  }
  return wrk.format("POST", path, headers, bodies[(sent + thread_index) % #bodies + 1])
end
