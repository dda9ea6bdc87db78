-- GET one path, anonymously: the machine's reference (e.g. /healthz, SELECT 1 through the
-- whole middleware). Argument (after --): the path.

local common = require("common")

setup = common.setup
done = common.done

local path
local headers = { ["Accept"] = "application/json" }

function init(args)
  path = args[1]
end

function request()
  return wrk.format("GET", path, headers)
end
