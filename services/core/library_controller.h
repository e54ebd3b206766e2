// LibraryController: the enablement library's rules over the LessonIndex:
// request validation, visibility (TEAM lessons only for the team, its
// presenter and facilitators, and ADMIN/ENABLEMENT users) and paging.
// Thread-safe; references are borrowed and must outlive it.
#pragma once

#include "absl/status/statusor.h"
#include "retro/v1/library_service.pb.h"
#include "services/core/caller.h"
#include "storage/directory_store.h"
#include "storage/index/lesson_index.h"

namespace retro::core {

inline constexpr size_t kMaxQueryBytes = 1000;

class LibraryController {
 public:
  LibraryController(index::LessonIndex& index, storage::DirectoryStore& directory)
      : index_(index), directory_(directory) {}

  absl::StatusOr<retro::v1::SearchLessonsResponse> SearchLessons(
      const Caller& caller, const retro::v1::SearchLessonsRequest& request);
  absl::StatusOr<retro::v1::Lesson> GetLesson(const Caller& caller,
                                              const retro::v1::GetLessonRequest& request);

 private:
  absl::Status CheckFilter(const Caller& caller, const retro::v1::LessonFilter& filter);

  index::LessonIndex& index_;
  storage::DirectoryStore& directory_;
};

// The index's view of a caller.
index::Viewer ViewerOf(const Caller& caller);

}  // namespace retro::core
