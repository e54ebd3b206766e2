// SessionStore: reads of sessions and what they own (annotations, action
// items, votes). Writes go through the EventLog, so that
// every change is an event. Thread-safe; reads see only durable writes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "retro/v1/resources.pb.h"
#include "storage/database.h"
#include "storage/event_log.h"

namespace retro::storage {

class SessionStore {
 public:
  // database is borrowed and must outlive the store.
  explicit SessionStore(Database& database) : database_(database) {}

  // The stored session (last_sequence not filled in), if it exists.
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Session>> GetSession(const SessionRef& ref);
  // Sessions of an organization in id order, after after_id, until visit
  // returns false.
  [[nodiscard]] absl::Status ScanSessions(const std::string& org_id, const std::string& after_id,
                                          const std::function<bool(retro::v1::Session&&)>& visit);

  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Annotation>> GetAnnotation(
      const SessionRef& ref, const std::string& annotation_id);
  [[nodiscard]] absl::Status ScanAnnotations(
      const SessionRef& ref, const std::string& after_id,
      const std::function<bool(retro::v1::Annotation&&)>& visit);

  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::ActionItem>> GetActionItem(
      const SessionRef& ref, const std::string& item_id);
  [[nodiscard]] absl::Status ScanActionItems(
      const SessionRef& ref, const std::string& after_id,
      const std::function<bool(retro::v1::ActionItem&&)>& visit);

  // All (annotation id, user id) votes of a session.
  [[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListVotes(
      const SessionRef& ref);

 private:
  Database& database_;
};

}  // namespace retro::storage
