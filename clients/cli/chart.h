// Charts of lesson trends: in the terminal (bar or line, plain text so it
// survives pipes and logs) and as a PNG drawn by gnuplot. Pure functions
// except WritePng, which runs gnuplot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace retro::cli {

// counts[s][p]: series s (a loss reason, a competitor...) in period p.
struct ChartData {
  std::string title;
  std::vector<std::string> periods;  // oldest first
  std::vector<std::string> series;   // biggest total first
  std::vector<std::vector<int64_t>> counts;
  std::vector<std::vector<bool>> low_sample;  // same shape; drawn hollow
};

// Horizontal bars, one block per period, one bar per series; `width` is
// the terminal's width.
std::string BarChart(const ChartData& data, int width);
// A line chart on a grid of `height` rows (odd, so the middle row is half): periods left to right,
// one marker letter per series, with a legend.
std::string LineChart(const ChartData& data, int width, int height);

// Draws the chart with gnuplot ("bar" or "line") into `path`.
// FAILED_PRECONDITION if gnuplot is not installed.
absl::Status WritePng(const ChartData& data, const std::string& style, const std::string& unit,
                      const std::string& path);

}  // namespace retro::cli
