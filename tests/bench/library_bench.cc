// library_bench: the lesson library at scale, in process, on one core.
//
//   library_bench --lessons=1000000 --queries=1000 --rounds=3
//
// Builds a corpus with the deterministic LessonGenerator, indexes it in
// bulk through LessonIndex::WriteWithLessons (the publish path), and
// prints: indexing rate, index size against the raw lesson text, and
// latency percentiles of top-10 queries by kind and of suggestions. Prints
// figures only; it asserts nothing about time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "storage/database.h"
#include "storage/index/lesson_index.h"
#include "tests/bench/lesson_generator.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(int64_t, lessons, 100000, "lessons in the corpus");
ABSL_FLAG(int64_t, queries, 1000, "queries per round");
ABSL_FLAG(int64_t, rounds, 3, "rounds over the query set");
ABSL_FLAG(int64_t, batch, 5000, "lessons per indexing write");
ABSL_FLAG(std::string, kinds, "",
          "only these query kinds, e.g. \"1,2\" (0 one word ... 5 filtered); all when empty");
ABSL_FLAG(bool, suggest, true, "also time suggestions");

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * (values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "library_bench: %s\n", std::string(status.ToString()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t n = absl::GetFlag(FLAGS_lessons);
  retro::testing::TempDir dir;
  auto database = retro::storage::Database::Open({dir.Join("db"), nullptr});
  if (!database.ok()) return Fail(database.status());
  retro::index::LessonIndex index(**database);
  retro::bench::LessonGenerator generator;

  // Indexing, in publish-sized batches through the real write path.
  uint64_t raw_bytes = 0;
  double indexing_seconds = 0;
  for (int64_t done = 0; done < n;) {
    std::vector<retro::v1::Lesson> batch;
    for (int64_t i = 0; i < absl::GetFlag(FLAGS_batch) && done < n; ++i, ++done) {
      batch.push_back(generator.Next());
      raw_bytes += batch.back().text().size();
    }
    auto start = Clock::now();
    absl::Status status =
        index.WriteWithLessons("bench", &batch, retro::storage::Database::Batch());
    indexing_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (!status.ok()) return Fail(status);
  }
  uint64_t index_bytes = 0;
  std::printf("corpus: %lld lessons, %.1f MB of lesson text\n", static_cast<long long>(n),
              raw_bytes / 1e6);
  std::printf("indexing: %.1f s, %.0f lessons/s (synced writes of %lld)\n", indexing_seconds,
              n / indexing_seconds, static_cast<long long>(absl::GetFlag(FLAGS_batch)));
  for (auto [table, name] : {std::pair{retro::storage::Table::kPostings, "postings"},
                             std::pair{retro::storage::Table::kTerms, "terms"},
                             std::pair{retro::storage::Table::kDocValues, "doc_values"},
                             std::pair{retro::storage::Table::kLessons, "lessons (stored)"}}) {
    auto size = (*database)->CompactedSize(table);
    if (!size.ok()) return Fail(size.status());
    if (table != retro::storage::Table::kLessons) index_bytes += *size;
    std::printf("  %-18s %10.1f MB\n", name, *size / 1e6);
  }
  std::printf("index size: %.1f MB = %.2f x the lesson text\n", index_bytes / 1e6,
              static_cast<double>(index_bytes) / raw_bytes);

  // Queries: a fixed set drawn from the corpus's vocabulary.
  const char* kinds[] = {"1 word", "2 words", "3 words", "phrase", "prefix", "filtered"};
  std::vector<std::pair<int, retro::index::SearchOptions>> queries;
  for (int64_t i = 0; i < absl::GetFlag(FLAGS_queries); ++i) {
    int kind = static_cast<int>(i % 10);
    kind = kind < 3 ? 0 : kind < 6 ? 1 : kind < 8 ? 2 : kind == 8 ? 3 : 4;
    retro::index::SearchOptions options;
    options.query = generator.Query(kind);
    options.limit = 10;
    if (i % 7 == 0) {
      options.filter.add_outcomes(retro::v1::LOST);
      options.filter.add_industries("Healthcare");
      kind = 5;
    }
    std::string only = absl::GetFlag(FLAGS_kinds);
    if (!only.empty() && only.find(std::to_string(kind)) == std::string::npos) continue;
    queries.emplace_back(kind, options);
  }
  retro::index::Viewer viewer;
  viewer.user_id = "rep-7";
  viewer.team_ids = {"team-1"};
  for (size_t i = 0; i < std::min<size_t>(100, queries.size()); ++i) {  // Warm-up.
    if (!index.Search("bench", viewer, queries[i].second).ok()) return 1;
  }
  std::vector<std::vector<double>> by_kind(6);
  std::vector<double> all, round_p50;
  uint64_t hits = 0;
  for (int64_t round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    std::vector<double> this_round;
    for (const auto& [kind, options] : queries) {
      auto start = Clock::now();
      auto results = index.Search("bench", viewer, options);
      double us = Micros(Clock::now() - start);
      if (!results.ok()) return Fail(results.status());
      hits += results->total;
      by_kind[kind].push_back(us);
      all.push_back(us);
      this_round.push_back(us);
    }
    round_p50.push_back(Percentile(this_round, 0.5));
  }
  std::printf("search, top 10, %zu queries x %lld rounds (%.0f matches a query on average):\n",
              queries.size(), static_cast<long long>(absl::GetFlag(FLAGS_rounds)),
              static_cast<double>(hits) / all.size());
  for (int k = 0; k < 6; ++k) {
    std::printf("  %-9s p50 %8.3f ms  p99 %8.3f ms  (n=%zu)\n", kinds[k],
                Percentile(by_kind[k], 0.5) / 1000, Percentile(by_kind[k], 0.99) / 1000,
                by_kind[k].size());
  }
  std::printf("  all       p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", Percentile(all, 0.5) / 1000,
              Percentile(all, 0.99) / 1000, Percentile(all, 1.0) / 1000);
  std::printf("  p50 by round:");
  for (double p : round_p50) std::printf(" %.3f ms", p / 1000);
  std::printf("\n");

  std::vector<double> suggest;
  for (int i = 0; i < (absl::GetFlag(FLAGS_suggest) ? 300 : 0); ++i) {
    std::string draft = generator.Next().text();
    auto start = Clock::now();
    auto results = index.Suggest("bench", viewer, draft, 5);
    suggest.push_back(Micros(Clock::now() - start));
    if (!results.ok()) return Fail(results.status());
  }
  std::printf("suggest (a whole draft lesson), p50 %.3f ms  p99 %.3f ms\n",
              Percentile(suggest, 0.5) / 1000, Percentile(suggest, 0.99) / 1000);
  return 0;
}
