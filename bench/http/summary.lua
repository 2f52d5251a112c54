-- wrk's summary of a run as "name value" lines that bench/http/run.sh reads (latencies in µs).
-- wrk counts a non-2xx/3xx answer as an error too, so a route that fails cannot pass for fast.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
  io.write(string.format("bytes %d\n", summary.bytes))
  io.write(string.format("p50_us %d\n", latency:percentile(50)))
  io.write(string.format("p99_us %d\n", latency:percentile(99)))
  io.write(string.format("errors %d\n", e.connect + e.read + e.write + e.timeout + e.status))
end
