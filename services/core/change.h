// SessionController::Change: the events and state one request produces,
// built under the session's lock and committed as one durable append.
// Internal to services/core. Not thread-safe.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/common/time_util.h"
#include "services/core/session_controller.h"

namespace retro::core {

// Runs an asynchronous operation and waits for its reply.
template <typename Reply>
absl::StatusOr<Reply> AwaitReply(const std::function<void(SessionController::Done<Reply>)>& start) {
  // Owned by the callback too: the waiter may return while the writer
  // thread is still inside set_value.
  auto promise = std::make_shared<std::promise<absl::StatusOr<Reply>>>();
  std::future<absl::StatusOr<Reply>> reply = promise->get_future();
  start([promise](absl::StatusOr<Reply> result) { promise->set_value(std::move(result)); });
  return reply.get();
}

class SessionController::Change {
 public:
  // store is read through slot.pending, the batch's unwritten changes.
  Change(storage::SessionRef ref, retro::v1::Session session, absl::Time now, Slot& slot,
         storage::SessionStore& store)
      : ref_(std::move(ref)),
        session_(std::move(session)),
        last_sequence_(session_.last_sequence()),
        now_(now),
        slot_(slot),
        store_(store) {}

  // Reads of the session's resources as they stand after the earlier
  // requests of the batch. Call with slot().mu held.
  absl::StatusOr<std::optional<retro::v1::Annotation>> GetAnnotation(const std::string& id);
  absl::StatusOr<std::optional<retro::v1::ActionItem>> GetActionItem(const std::string& id);
  // Stored annotations in id order, each replaced by its pending version,
  // then those the batch added.
  absl::Status ScanAnnotations(const std::function<bool(retro::v1::Annotation&&)>& visit);

  const storage::SessionRef& ref() const { return ref_; }
  // The session as changed so far; call EmitSession() to record a change.
  retro::v1::Session& session() { return session_; }
  absl::Time now() const { return now_; }
  Slot& slot() { return slot_; }
  uint64_t last_sequence() const { return last_sequence_; }

  // Record the resource's new state as the next event; each stamps the
  // resource's etag (its event's sequence) and update time.
  void EmitSession();
  void EmitAnnotation(retro::v1::Annotation& annotation);
  void EmitActionItem(retro::v1::ActionItem& item);

  std::vector<retro::v1::SessionEvent>& events() { return events_; }
  storage::SessionWrites& writes() { return writes_; }

 private:
  retro::v1::SessionEvent& NextEvent();

  storage::SessionRef ref_;
  retro::v1::Session session_;
  const uint64_t last_sequence_;  // Of the log before this change.
  const absl::Time now_;
  Slot& slot_;
  storage::SessionStore& store_;
  std::vector<retro::v1::SessionEvent> events_;
  storage::SessionWrites writes_;
};

}  // namespace retro::core
