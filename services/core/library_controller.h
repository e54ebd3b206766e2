// LibraryController: the enablement library's rules over the LessonIndex:
// request validation, visibility (TEAM lessons only for the team, its
// presenter and facilitators, and ADMIN/ENABLEMENT users) and paging.
// Thread-safe; references are borrowed and must outlive it.
#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "retro/v1/library_service.pb.h"
#include "services/common/clock.h"
#include "services/core/caller.h"
#include "storage/directory_store.h"
#include "storage/index/lesson_index.h"
#include "storage/query_log.h"

namespace retro::core {

inline constexpr size_t kMaxQueryBytes = 1000;

class LibraryController {
 public:
  LibraryController(index::LessonIndex& index, storage::DirectoryStore& directory,
                    storage::QueryLog& queries, Clock& clock)
      : index_(index), directory_(directory), queries_(queries), clock_(clock) {}

  absl::StatusOr<retro::v1::SearchLessonsResponse> SearchLessons(
      const Caller& caller, const retro::v1::SearchLessonsRequest& request);
  absl::StatusOr<retro::v1::Lesson> GetLesson(const Caller& caller,
                                              const retro::v1::GetLessonRequest& request);
  absl::StatusOr<retro::v1::GetTrendsResponse> GetTrends(
      const Caller& caller, const retro::v1::GetTrendsRequest& request);
  absl::StatusOr<retro::v1::SuggestLessonsResponse> SuggestLessons(
      const Caller& caller, const retro::v1::SuggestLessonsRequest& request);
  absl::StatusOr<retro::v1::ListRecurringLessonsResponse> ListRecurringLessons(
      const Caller& caller, const retro::v1::ListRecurringLessonsRequest& request);
  absl::StatusOr<retro::v1::GetSearchInsightsResponse> GetSearchInsights(
      const Caller& caller, const retro::v1::GetSearchInsightsRequest& request);
  // Calls emit with batches of lessons until it returns false.
  absl::Status ExportLessons(const Caller& caller, const retro::v1::ExportLessonsRequest& request,
                             const std::function<bool(std::vector<retro::v1::Lesson>&&)>& emit);

 private:
  absl::Status CheckFilter(const Caller& caller, const retro::v1::LessonFilter& filter);
  // Days since 1970-01-01, by the injected clock (UTC).
  int32_t Today();

  index::LessonIndex& index_;
  storage::DirectoryStore& directory_;
  storage::QueryLog& queries_;
  Clock& clock_;
};

// The index's view of a caller.
index::Viewer ViewerOf(const Caller& caller);

}  // namespace retro::core
