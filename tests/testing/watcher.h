// Watcher: a WatchSession (or WatchSessionBatches) stream read on its own
// thread, collecting the log events (sequence > 0) it receives, for tests
// to wait on. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "retro/v1/session_service.grpc.pb.h"

namespace retro::testing {

// Which of the two watch methods a Watcher calls.
enum class WatchRpc { kEvents, kBatches };

class Watcher {
 public:
  // Starts reading at once unless start_paused; a paused watcher reads
  // nothing until Resume (a stalled client).
  Watcher(std::shared_ptr<grpc::Channel> channel, const std::string& token,
          const std::string& session, uint64_t after_sequence, bool start_paused = false,
          absl::Duration deadline = absl::Seconds(60))
      : Watcher(WatchRpc::kEvents, std::move(channel), token, session, after_sequence, start_paused,
                deadline) {}
  // The same on the method `rpc`.
  Watcher(WatchRpc rpc, std::shared_ptr<grpc::Channel> channel, const std::string& token,
          const std::string& session, uint64_t after_sequence, bool start_paused = false,
          absl::Duration deadline = absl::Seconds(60));
  ~Watcher();

  void Resume();
  void Cancel();
  // Waits until `count` events arrived or the stream ended; false on timeout.
  bool WaitForEvents(size_t count, absl::Duration timeout = absl::Seconds(20));
  // Waits for the stream's status; false on timeout.
  bool WaitForEnd(absl::Duration timeout = absl::Seconds(20));

  std::vector<retro::v1::SessionEvent> events() const;
  std::vector<uint64_t> sequences() const;
  uint64_t last_sequence() const;
  int presence_events() const;
  // Messages read that held log events: one an event for WatchSession, one
  // a batch for WatchSessionBatches.
  int event_messages() const;
  // Until a presence event says at least `count` watch (false after 20 s).
  bool WaitForWatchers(int count);
  // Until a presence event says at most `count` watch (false after timeout).
  bool WaitForWatchersAtMost(int count, absl::Duration timeout = absl::Seconds(20));
  bool ended() const;
  grpc::Status status() const;

 private:
  void Run();
  template <typename Message>
  void Read(grpc::ClientReader<Message>& reader, const std::function<void(const Message&)>& each);
  // Takes one event from the stream, under mu_.
  void Collect(const retro::v1::SessionEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  grpc::ClientContext context_;
  std::unique_ptr<retro::v1::SessionService::Stub> stub_;
  retro::v1::WatchSessionRequest request_;
  const WatchRpc rpc_;
  mutable absl::Mutex mu_;
  int event_messages_ ABSL_GUARDED_BY(mu_) = 0;
  bool paused_ ABSL_GUARDED_BY(mu_);
  std::vector<retro::v1::SessionEvent> events_ ABSL_GUARDED_BY(mu_);
  int presence_ ABSL_GUARDED_BY(mu_) = 0;
  int watchers_ ABSL_GUARDED_BY(mu_) = 0;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace retro::testing
