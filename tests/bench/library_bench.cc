// library_bench: the lesson library at scale, in process, on one core.
//
//   library_bench --lessons=1000000 --queries=1000 --rounds=3
//
// Builds a corpus with the deterministic LessonGenerator, indexes it in
// bulk through LessonIndex::WriteWithLessons (the publish path), and
// prints: indexing rate, index size against the raw lesson text, and
// latency percentiles of top-10 queries by kind and of suggestions. Prints
// figures only; it asserts nothing about time.
//
// The peers, same corpus, same queries, same run: SQLite FTS5 (porter
// stemming, contentless, ranked by bm25()) and Xapian (English stemmer,
// BM25Weight), top 10, one thread, each with its indexing time, size on
// disk, queries a second and the overlap of its top 10 with ours (a sanity
// check: retro also filters by who may see a lesson, which peers do not).
#include <sqlite3.h>
#include <sys/resource.h>
#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "storage/database.h"
#include "storage/index/lesson_index.h"
#include "tests/bench/lesson_generator.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(int64_t, lessons, 100000, "lessons in the corpus");
ABSL_FLAG(int64_t, queries, 1000, "queries per round");
ABSL_FLAG(int64_t, rounds, 3, "rounds over the query set");
ABSL_FLAG(int64_t, peer_rounds, -1,
          "rounds over the query set for the peers; -1: as many as --rounds (FTS5 answers "
          "about 10 queries a second at a million lessons)");
ABSL_FLAG(int64_t, batch, 5000, "lessons per indexing write");
ABSL_FLAG(int, index_writers, 2, "threads writing batches to retro's index at once");
ABSL_FLAG(int, index_repetitions, 1,
          "times retro and the FTS5 peers each index the corpus, taking turns, each into a "
          "fresh store; indexing is reported as medians (Xapian indexes once; the last "
          "stores answer the queries)");
ABSL_FLAG(std::string, kinds, "",
          "only these query kinds, e.g. \"1,2\" (0 one word ... 5 filtered); all when empty");
ABSL_FLAG(bool, suggest, true, "also time suggestions");
ABSL_FLAG(bool, peers, true, "also run the SQLite FTS5 and Xapian peers");
ABSL_FLAG(bool, xapian, true,
          "with --peers, Xapian too (its indexing takes a minute at 1,000,000)");
ABSL_FLAG(std::string, index_dir, "",
          "keep retro's index here and reuse it when it is already there (same --lessons): "
          "for iterating on queries; peers and indexing figures are then skipped");
ABSL_FLAG(int64_t, slowest, 0, "also list this many of the slowest queries, with their matches");

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * (values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// The same query in FTS5's syntax: terms quoted, AND between them.
std::string Fts5Query(const std::string& query, bool filtered) {
  std::string out;
  if (!query.empty() && query.front() == '"') {
    out = query;  // a phrase: the same syntax
  } else if (!query.empty() && query.back() == '*') {
    out = absl::StrCat("\"", query.substr(0, query.size() - 1), "\"*");
  } else {
    for (absl::string_view word : absl::StrSplit(query, ' ', absl::SkipEmpty())) {
      absl::StrAppend(&out, out.empty() ? "" : " ", "\"", word, "\"");
    }
  }
  if (filtered) out = absl::StrCat("outcome : lost AND industry : healthcare AND (", out, ")");
  return out;
}

// A search engine a team might pick instead, fed the same corpus.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string Name() const = 0;
  // One durable write of a batch; rowids/docids start at first_rowid.
  virtual void Add(int64_t first_rowid, const std::vector<retro::v1::Lesson>& lessons) = 0;
  // Top 10 ids for one of the generator's queries (kind 5: filtered).
  virtual std::vector<int64_t> Search(const std::string& query, int kind) = 0;
  virtual uint64_t SizeOnDisk() = 0;
  // False for a peer timed for its indexing and size only.
  virtual bool AnswersQueries() const { return true; }
};

