// KvEventLog: the embedded EventLog, in the local Database.
//
// Events live in the "events" column family under big-endian sequence keys;
// the state writes go to their own column families in the same batch.
// Thread-safe.
#pragma once

#include <atomic>

#include "storage/database.h"
#include "storage/event_log.h"
#include "storage/index/lesson_index.h"

namespace retro::storage {

class KvEventLog final : public EventLog {
 public:
  // database and index are borrowed and must outlive the log; lessons in
  // SessionWrites go into index (required when any are written).
  explicit KvEventLog(Database& database, index::LessonIndex* index = nullptr)
      : database_(database), index_(index) {}

  absl::Status Append(const SessionRef& session, uint64_t expected_last_sequence,
                      const std::vector<retro::v1::SessionEvent>& events,
                      const SessionWrites& writes) override;
  absl::StatusOr<std::vector<retro::v1::SessionEvent>> Read(const SessionRef& session,
                                                            uint64_t after_sequence,
                                                            size_t max_events) override;
  absl::StatusOr<uint64_t> LastSequence(const SessionRef& session) override;
  void SetFollower(EventFollower* follower) override { follower_.store(follower); }

 private:
  Database& database_;
  index::LessonIndex* const index_;
  std::atomic<EventFollower*> follower_{nullptr};
};

}  // namespace retro::storage
