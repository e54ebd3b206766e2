// EventLog: the ordered, durable log of a session's changes, and the state
// those changes leave behind, written together.
//
// This is the seam between retro's logic and its storage engine. The
// embedded implementation (KvEventLog) writes into the local RocksDB; a
// replicated log for multi-machine deployments is planned behind the same
// interface, so nothing above storage/ may assume RocksDB.
//
// Contract:
//  - Append writes the events (sequences expected_last_sequence + 1, +2, ...
//    without gaps) and the state writes atomically, and returns only once
//    they are durable. If the log's last sequence is not
//    expected_last_sequence, nothing is written and the result is ABORTED.
//  - After a successful Append the follower, if any, is told of the events,
//    before Append returns. Appends to one session must not run
//    concurrently (the caller serializes them); appends to different
//    sessions may.
//  - Read returns events after a sequence, in order.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "retro/v1/library_service.pb.h"
#include "retro/v1/resources.pb.h"

namespace retro::storage {

// Identifies one session of one organization.
struct SessionRef {
  std::string org_id;
  std::string session_id;
};

// A reply remembered under a request_id, written with the change it answers.
struct RequestWrite {
  std::string user_id;
  std::string method;
  std::string request_id;
  std::string response;  // Serialized reply message.
};

// The state a batch of events leaves behind.
struct SessionWrites {
  std::optional<retro::v1::Session> session;
  // Stored with the author even when anonymous: services strip it per viewer.
  std::vector<retro::v1::Annotation> annotations;
  std::vector<retro::v1::ActionItem> action_items;
  // (annotation id, user id) pairs.
  std::vector<std::pair<std::string, std::string>> votes_added;
  std::vector<std::pair<std::string, std::string>> votes_removed;
  std::vector<RequestWrite> requests;
  // Lessons entering the library (on publish), indexed in the same write;
  // their names are assigned by the index.
  std::vector<retro::v1::Lesson> lessons;
};

// Told of every durable append, in order per session.
class EventFollower {
 public:
  virtual ~EventFollower() = default;
  virtual void OnAppended(const SessionRef& session,
                          const std::vector<retro::v1::SessionEvent>& events) = 0;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  [[nodiscard]] virtual absl::Status Append(const SessionRef& session,
                                            uint64_t expected_last_sequence,
                                            const std::vector<retro::v1::SessionEvent>& events,
                                            const SessionWrites& writes) = 0;

  // At most max_events events with sequence > after_sequence, in order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<retro::v1::SessionEvent>> Read(
      const SessionRef& session, uint64_t after_sequence, size_t max_events) = 0;

  // 0 for a session with no events.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> LastSequence(const SessionRef& session) = 0;

  // Sets the follower told of appends; borrowed, must outlive the log or be
  // reset to nullptr first. Set before concurrent use.
  virtual void SetFollower(EventFollower* follower) = 0;
};

}  // namespace retro::storage