uint64_t DirectorySize(const std::string& path) {
  uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
    if (entry.is_regular_file(error)) total += entry.file_size(error);
  }
  return total;
}

// User and system CPU time of the whole process so far.
double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// SQLite FTS5 over the same corpus, in a file of its own. Contentless, it
// keeps only the index, and is the peer the targets are read against. With
// its text it also stores what it indexes, as retro's index write stores
// the lessons it shows in results: that one is timed for its indexing and
// size only (its queries are the contentless one's).
class Fts5Peer : public Peer {
 public:
  enum class Content { kNone, kStored };
  std::string Name() const override {
    return absl::StrCat("SQLite FTS5 ", sqlite3_libversion(),
                        content_ == Content::kNone ? " (porter, contentless, bm25)"
                                                   : " (porter, storing its text)");
  }
  Fts5Peer(const std::string& path, Content content) : path_(path), content_(content) {
    sqlite3_open(path.c_str(), &db_);
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    Exec(absl::StrCat("CREATE VIRTUAL TABLE lessons USING fts5(text, outcome, industry, ",
                      content == Content::kNone ? "content='', " : "",
                      "tokenize='porter unicode61')")
             .c_str());
    sqlite3_prepare_v2(db_,
                       "INSERT INTO lessons (rowid, text, outcome, industry) VALUES (?, ?, ?, ?)",
                       -1, &insert_, nullptr);
    sqlite3_prepare_v2(db_,
                       "SELECT rowid FROM lessons WHERE lessons MATCH ? ORDER BY bm25(lessons) "
                       "LIMIT 10",
                       -1, &search_, nullptr);
  }
  ~Fts5Peer() override {
    sqlite3_finalize(insert_);
    sqlite3_finalize(search_);
    sqlite3_close(db_);
  }
  // One transaction, synced, like one of retro's indexing writes.
  void Add(int64_t first_rowid, const std::vector<retro::v1::Lesson>& lessons) override {
    Exec("BEGIN");
    for (size_t i = 0; i < lessons.size(); ++i) {
      const retro::v1::Lesson& lesson = lessons[i];
      std::string outcome = lesson.deal().outcome() == retro::v1::LOST ? "lost" : "other";
      sqlite3_bind_int64(insert_, 1, first_rowid + static_cast<int64_t>(i));
      sqlite3_bind_text(insert_, 2, lesson.text().c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert_, 3, outcome.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert_, 4, lesson.deal().industry().c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_step(insert_);
      sqlite3_reset(insert_);
    }
    Exec("COMMIT");
  }
  std::vector<int64_t> Search(const std::string& text, int kind) override {
    const std::string query = Fts5Query(text, kind == 5);
    std::vector<int64_t> rowids;
    sqlite3_bind_text(search_, 1, query.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(search_) == SQLITE_ROW) rowids.push_back(sqlite3_column_int64(search_, 0));
    sqlite3_reset(search_);
    return rowids;
  }
  uint64_t SizeOnDisk() override {
    Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::error_code error;
    return std::filesystem::file_size(path_, error);
  }
  bool AnswersQueries() const override { return content_ == Content::kNone; }

 private:
  void Exec(const char* sql) { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
  std::string path_;
  Content content_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* search_ = nullptr;
};

// Xapian over the same corpus: English stemming, BM25, boolean filter terms.
class XapianPeer : public Peer {
 public:
  explicit XapianPeer(const std::string& path)
      : path_(path), db_(path, Xapian::DB_CREATE_OR_OVERWRITE) {
    indexer_.set_stemmer(Xapian::Stem("en"));
    indexer_.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    parser_.set_stemmer(Xapian::Stem("en"));
    parser_.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    parser_.set_default_op(Xapian::Query::OP_AND);
    parser_.set_database(db_);
  }
  std::string Name() const override {
    return absl::StrCat("Xapian ", Xapian::version_string(), " (English stemmer, BM25)");
  }
  void Add(int64_t first_rowid, const std::vector<retro::v1::Lesson>& lessons) override {
    for (size_t i = 0; i < lessons.size(); ++i) {
      Xapian::Document document;
      indexer_.set_document(document);
      indexer_.index_text(lessons[i].text());
      if (lessons[i].deal().outcome() == retro::v1::LOST) document.add_boolean_term("XOlost");
      document.add_boolean_term("XI" + absl::AsciiStrToLower(lessons[i].deal().industry()));
      db_.replace_document(static_cast<Xapian::docid>(first_rowid + static_cast<int64_t>(i)),
                           document);
    }
    db_.commit();  // durable, like one of retro's synced writes
  }
  std::vector<int64_t> Search(const std::string& text, int kind) override {
    Xapian::Query query = parser_.parse_query(text, Xapian::QueryParser::FLAG_PHRASE |
                                                        Xapian::QueryParser::FLAG_WILDCARD |
                                                        Xapian::QueryParser::FLAG_DEFAULT);
    if (kind == 5) {
      query = Xapian::Query(Xapian::Query::OP_FILTER, query,
                            Xapian::Query(Xapian::Query::OP_AND, Xapian::Query("XOlost"),
                                          Xapian::Query("XIhealthcare")));
    }
    Xapian::Enquire enquire(db_);
    enquire.set_weighting_scheme(Xapian::BM25Weight());
    enquire.set_query(query);
    std::vector<int64_t> ids;
    Xapian::MSet matches = enquire.get_mset(0, 10);
    for (auto it = matches.begin(); it != matches.end(); ++it) ids.push_back(*it);
    return ids;
  }
  uint64_t SizeOnDisk() override { return DirectorySize(path_); }

 private:
  std::string path_;
  Xapian::WritableDatabase db_;
  Xapian::TermGenerator indexer_;
  Xapian::QueryParser parser_;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "library_bench: %s\n", std::string(status.ToString()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int64_t n = absl::GetFlag(FLAGS_lessons);
  retro::testing::TempDir dir;
  const std::string index_dir = absl::GetFlag(FLAGS_index_dir);
  const bool reuse = !index_dir.empty() && std::filesystem::exists(index_dir + "/db/CURRENT");
  auto database = retro::storage::Database::Open(
      {index_dir.empty() ? dir.Join("db") : index_dir + "/db", nullptr, nullptr});
  if (!database.ok()) return Fail(database.status());
  retro::index::LessonIndex index(**database);
  retro::bench::LessonGenerator generator;

  // Indexing, in publish-sized batches through the real write path.
  struct PeerSpec {
    std::function<std::unique_ptr<Peer>(const std::string& path)> make;
    std::string file;
    bool repeated;  // indexed on every repetition, not only the last
  };
  std::vector<PeerSpec> peer_specs;
  if (absl::GetFlag(FLAGS_peers) && !reuse) {
    peer_specs.push_back({[](const std::string& path) {
                            return std::make_unique<Fts5Peer>(path, Fts5Peer::Content::kNone);
                          },
                          "fts5.db", true});
    peer_specs.push_back({[](const std::string& path) {
                            return std::make_unique<Fts5Peer>(path, Fts5Peer::Content::kStored);
                          },
                          "fts5-text.db", true});
    if (absl::GetFlag(FLAGS_xapian)) {
      peer_specs.push_back(
          {[](const std::string& path) { return std::make_unique<XapianPeer>(path); }, "xapian",
           false});
    }
  }
  std::vector<std::unique_ptr<Peer>> peers;
  // Each peer's indexing times, a repetition each (one for Xapian).
  std::vector<std::vector<double>> peer_indexing_runs(peer_specs.size());
  uint64_t raw_bytes = 0;
  // Retro's, a repetition each: wall time, and every thread's CPU
  // (RocksDB's too).
  std::vector<double> indexing_runs;
  std::vector<double> indexing_cpu_runs;
  // The corpus in publish-sized batches, generated before anything is timed.
  std::vector<std::vector<retro::v1::Lesson>> batches;
  for (int64_t done = 0; done < n;) {
    std::vector<retro::v1::Lesson>& batch = batches.emplace_back();
    for (int64_t i = 0; i < absl::GetFlag(FLAGS_batch) && done < n; ++i, ++done) {
      batch.push_back(generator.Next());
      raw_bytes += batch.back().text().size();
    }
  }
  // A peer: a synced transaction a batch, in order. Returns seconds.
  auto index_peer = [&](Peer& peer) {
    auto start = Clock::now();
    int64_t first = 1;
    for (const std::vector<retro::v1::Lesson>& batch : batches) {
      peer.Add(first, batch);
      first += static_cast<int64_t>(batch.size());
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // Retro: --index_writers publishers at once, each taking the next batch
  // and writing it durably, as concurrent publishes reach the index.
  const int writers = std::max(1, absl::GetFlag(FLAGS_index_writers));
  auto index_retro = [&](retro::index::LessonIndex& into) -> absl::Status {
    std::atomic<size_t> next_batch{0};
    std::vector<absl::Status> statuses(writers);
    auto start = Clock::now();
    const double cpu_start = ProcessCpuSeconds();
    auto write = [&](int writer) {
      for (size_t b = next_batch++; b < batches.size() && statuses[writer].ok(); b = next_batch++) {
        statuses[writer] =
            into.WriteWithLessons("bench", &batches[b], retro::storage::Database::Batch());
      }
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < writers; ++w) threads.emplace_back(write, w);
    write(0);
    for (std::thread& thread : threads) thread.join();
    indexing_runs.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    indexing_cpu_runs.push_back(ProcessCpuSeconds() - cpu_start);
    for (const absl::Status& status : statuses) {
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  };
  std::printf("corpus: %lld lessons, %.1f MB of lesson text\n", static_cast<long long>(n),
              raw_bytes / 1e6);
  std::fflush(stdout);  // Marks the start of indexing, for a profiler.
  const int repetitions = reuse ? 0 : std::max(1, absl::GetFlag(FLAGS_index_repetitions));
  for (int r = 0; r < repetitions; ++r) {
    // The peers, then retro: the last repetition's stores are kept for the
    // queries, the others' are timed and removed.
    const bool last = r == repetitions - 1;
    for (size_t p = 0; p < peer_specs.size(); ++p) {
      if (!last && !peer_specs[p].repeated) continue;
      const std::string path = last ? dir.Join(peer_specs[p].file)
                                    : dir.Join(absl::StrCat("scratch-", peer_specs[p].file));
      std::unique_ptr<Peer> peer = peer_specs[p].make(path);
      peer_indexing_runs[p].push_back(index_peer(*peer));
      if (last) {
        peers.push_back(std::move(peer));
      } else {
        peer.reset();
        std::filesystem::remove_all(path);
        std::filesystem::remove_all(path + "-wal");
        std::filesystem::remove_all(path + "-shm");
      }
    }
    if (last) {
      if (absl::Status status = index_retro(index); !status.ok()) return Fail(status);
    } else {
      const std::string path = dir.Join("scratch-db");
      auto scratch = retro::storage::Database::Open({path, nullptr, nullptr});
      if (!scratch.ok()) return Fail(scratch.status());
      {
        retro::index::LessonIndex scratch_index(**scratch);
        if (absl::Status status = index_retro(scratch_index); !status.ok()) return Fail(status);
      }
      scratch->reset();
      std::filesystem::remove_all(path);
    }
  }
  const double indexing_seconds = Percentile(indexing_runs, 0.5);
  const double indexing_cpu_seconds = Percentile(indexing_cpu_runs, 0.5);
  // "a, b and c s" for a line of figures.
  auto runs_text = [](const std::vector<double>& runs, const char* unit) {
    std::string text;
    for (size_t i = 0; i < runs.size(); ++i) {
      absl::StrAppendFormat(&text, "%s%.2f",
                            i == 0                 ? ""
                            : i + 1 == runs.size() ? " and "
                                                   : ", ",
                            runs[i]);
    }
    return absl::StrCat(text, unit);
  };
  // Retro's time against a peer's: the ratio of the medians, and with
  // repetitions each repetition's ratio.
  auto ratio_text = [&](const std::vector<double>& peer_runs) {
    std::string text = absl::StrFormat("retro %.2f s: %.2fx the peer's time", indexing_seconds,
                                       indexing_seconds / Percentile(peer_runs, 0.5));
    if (peer_runs.size() == indexing_runs.size() && peer_runs.size() > 1) {
      std::vector<double> ratios;
      for (size_t r = 0; r < peer_runs.size(); ++r)
        ratios.push_back(indexing_runs[r] / peer_runs[r]);
      absl::StrAppend(&text, "; run by run ", runs_text(ratios, "x"));
    }
    return text;
  };
  // The peers number the lessons in corpus order, retro in the order its
  // writers took the lock: each retro doc's corpus row, for comparing top
  // 10s.
  std::vector<int64_t> corpus_row_of_doc;
  if (!reuse) {
    int64_t row = 1;
    for (const std::vector<retro::v1::Lesson>& batch : batches) {
      for (const retro::v1::Lesson& lesson : batch) {
        const size_t doc = std::stoull(lesson.name().substr(sizeof("lessons/") - 1));
        if (corpus_row_of_doc.size() <= doc) corpus_row_of_doc.resize(doc + 1, 0);
        corpus_row_of_doc[doc] = row++;
      }
    }
  }
  batches.clear();
  uint64_t index_bytes = 0, written_index_bytes = 0, lesson_bytes = 0;
  std::printf(
      "indexing: %.2f s, %.0f lessons/s (synced writes of %lld, %d writer%s; %.1f s of CPU)\n",
      indexing_seconds, n / indexing_seconds, static_cast<long long>(absl::GetFlag(FLAGS_batch)),
      writers, writers == 1 ? "" : "s", indexing_cpu_seconds);
  if (indexing_runs.size() > 1) {
    std::printf("  medians of %zu runs: %s, %s of CPU\n", indexing_runs.size(),
                runs_text(indexing_runs, " s").c_str(), runs_text(indexing_cpu_runs, " s").c_str());
  }
  for (auto [table, name] : {std::pair{retro::storage::Table::kPostings, "postings"},
                             std::pair{retro::storage::Table::kTerms, "terms"},
                             std::pair{retro::storage::Table::kDocValues, "doc_values"},
                             std::pair{retro::storage::Table::kLessons, "lessons (stored)"}}) {
    // As the load left it, then fully compacted (the steady state).
    auto written = (*database)->WrittenSize(table);
    if (!written.ok()) return Fail(written.status());
    auto size = (*database)->CompactedSize(table);
    if (!size.ok()) return Fail(size.status());
    if (table != retro::storage::Table::kLessons) {
      index_bytes += *size;
      written_index_bytes += *written;
    } else {
      lesson_bytes = *size;
    }
    std::printf("  %-18s %10.1f MB  (%.1f MB as written)\n", name, *size / 1e6, *written / 1e6);
  }
  std::printf("index size: %.1f MB = %.2f x the lesson text (%.1f MB as written)\n",
              index_bytes / 1e6, static_cast<double>(index_bytes) / raw_bytes,
              written_index_bytes / 1e6);

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
  // (time, query index, matches) of every timed query, for --slowest.
  std::vector<std::tuple<double, size_t, uint64_t>> timed;
  uint64_t hits = 0;
  for (int64_t round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    std::vector<double> this_round;
    for (size_t q = 0; q < queries.size(); ++q) {
      const auto& [kind, options] = queries[q];
      auto start = Clock::now();
      auto results = index.Search("bench", viewer, options);
      double us = Micros(Clock::now() - start);
      if (!results.ok()) return Fail(results.status());
      hits += results->total;
      timed.emplace_back(us, q, results->total);
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
  std::sort(timed.begin(), timed.end(), std::greater<>());
  for (int64_t i = 0; i < absl::GetFlag(FLAGS_slowest) && i < static_cast<int64_t>(timed.size());
       ++i) {
    const auto& [us, q, matches] = timed[i];
    std::printf("  slow: %8.3f ms  %-8s %7llu matches  %s\n", us / 1000, kinds[queries[q].first],
                static_cast<unsigned long long>(matches), queries[q].second.query.c_str());
  }

  retro::index::Viewer everyone;
  everyone.sees_everything = true;
  const double ours_qps = 1e6 / (std::accumulate(all.begin(), all.end(), 0.0) / all.size());
  for (size_t p = 0; p < peers.size(); ++p) {
    // The same queries through the peer, and how much its top 10 agrees.
    Peer& peer = *peers[p];
    if (!peer.AnswersQueries()) {
      const uint64_t peer_bytes = peer.SizeOnDisk();
      std::printf("peer %s, same corpus, indexing only:\n", peer.Name().c_str());
      std::printf("  indexing      %8.2f s  (%s)\n", Percentile(peer_indexing_runs[p], 0.5),
                  ratio_text(peer_indexing_runs[p]).c_str());
      std::printf(
          "  size on disk  %8.1f MB (retro's index and stored lessons %.1f MB: %.2fx the "
          "peer's size)\n",
          peer_bytes / 1e6, (index_bytes + lesson_bytes) / 1e6,
          static_cast<double>(index_bytes + lesson_bytes) / peer_bytes);
      continue;
    }
    std::vector<double> peer_all;
    double overlap = 0;
    int compared = 0;
    const int64_t peer_rounds = absl::GetFlag(FLAGS_peer_rounds) < 0
                                    ? absl::GetFlag(FLAGS_rounds)
                                    : std::max<int64_t>(1, absl::GetFlag(FLAGS_peer_rounds));
    for (int64_t round = 0; round < peer_rounds; ++round) {
      for (const auto& [kind, options] : queries) {
        auto start = Clock::now();
        std::vector<int64_t> theirs = peer.Search(options.query, kind);
        peer_all.push_back(Micros(Clock::now() - start));
        if (round > 0) continue;
        auto ours = index.Search("bench", everyone, options);
        if (!ours.ok() || ours->hits.empty() || theirs.empty()) continue;
        int shared = 0;
        for (const auto& hit : ours->hits) {
          const size_t doc = std::stoull(hit.lesson.name().substr(sizeof("lessons/") - 1));
          const int64_t row = doc < corpus_row_of_doc.size() ? corpus_row_of_doc[doc] : 0;
          shared += std::count(theirs.begin(), theirs.end(), row) > 0;
        }
        overlap += static_cast<double>(shared) / std::min(ours->hits.size(), theirs.size());
        ++compared;
      }
    }
    const uint64_t peer_bytes = peer.SizeOnDisk();
    const double peer_qps =
        1e6 / (std::accumulate(peer_all.begin(), peer_all.end(), 0.0) / peer_all.size());
    std::printf("peer %s, same corpus and queries (%lld round%s):\n", peer.Name().c_str(),
                static_cast<long long>(peer_rounds), peer_rounds == 1 ? "" : "s");
    std::printf("  indexing      %8.2f s  (%s)\n", Percentile(peer_indexing_runs[p], 0.5),
                ratio_text(peer_indexing_runs[p]).c_str());
    std::printf("  size on disk  %8.1f MB (retro %.1f MB: %.2fx the peer's size)\n",
                peer_bytes / 1e6, index_bytes / 1e6, static_cast<double>(index_bytes) / peer_bytes);
    std::printf(
        "  queries/s     %8.0f    (retro %.0f: %.2fx the peer's)  p50 %.3f ms  p99 %.3f ms\n",
        peer_qps, ours_qps, ours_qps / peer_qps, Percentile(peer_all, 0.5) / 1000,
        Percentile(peer_all, 0.99) / 1000);
    std::printf("  top-10 overlap with retro: %.0f%% over %d queries\n",
                compared ? 100 * overlap / compared : 0.0, compared);
  }

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
