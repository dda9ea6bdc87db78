-- GET a dossier by its code, anonymously, over many existing codes.
-- Arguments (after --): codes file ("<code> <secret>" per line), path template with {code} and
-- {secret}, thread count. Each thread starts at a different place in the list.

local common = require("common")

setup = common.setup
done = common.done

local paths = {}
local position = 1
local headers = { ["Accept"] = "application/json" }

function init(args)
  local template, threads = args[2], tonumber(args[3])
  for _, line in ipairs(common.lines(args[1])) do
    local f = common.split(line)
    local path = template:gsub("{code}", f[1]):gsub("{secret}", f[2])
    paths[#paths + 1] = path
  end
  position = math.floor((thread_index - 1) * #paths / threads) + 1
end

function request()
  local path = paths[position]
  position = position % #paths + 1
  return wrk.format("GET", path, headers)
end
