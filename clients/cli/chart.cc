#include "clients/cli/chart.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "clients/cli/output.h"

namespace retro::cli {
namespace {

constexpr char kMarkers[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

int64_t MaxCount(const ChartData& data) {
  int64_t max = 0;
  for (const auto& row : data.counts) {
    for (int64_t count : row) max = std::max(max, count);
  }
  return max;
}

std::string Pad(const std::string& text, size_t width) {
  std::string out = Shorten(text, width);
  size_t shown = DisplayWidth(out);
  if (shown < width) out.append(width - shown, ' ');
  return out;
}

// gnuplot reads strings in double quotes with backslash escapes.
std::string Quote(const std::string& text) {
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

}  // namespace

std::string BarChart(const ChartData& data, int width) {
  if (data.periods.empty() || data.series.empty()) return "(no lessons match)\n";
  size_t label = 0;
  for (const std::string& s : data.series) label = std::max(label, DisplayWidth(s));
  label = std::min<size_t>(label, 24);
  const size_t period_width = 8;
  const int64_t max = std::max<int64_t>(1, MaxCount(data));
  const int bar_room = std::max(10, width - static_cast<int>(period_width + label) - 10);
  std::string out = data.title.empty() ? "" : data.title + "\n\n";
  bool any_low = false;
  for (size_t p = 0; p < data.periods.size(); ++p) {
    bool first = true;
    for (size_t s = 0; s < data.series.size(); ++s) {
      int64_t count = data.counts[s][p];
      if (count == 0) continue;
      bool low = data.low_sample[s][p];
      any_low |= low;
      int length = static_cast<int>((count * bar_room + max - 1) / max);
      std::string bar;
      for (int i = 0; i < length; ++i) bar += low ? "░" : "█";
      absl::StrAppend(&out, Pad(first ? data.periods[p] : "", period_width), " ",
                      Pad(data.series[s], label), " ", bar, " ", count, low ? " (few deals)" : "",
                      "\n");
      first = false;
    }
  }
  if (any_low) absl::StrAppend(&out, "\n░ fewer deals than a trend needs: read with care\n");
  return out;
}

std::string LineChart(const ChartData& data, int width, int height) {
  if (data.periods.empty() || data.series.empty()) return "(no lessons match)\n";
  const int64_t max = std::max<int64_t>(1, MaxCount(data));
  const size_t axis = std::max<size_t>(3, absl::StrCat(max).size());
  const size_t columns = data.periods.size();
  // Each period gets a column of equal width; at least 3 characters.
  const size_t step =
      std::max<size_t>(3, std::min<size_t>(10, (std::max<size_t>(width, 40) - axis - 2) /
                                                   std::max<size_t>(1, columns)));
  std::vector<std::string> grid(height, std::string(columns * step, ' '));
  const size_t shown_series = std::min<size_t>(data.series.size(), sizeof kMarkers - 1);
  for (size_t s = 0; s < shown_series; ++s) {
    for (size_t p = 0; p < columns; ++p) {
      int64_t count = data.counts[s][p];
      int row = height - 1 - static_cast<int>((count * (height - 1) + max / 2) / max);
      char& cell = grid[row][p * step + step / 2];
      // Overlapping series show '*'.
      cell = (cell == ' ') ? kMarkers[s] : '*';
    }
  }
  std::string out = data.title.empty() ? "" : data.title + "\n\n";
  for (int row = 0; row < height; ++row) {
    std::string tick;
    if (row == 0)
      tick = absl::StrCat(max);
    else if (row == height - 1)
      tick = "0";
    else if (2 * row == height - 1 && max >= 2)
      tick = absl::StrFormat("%g", max / 2.0);
    std::string left(axis - tick.size(), ' ');
    absl::StrAppend(&out, left, tick, " |", grid[row], "\n");
  }
  absl::StrAppend(&out, std::string(axis, ' '), " +", std::string(columns * step, '-'), "\n");
  // Period labels under their columns, as many as fit.
  std::string labels(axis + 2 + columns * step + 8, ' ');
  size_t free_from = 0;
  for (size_t p = 0; p < columns; ++p) {
    size_t at = axis + 2 + p * step + step / 2;
    const std::string& period = data.periods[p];
    size_t start = at >= period.size() / 2 ? at - period.size() / 2 : 0;
    if (start < free_from || start + period.size() > labels.size()) continue;
    labels.replace(start, period.size(), period);
    free_from = start + period.size() + 1;
  }
  while (!labels.empty() && labels.back() == ' ') labels.pop_back();
  absl::StrAppend(&out, labels, "\n\n");
  for (size_t s = 0; s < shown_series; ++s) {
    int64_t total = 0;
    for (int64_t count : data.counts[s]) total += count;
    absl::StrAppend(&out, "  ", std::string(1, kMarkers[s]), "  ", data.series[s], " (", total,
                    ")\n");
  }
  return out;
}

absl::Status WritePng(const ChartData& data, const std::string& style, const std::string& unit,
                      const std::string& path) {
  if (data.periods.empty() || data.series.empty()) {
    return absl::FailedPreconditionError("no lessons match: nothing to draw");
  }
  // A data block: period, then one column per series.
  std::string script =
      absl::StrCat("set terminal pngcairo size 1000,560 font 'Sans,10' noenhanced\n", "set output ",
                   Quote(path), "\n", "set title ", Quote(data.title), "\n",
                   "set key outside right top\nset grid ytics\nset yrange [0:*]\n", "set ylabel ",
                   Quote(unit), "\nset format y '%.0f'\nset xtics rotate by -35\n",
                   MaxCount(data) <= 10 ? "set ytics 1\n" : "", "$data << EOD\n");
  for (size_t p = 0; p < data.periods.size(); ++p) {
    absl::StrAppend(&script, Quote(data.periods[p]));
    for (size_t s = 0; s < data.series.size(); ++s)
      absl::StrAppend(&script, " ", data.counts[s][p]);
    absl::StrAppend(&script, "\n");
  }
  absl::StrAppend(&script, "EOD\n");
  if (style == "line") {
    absl::StrAppend(&script, "plot ");
    for (size_t s = 0; s < data.series.size(); ++s) {
      absl::StrAppend(&script, s ? ", " : "", "$data using ", s + 2,
                      ":xtic(1) with linespoints lw 2 title ", Quote(data.series[s]));
    }
  } else {
    absl::StrAppend(&script,
                    "set style data histograms\nset style histogram clustered gap 1\n"
                    "set style fill solid 0.85 border -1\nset boxwidth 0.9\nplot ");
    for (size_t s = 0; s < data.series.size(); ++s) {
      absl::StrAppend(&script, s ? ", " : "", "$data using ", s + 2, ":xtic(1) title ",
                      Quote(data.series[s]));
    }
  }
  absl::StrAppend(&script, "\n");

  FILE* gnuplot = popen("gnuplot", "w");
  if (gnuplot == nullptr) return absl::FailedPreconditionError("cannot run gnuplot");
  fwrite(script.data(), 1, script.size(), gnuplot);
  int status = pclose(gnuplot);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) == 127) {
    return absl::FailedPreconditionError(
        "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
  }
  if (WEXITSTATUS(status) != 0 || access(path.c_str(), F_OK) != 0) {
    return absl::InternalError(absl::StrCat("gnuplot failed to write ", path));
  }
  return absl::OkStatus();
}

}  // namespace retro::cli
