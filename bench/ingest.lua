-- wrk script for `python -m bench`: POST one signed webhook body, each with a new event id.
--
-- Arguments (after `--`): body file, signature, topic, run label, seconds to send for, and
-- optionally an Authorization header value (the send benchmark posts to the fake Graph API).
-- The signature covers only the body, so it stays valid while X-StoreChat-Event-Id changes
-- on every request ("<label>-<thread>-<n>"): every request is a new delivery and a new row,
-- and the database can be compared with the 2xx count exactly. The window, the counts and
-- the JSON line done() prints come from wrk_common.lua.

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "") .. "wrk_common.lua")

label, numbered = "run", 0

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-StoreChat-Hmac-Sha256"] = args[2]
  wrk.headers["X-StoreChat-Topic"] = args[3]
  label = args[4]
  window = tonumber(args[5])
  if args[6] and args[6] ~= "" then
    wrk.headers["Authorization"] = args[6]
  end
end

function request()
  numbered = numbered + 1
  wrk.headers["X-StoreChat-Event-Id"] = string.format("%s-%d-%d", label, thread_id, numbered)
  return wrk.format()
end
