// WritePipeline: orders writes that are built one at a time, under the
// caller's lock, but written afterwards without it, so that the next write
// is built while the one before it syncs. Each write begins (takes the
// next ticket) while it is built, and is written in its turn: after every
// write that began before it is done. A write built while earlier ones
// were in flight may hold what they put; so when a write fails, every
// write that began before the failure and is not done yet fails too, in
// its turn, without writing. Thread-safe (guarded by mu_).
//
//   WritePipeline::Begun begun = pipeline.Begin();  // under the build lock
//   ... build, release the lock ...
//   if (!pipeline.AwaitTurn(begun.ticket)) -> fail: built on a failed write
//   pipeline.Done(begun.ticket, /*failed=*/!Write(batch).ok());
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace retro::index {

class WritePipeline {
 public:
  struct Begun {
    uint64_t ticket = 0;
    // Every write with a lower ticket is done (written, failed or passed).
    uint64_t done_below = 0;
    // Failed writes so far: when it changed since the caller's last build,
    // what that build kept of the writes in flight was built on a failure.
    uint64_t failures = 0;
  };

  Begun Begin();
  // done_below and failures as they are now (ticket unset).
  Begun Progress();
  // Blocks until every write with a lower ticket is done. False when this
  // write began while one it may be built on was in flight and then
  // failed: it must not be written. Call Done(ticket) either way.
  bool AwaitTurn(uint64_t ticket);
  // Ends the turn of ticket, whose write failed (or, not failed: was
  // written, or was not to be written). Only in its turn, after AwaitTurn.
  void Done(uint64_t ticket, bool failed);
  // Blocks until every write that began is done.
  void Drain();

 private:
  // std::mutex, not absl::Mutex: Debian's Abseil is not built for
  // ThreadSanitizer, which then could not check this class (see
  // services/live/session_hub.h).
  std::mutex mu_;
  std::condition_variable turn_;  // Notified when a turn ends.
  uint64_t next_ticket_ = 0;
  uint64_t done_below_ = 0;
  // Writes below this that are not done yet were built on one that failed.
  uint64_t poisoned_below_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace retro::index
