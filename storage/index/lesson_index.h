// LessonIndex: the enablement library's search engine, stored in the same
// RocksDB as everything else.
//
// Column families (key layouts in docs/search.md):
//   lessons     org \0 'd' doc        -> retro.v1.Lesson (stored fields)
//   postings    org \0 term \0 doc    -> PostingBlock (first doc of the block)
//   terms       org \0 term           -> TermInfo (document frequency)
//   doc_values  org \0 'd' doc        -> DocValues;  org \0 's' -> IndexStats
// Every organization has its own key range: a query of one organization
// cannot touch another's postings.
//
// Writes go through WriteWithLessons, which adds the index entries to the
// caller's batch and writes it in one synced write, so the index never
// disagrees with the lessons (or with the event that published them).
// Searches read postings from RocksDB and filters, facets and visibility
// from an in-memory copy of the doc values, brought up to date from
// RocksDB before each search. Thread-safe.
#pragma once

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

// BM25 parameters.
inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
// Score multiplier for votes: 1 + kVoteBoost * ln(1 + votes).
inline constexpr double kVoteBoost = 0.1;

class LessonIndex {
 public:
  // database is borrowed and must outlive the index.
  explicit LessonIndex(storage::Database& database);
  ~LessonIndex();

  // Names the lessons ("lessons/{doc}"), adds them and their index entries
  // to batch, and writes batch durably. Nothing is written on error.
  [[nodiscard]] absl::Status WriteWithLessons(const std::string& org_id,
                                              std::vector<retro::v1::Lesson>* lessons,
                                              storage::Database::Batch batch);

  [[nodiscard]] absl::StatusOr<SearchResults> Search(const std::string& org_id,
                                                     const Viewer& viewer,
                                                     const SearchOptions& options);

  // The lesson if it exists and the viewer may see it.
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Lesson>> GetLesson(
      const std::string& org_id, const Viewer& viewer, const std::string& lesson_id);

  struct Columns;  // The in-memory doc values of one organization.

 private:
  struct OrgState;
  OrgState& StateFor(const std::string& org_id);
  // Brings the state's columns up to the stored doc values.
  absl::Status Refresh(const std::string& org_id, OrgState& state);

  storage::Database& database_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<OrgState>> orgs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retro::index
