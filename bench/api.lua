-- wrk script for `python -m bench.api`: GET one path, with an optional Authorization header.
--
-- Arguments (after `--`): seconds to send for, and optionally an Authorization header value.
-- The window, the counts and the JSON line done() prints come from wrk_common.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "") .. "wrk_common.lua")

function init(args)
  wrk.method = "GET"
  window = tonumber(args[1])
  if args[2] and args[2] ~= "" then
    wrk.headers["Authorization"] = args[2]
  end
end
