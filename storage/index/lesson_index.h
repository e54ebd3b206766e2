// LessonIndex: the enablement library's search engine, stored in the same
// RocksDB as everything else.
//
// Column families (key layouts in docs/search.md):
//   lessons     org \0 'd' doc        -> retro.v1.Lesson (stored fields)
//   postings    org \0 term \0 doc    -> PostingBlock (first doc of the block)
//   terms       org \0 term           -> TermInfo (document frequency)
//   doc_values  org \0 'd' doc        -> DocValues
//   index_stats org \0 's'            -> IndexStats
// Every organization has its own key range: a query of one organization
// cannot touch another's postings.
//
// Writes go through WriteWithLessons, which adds the index entries to the
// caller's batch and writes it in one synced write, so the index never
// disagrees with the lessons (or with the event that published them).
// Writes of one organization are built one at a time and written in the
// same order, but the next is built while the one before it syncs.
// Searches read postings from RocksDB and filters, facets and visibility
// from an in-memory copy of the doc values, brought up to date from
// RocksDB before each search. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "retro/v1/library_service.pb.h"
#include "storage/database.h"

namespace retro::index {

class IndexStats;

// Who is searching: decides which TEAM lessons are visible.
struct Viewer {
  std::string user_id;
  std::vector<std::string> team_ids;
  // ADMIN and ENABLEMENT users see every lesson of their organization.
  bool sees_everything = false;
};

struct SearchOptions {
  std::string query;
  retro::v1::LessonFilter filter;
  retro::v1::SearchLessonsRequest::Sort sort = retro::v1::SearchLessonsRequest::SORT_UNSPECIFIED;
  size_t offset = 0;
  size_t limit = 10;
};

struct SearchResults {
  struct Hit {
    retro::v1::Lesson lesson;
    double score = 0;
    std::string snippet;
  };
  std::vector<Hit> hits;
  uint64_t total = 0;
  std::vector<retro::v1::Facet> facets;
  std::vector<retro::v1::QueryCorrection> corrections;
};

struct TrendOptions {
  retro::v1::GetTrendsRequest::Dimension dimension = retro::v1::GetTrendsRequest::REASON;
  bool quarterly = false;
  std::string query;
  retro::v1::LessonFilter filter;
};

struct RecurringOptions {
  retro::v1::LessonFilter filter;
  size_t min_deals = 3;
  size_t max_results = 20;
};

// BM25 parameters.
inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
// Score multiplier for votes: 1 + kVoteBoost * ln(1 + votes).
inline constexpr double kVoteBoost = 0.1;
// Buckets with fewer deals than this are marked low-sample.
inline constexpr int64_t kLowSampleDeals = 5;
// MinHash signature length, and its banding for near-duplicate candidates.
inline constexpr int kMinHashes = 16;
inline constexpr int kMinHashBands = 8;
// Estimated Jaccard similarity from which two lessons are "the same lesson".
inline constexpr double kRecurringSimilarity = 0.5;

class LessonIndex {
 public:
  // database is borrowed and must outlive the index. Decoded postings of
  // recently queried terms are kept within posting_cache_bytes.
  static constexpr size_t kDefaultPostingCacheBytes = 256 << 20;
  explicit LessonIndex(storage::Database& database,
                       size_t posting_cache_bytes = kDefaultPostingCacheBytes);
  ~LessonIndex();

  // Names the lessons ("lessons/{doc}"), adds them and their index entries
  // to batch, and writes batch durably. Nothing is written on error, and
  // the lessons' names are then unspecified.
  [[nodiscard]] absl::Status WriteWithLessons(const std::string& org_id,
                                              std::vector<retro::v1::Lesson>* lessons,
                                              storage::Database::Batch batch);

  [[nodiscard]] absl::StatusOr<SearchResults> Search(const std::string& org_id,
                                                     const Viewer& viewer,
                                                     const SearchOptions& options);

