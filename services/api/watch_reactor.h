// WatchReactor: one WatchSession or WatchSessionBatches stream, on gRPC's
// callback API (no thread per stream).
//
// It first replays the session's log after the client's after_sequence,
// page by page, then joins the SessionHub exactly where the replay ended
// (the hub's recent events close any gap), and from then on writes what
// the hub queues for it. One write is in flight at a time: WatchSession
// writes one event a message; WatchSessionBatches writes, as one
// SessionEventBatch, everything that waits when the previous write is done
// (up to kMaxBatchEvents or kMaxBatchBytes), so a watcher that falls behind
// costs fewer, larger writes instead of a longer queue. The stream ends
// with RESOURCE_EXHAUSTED when its queue overflows (the client resumes from
// the last sequence it saw), UNAVAILABLE on server shutdown, and is
// finished exactly once. The object holds a reference to itself until
// OnDone; hub wake-ups hold another while they run, so a wake-up racing the
// end of the stream never touches a deleted reactor.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/api/event_fanout.h"
#include "services/core/caller.h"
#include "services/live/session_hub.h"
#include "storage/event_log.h"

namespace retro::api {

class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  struct Deps {
    storage::EventLog& log;
    live::SessionHub& hub;
    EventFanout& fanout;
    Clock& clock;
    // OK while the caller may still watch the session (asked again after
    // every session change); the status otherwise ends the stream.
    std::function<absl::Status(const core::Caller&, const std::string& session_id)> check_access;
    // Whether the annotation is deleted now. Replay shows a deleted note's
    // earlier events without its text: moderation removes content from
    // history, not only from the latest state.
    std::function<absl::StatusOr<bool>(const storage::SessionRef&,
                                       const std::string& annotation_id)>
        annotation_deleted;
    // Called once as the stream finishes, with its full method name, how it
    // ends and how long it lasted (the access log); may be empty.
    std::function<void(const grpc::ServerContextBase& context, const std::string& method,
                       const grpc::Status& status, absl::Duration elapsed)>
        on_finish;
  };

  // How events go on the wire.
  enum class Framing {
    kEvent,  // WatchSession: a SessionEvent a message.
    kBatch,  // WatchSessionBatches: a SessionEventBatch of what waits.
  };
  static constexpr size_t kMaxBatchEvents = 256;
  static constexpr size_t kMaxBatchBytes = 1 << 20;

  // Starts a stream that ends at once with `status`.
  static WatchReactor* Failed(const Deps& deps, Framing framing,
                              grpc::CallbackServerContext* context, const grpc::Status& status);
  // Starts replaying and streaming for the caller, who may see the session.
  static WatchReactor* Start(Deps deps, Framing framing, grpc::CallbackServerContext* context,
                             core::Caller caller, storage::SessionRef ref, uint64_t after_sequence);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  struct Step {
    enum Kind { kIdle, kWrite, kFinish } kind = kIdle;
    // Serialized SessionEvents, in order: one, or a batch's.
    std::vector<std::shared_ptr<const std::string>> events;
    grpc::Status status;
  };

  WatchReactor(Deps deps, Framing framing, grpc::CallbackServerContext* context)
      : deps_(std::move(deps)), framing_(framing), context_(context), started_(absl::Now()) {}
  size_t max_events() const { return framing_ == Framing::kBatch ? kMaxBatchEvents : 1; }
  // The message for one write.
  grpc::ByteBuffer Encode(std::vector<std::shared_ptr<const std::string>> events) const;
  // Finish, after telling deps_.on_finish.
  void FinishWith(const grpc::Status& status);
  // Moves the stream forward: runs on gRPC's threads and the hub's
  // publishers; only one caller works at a time.
  void Pump();
  // What to do next; called only by the one pumping caller.
  Step NextStep();
  bool ReadReplayPage(grpc::Status* error);

  std::optional<Deps> deps_;
  const Framing framing_;
  grpc::CallbackServerContext* const context_;  // gRPC's, valid until OnDone.
  const absl::Time started_;
  core::Caller caller_;
  storage::SessionRef ref_;
  std::string hub_key_;
  std::shared_ptr<WatchReactor> self_;  // Released in OnDone.

  // Owned by the pumping caller.
  bool live_ = false;
  uint64_t replayed_to_ = 0;
  std::deque<std::shared_ptr<const std::string>> replay_queue_;
  std::shared_ptr<live::Subscription> subscription_;
  grpc::ByteBuffer buffer_;  // The write in flight.

  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool repump_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace retro::api
