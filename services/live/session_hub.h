// SessionHub: in-process fan-out of a session's new events to its watchers.
//
// The hub knows neither gRPC nor RocksDB: it moves already-encoded event
// bytes. Each event is encoded once per audience (everyone, and its author
// when the author sees more) and the same bytes are shared by every
// watcher's queue. Each watcher has a bounded queue; a watcher that falls
// too far behind is marked overflowed and woken, so its stream can end with
// RESOURCE_EXHAUSTED; it never slows the publisher or the others.
//
// The hub also keeps the last few events of each session, so that a
// watcher that has replayed the log up to sequence N can join without a
// gap even if events after N were published meanwhile.
//
// Waking a watcher's stream is most of a publish's cost (it starts the
// stream's write). A hub made with wake shares queues the events in order
// on the publisher's thread, as always, and hands the wake-ups of a large
// session over in shares, to a WakeRunner or to threads of its own (one
// share a thread): the publisher (a session's writer) goes on to its next
// synced write instead of waiting while a thousand streams start theirs.
// The server's runner puts the shares on gRPC's own threads
// (services/api/grpc_executor.h). A stream woken late takes every event
// queued by then, in one batch. A session's writer publishes with
// Pace::kAfterPreviousWakeUps: its next publish waits until the previous
// one's wake-ups have run, so a session written faster than its watchers
// can be woken slows to their pace (its writes queue up and go in larger
// batches, as they did when it woke them itself) rather than piling up
// wake-ups and small writes.
//
// Thread-safe. Wake-ups are called with no hub lock held. The locks are
// std::mutex, not absl::Mutex: Debian's Abseil is not built for
// ThreadSanitizer, which then cannot see absl::Mutex's ordering, and the hub
// is what the ThreadSanitizer build checks (deploy/dev/sanitize.sh).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "services/common/thread_pool.h"

namespace retro::live {

// One event of a session's log, encoded for its audiences.
struct LiveEvent {
  uint64_t sequence = 0;
  // What everyone sees; null when the event is for its author only.
  std::shared_ptr<const std::string> public_bytes;
  // What author_id sees when it differs from public_bytes; else null.
  std::string author_id;
  std::shared_ptr<const std::string> author_bytes;
  // The event may change who may see the session (visibility, team,
  // facilitators): watchers check their access again.
  bool recheck_access = false;
};

struct WatcherLimits {
  size_t max_events = 4096;
  size_t max_bytes = 8 << 20;
};

// A watcher's place in a session: its queue and its state. Shared by the
// hub and the stream that drains it.
class Subscription {
 public:
  // Events at or below floor (the watcher has them already) are skipped.
  Subscription(std::string viewer_id, uint64_t floor, WatcherLimits limits,
               std::function<void()> wake)
      : viewer_id_(std::move(viewer_id)), floor_(floor), limits_(limits), wake_(std::move(wake)) {}

  // What Take hands the stream: queued events, oldest first.
  struct Taken {
    std::vector<std::shared_ptr<const std::string>> events;
    size_t bytes = 0;
    // The first event may change who may watch (a session change): the
    // stream must check the viewer's access again before sending any of
    // them. A batch never holds such an event after its first, so one check
    // covers the batch.
    bool recheck_access = false;
  };
  // Takes up to max_events queued events (and at least one, if any, even
  // when it alone is over max_bytes), stopping before max_bytes would be
  // passed and before a second access-changing event. Empty when nothing
  // is queued.
  Taken Take(size_t max_events, size_t max_bytes);
  // True once the queue overflowed; the stream should end.
  bool overflowed() const;
  // True once the hub closed (server shutting down); the stream should end.
  bool closed() const;
  const std::string& viewer_id() const { return viewer_id_; }

 private:
  friend class SessionHub;
  // Queues the bytes; returns true when the stream should be woken (queue
  // was empty, or it just overflowed).
  bool Push(uint64_t sequence, std::shared_ptr<const std::string> bytes, bool recheck = false);
  void Wake() { wake_(); }