  // The lesson if it exists and the viewer may see it.
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Lesson>> GetLesson(
      const std::string& org_id, const Viewer& viewer, const std::string& lesson_id);

  // Lessons and distinct deals per period and dimension value.
  [[nodiscard]] absl::StatusOr<std::vector<retro::v1::TrendBucket>> Trends(
      const std::string& org_id, const Viewer& viewer, const TrendOptions& options);

  // The visible lessons most similar to a draft (any of its words, BM25).
  [[nodiscard]] absl::StatusOr<std::vector<SearchResults::Hit>> Suggest(const std::string& org_id,
                                                                        const Viewer& viewer,
                                                                        const std::string& draft,
                                                                        size_t max_results);

  // Clusters of near-duplicate lessons (MinHash over their terms) seen in
  // at least min_deals distinct deals.
  [[nodiscard]] absl::StatusOr<std::vector<retro::v1::RecurringLesson>> Recurring(
      const std::string& org_id, const Viewer& viewer, const RecurringOptions& options);

  // Calls emit with batches of matching visible lessons, in doc order,
  // until it returns false.
  [[nodiscard]] absl::Status Export(
      const std::string& org_id, const Viewer& viewer, const std::string& query,
      const retro::v1::LessonFilter& filter,
      const std::function<bool(std::vector<retro::v1::Lesson>&&)>& emit);

  // Rebuilds postings, terms, doc values and statistics of every
  // organization from the stored lessons (names are kept). Not to be run
  // while the index serves. progress(done, total) is called as it goes.
  [[nodiscard]] absl::Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress);

  struct Columns;  // The in-memory doc values of one organization.

 private:
  struct OrgState;
  OrgState& StateFor(const std::string& org_id);
  // Brings the state's columns up to the stored doc values.
  absl::Status Refresh(const std::string& org_id, OrgState& state);
  // What indexing takes from each lesson alone (defined in the .cc).
  struct AnalyzedLessons;
  // Analyzes lessons, each on its own: needs no lock, and runs on two
  // threads for a large batch. With serialize_unnamed, also serializes
  // each lesson, whose name must be empty, for the kLessons table.
  static void AnalyzeLessons(const std::vector<const retro::v1::Lesson*>& lessons,
                             bool serialize_unnamed, AnalyzedLessons* analyzed);
  // Adds the postings, terms and doc values of analyzed lessons to batch,
  // lessons[i] as doc docs[i] (increasing, beyond every indexed doc), and
  // updates stats. Requires the organization's write lock. With a
  // pipeline state, reads what the writes in flight put before RocksDB,
  // and records what this write (of ticket) puts for the writes after it.
  absl::Status IndexAnalyzed(const std::string& org_id, const std::vector<uint32_t>& docs,
                             AnalyzedLessons& analyzed, IndexStats* stats,
                             storage::Database::Batch& batch, OrgState* pipeline = nullptr,
                             uint64_t ticket = 0);
  // The steps of a pipelined write (see OrgState). Under the write lock:
  // takes the next ticket and drops the pending values that are written
  // (or were built on a failed write); then names the lessons and adds
  // them and their index entries to batch.
  uint64_t StartPipelinedWrite(OrgState& state);
  // Drops the pending values of writes that are done, and all of them
  // after a failure. Requires the organization's write lock.
  static void DropDonePending(OrgState& state, uint64_t done_below, uint64_t failures);
  absl::Status BuildWrite(const std::string& org_id, OrgState& state, uint64_t ticket,
                          AnalyzedLessons& analyzed, std::vector<retro::v1::Lesson>* lessons,
                          storage::Database::Batch& batch);
  // Without the lock: waits for the writes of earlier tickets, then writes
  // batch (null: the build failed, and only the turn is passed on).
  absl::Status WriteInTurn(OrgState& state, uint64_t ticket, const storage::Database::Batch* batch);
  class Evaluation;

  storage::Database& database_;
  std::unique_ptr<class PostingCache> posting_cache_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<OrgState>> orgs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retro::index
