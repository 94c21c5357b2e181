-- wrk script for make bench: POSTs one pre-generated JSON body and prints a
-- machine-readable result line.  Usage:
--   wrk ... -s post.lua URL -- BODY_FILE [HEADERS_FILE]
-- HEADERS_FILE holds "Name: value" lines (the same file curl reads with
-- -H @file), so the master key never appears on a command line.
-- The request is formatted once per thread (wrk formats it after init), so
-- the load generator does no per-request Lua work.

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  wrk.method = "POST"
  wrk.body = read_file(args[1])
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    for line in io.lines(args[2]) do
      local name, value = line:match("^([^:]+):%s*(.-)%s*$")
      if name then
        wrk.headers[name] = value
      end
    end
  end
end

-- done() runs in its own Lua state once all threads finished: one line of
-- key=value pairs for bench/lib/measure.sh.  Latencies in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d " ..
    "max_us=%d err_connect=%d err_read=%d err_write=%d err_status=%d " ..
    "err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
