#include "tests/bench/process_usage.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace retro::bench {

double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // The name in parentheses may hold spaces; the fields count from after it.
  const size_t end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos || end_of_name + 2 > line.size()) return 0;
  std::vector<std::string> fields = absl::StrSplit(line.substr(end_of_name + 2), ' ');
  if (fields.size() <= 12) return 0;
  double user = 0, system = 0;
  if (!absl::SimpleAtod(fields[11], &user) || !absl::SimpleAtod(fields[12], &system)) return 0;
  return (user + system) / sysconf(_SC_CLK_TCK);
}

ProcessUsage Usage(pid_t pid) {
  ProcessUsage usage;
  usage.cpu_seconds = CpuSeconds(pid);
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmHWM:")) continue;
    // "VmHWM:     91234 kB"
    const std::string kib(
        absl::StripSuffix(absl::StripAsciiWhitespace(absl::string_view(line).substr(6)), " kB"));
    double value = 0;
    if (absl::SimpleAtod(kib, &value)) usage.peak_rss_mib = value / 1024;
  }
  return usage;
}

}  // namespace retro::bench
