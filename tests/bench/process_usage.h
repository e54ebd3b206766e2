// What a server process under benchmark has used so far, read from /proc:
// for the figures of CPU a call (write_bench) and a delivery, and peak
// memory (fanout_bench). Zero when the process or the field is not there.
// Thread-safe.
#pragma once

#include <sys/types.h>

namespace retro::bench {

struct ProcessUsage {
  double cpu_seconds = 0;  // user plus system, all threads
  double peak_rss_mib = 0;
};

// CPU seconds only (reads /proc/PID/stat, not the status file).
double CpuSeconds(pid_t pid);

ProcessUsage Usage(pid_t pid);

}  // namespace retro::bench