  const std::string viewer_id_;
  const uint64_t floor_;
  const WatcherLimits limits_;
  const std::function<void()> wake_;
  struct Queued {
    std::shared_ptr<const std::string> bytes;
    bool recheck_access = false;
  };
  mutable std::mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class SessionHub {
 public:
  // Runs one share of a large session's wake-ups, exactly once, soon, and
  // not before it returns (never on the calling thread meanwhile). Whatever
  // it runs on must not wait for a session's writer.
  using WakeRunner = std::function<void(std::function<void()> share)>;

  // wake_shares 0: every wake-up runs on the publisher's thread, before
  // Publish returns. Otherwise a large session's wake-ups go in that many
  // shares to run_share or, when it is empty, to as many threads of the
  // hub's own.
  explicit SessionHub(size_t recent_events_kept = 512, WatcherLimits limits = {},
                      int wake_shares = 0, WakeRunner run_share = nullptr);
  // Waits for the shares handed over and not yet run (the runner must
  // still run them), then joins the wake threads.
  ~SessionHub();

  SessionHub(const SessionHub&) = delete;
  SessionHub& operator=(const SessionHub&) = delete;

  // A publish that wakes at most this many streams wakes them itself: a
  // hand-off would cost more than it saves.
  static constexpr size_t kMaxInlineWakes = 16;

  // How a publish waits for the shares of wake-ups handed over.
  enum class Pace {
    // Returns once the events are queued.
    kDontWait,
    // Queues the events, then waits until the session's previous wake-ups
    // have all run (even when it has none of its own to hand over) before
    // it wakes or hands over its own and returns: for a session's writer
    // (see above), whose replies wait too. Never waits inside a share.
    // Whatever a wake-up runs (the stream's access check among it) must
    // therefore never wait for a session's writer or its lock.
    kAfterPreviousWakeUps,
  };
  // Delivers events of one session, in sequence order, to its watchers.
  // Events at or below what the hub has seen for the session are ignored.
  // The events are queued for every watcher before it returns; with wake
  // threads, the watchers of a large session may be woken after.
  void Publish(const std::string& session_key, const std::vector<LiveEvent>& events,
               Pace pace = Pace::kDontWait);

  // Result of Subscribe.
  struct Joined {
    // Set when the watcher joined; it receives every event after the
    // sequence it gave.
    std::shared_ptr<Subscription> subscription;
    // When not joined: the watcher must first catch up to this sequence
    // from the log, then try again.
    uint64_t catch_up_to = 0;
    int watchers = 0;
  };
  // Joins viewer_id to the session's live events after after_sequence (the
  // last sequence the watcher already has). wake is called, without hub
  // locks, whenever the subscription has something new to take. A publish
  // already under way may still call it after Unsubscribe returns, so wake
  // must own (or weakly reference) whatever it touches.
  Joined Subscribe(const std::string& session_key, uint64_t after_sequence,
                   const std::string& viewer_id, std::function<void()> wake);
  // Removes the subscription; returns the number of watchers left.
  int Unsubscribe(const std::string& session_key, const Subscription* subscription);

  int WatcherCount(const std::string& session_key) const;

  // Closes every subscription and wakes its stream (server shutdown). A
  // watcher that subscribes afterwards (it was still replaying the log) gets
  // a subscription that is already closed, so shutdown never waits on it.
  void CloseAll();

 private:
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  // A session's shares of wake-ups handed over and not yet run.
  struct PendingWakes {
    std::mutex mu;
    std::condition_variable none;
    int shares ABSL_GUARDED_BY(mu) = 0;
  };
  struct Channel {
    uint64_t last_sequence = 0;
    std::deque<LiveEvent> recent;
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    std::shared_ptr<PendingWakes> pending = std::make_shared<PendingWakes>();
  };
  static std::shared_ptr<const std::string> BytesFor(const LiveEvent& event,
                                                     const std::string& viewer_id);

  using WakeList = std::vector<std::shared_ptr<Subscription>>;
  // Wakes them here, or hands them over in shares.
  void Wake(WakeList to_wake, const std::shared_ptr<PendingWakes>& pending, Pace pace);

  const size_t recent_kept_;
  const WatcherLimits limits_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Channel> channels_ ABSL_GUARDED_BY(mu_);

  const int wake_shares_;
  // The hub's own wake threads; null when made with a WakeRunner or none.
  std::unique_ptr<ThreadPool> wake_pool_;
  WakeRunner run_share_;  // Empty when wake_shares_ is 0.
  // Shares handed to run_share_ and not yet run: the destructor waits for
  // them, as they may publish to the hub.
  std::mutex shares_mu_;
  std::condition_variable no_shares_;
  int shares_out_ ABSL_GUARDED_BY(shares_mu_) = 0;
};

}  // namespace retro::live
