-- wrk script: POST each body of the file $BENCH_BODIES (one JSON document per line) in turn.
-- Every wrk thread starts at a different line so that the threads do not send the same bodies together.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local headers = { ["Content-Type"] = "application/json" }
local encoding = os.getenv("BENCH_ACCEPT_ENCODING")
if encoding ~= nil and encoding ~= "" then
  headers["Accept-Encoding"] = encoding
end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("next_index", counter * 97)
end

function request()
  local body = bodies[next_index % #bodies + 1]
  next_index = next_index + 1
  return wrk.format("POST", nil, headers, body)
end
