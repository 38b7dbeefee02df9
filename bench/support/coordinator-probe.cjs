// Preloaded into the coordinator child by bench/support/coordinator-snapshots.ts (load, soak) (NODE_OPTIONS="--expose-gc --require
// this file"), so what it measures is the coordinator's own process, not the bench's site clients.
// On each SIGUSR2 it appends one JSON line to $FEDALN_BENCH_PROBE: CPU (process.cpuUsage), RSS and
// heap after a forced gc() (its duration as gc_ms), peak RSS (resourceUsage().maxRSS), open file
// descriptors (entries of /proc/self/fd, null without /proc), and event-loop
// lag from perf_hooks.monitorEventLoopDelay (10 ms timer) less the timer's own 10 ms (the histogram
// records the whole interval: an idle loop reads ≈ 10.1 ms): `lag_*` since the previous snapshot,
// `total_lag_*` since the first (start-up before it is excluded). The tick that waits out a
// snapshot's gc() falls into the next interval: at most one sample per snapshot, its size in gc_ms.
'use strict';
const fs = require('node:fs');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const file = process.env.FEDALN_BENCH_PROBE;
if (file) {
  const RESOLUTION_MS = 10;
  const interval = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const total = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  interval.enable();
  total.enable();
  let seq = 0;
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('SIGUSR2', () => {
    if (seq === 0) total.reset();
    const lag = {
      lag_p99_ms: ms(interval.percentile(99)),
      lag_max_ms: ms(interval.max),
      total_lag_p50_ms: seq > 0 ? ms(total.percentile(50)) : null,
      total_lag_p99_ms: seq > 0 ? ms(total.percentile(99)) : null,
      total_lag_max_ms: seq > 0 ? ms(total.max) : null,
      total_lag_samples: seq > 0 ? total.count : 0,
    };
    interval.reset();
    const t0 = performance.now();
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const gcMs = performance.now() - t0;
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    let fds = null;
    try {
      fds = fs.readdirSync('/proc/self/fd').length;
    } catch {
      // no /proc (macOS): fds stays null
    }
    const line = {
      seq: seq++,
      rss: memory.rss,
      heap_used: memory.heapUsed,
      max_rss_kb: process.resourceUsage().maxRSS,
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      gc_ms: gcMs,
      fds,
      ...lag,
    };
    fs.appendFileSync(file, JSON.stringify(line) + '\n');
  });
}
