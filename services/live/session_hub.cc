#include "services/live/session_hub.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace retro::live {

Subscription::Taken Subscription::Take(size_t max_events, size_t max_bytes) {
  Taken taken;
  std::lock_guard<std::mutex> lock(mu_);
  while (!queue_.empty() && taken.events.size() < max_events) {
    Queued& next = queue_.front();
    if (!taken.events.empty() &&
        (next.recheck_access || taken.bytes + next.bytes->size() > max_bytes)) {
      break;
    }
    if (taken.events.empty()) taken.recheck_access = next.recheck_access;
    taken.bytes += next.bytes->size();
    taken.events.push_back(std::move(next.bytes));
    queue_.pop_front();
  }
  queued_bytes_ -= taken.bytes;
  return taken;
}

bool Subscription::overflowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflowed_;
}

bool Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool Subscription::Push(uint64_t sequence, std::shared_ptr<const std::string> bytes, bool recheck) {
  std::lock_guard<std::mutex> lock(mu_);
  if (overflowed_) return false;
  if (sequence != 0 && sequence <= floor_) return false;  // Already replayed.
  if (queue_.size() + 1 > limits_.max_events || queued_bytes_ + bytes->size() > limits_.max_bytes) {
    overflowed_ = true;
    queue_.clear();  // The stream ends; free the memory now.
    queued_bytes_ = 0;
    return true;
  }
  bool was_empty = queue_.empty();
  queued_bytes_ += bytes->size();
  queue_.push_back({std::move(bytes), recheck});
  return was_empty;
}

std::shared_ptr<const std::string> SessionHub::BytesFor(const LiveEvent& event,
                                                        const std::string& viewer_id) {
  if (event.author_bytes != nullptr && !event.author_id.empty() && viewer_id == event.author_id) {
    return event.author_bytes;
  }
  return event.public_bytes;
}

void SessionHub::Publish(const std::string& session_key, const std::vector<LiveEvent>& events,
                         Pace pace) {
  std::vector<std::shared_ptr<Subscription>> to_wake;
  std::shared_ptr<PendingWakes> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Channel& channel = channels_[session_key];
    pending = channel.pending;
    for (const LiveEvent& event : events) {
      if (event.sequence != 0) {
        if (event.sequence <= channel.last_sequence) continue;
        channel.last_sequence = event.sequence;
        channel.recent.push_back(event);
        while (channel.recent.size() > recent_kept_) channel.recent.pop_front();
      }
      for (const std::shared_ptr<Subscription>& subscription : channel.subscriptions) {
        std::shared_ptr<const std::string> bytes = BytesFor(event, subscription->viewer_id());
        if (bytes == nullptr) continue;
        if (subscription->Push(event.sequence, std::move(bytes), event.recheck_access)) {
          to_wake.push_back(subscription);
        }
      }
    }
    if (channel.subscriptions.empty()) channel.recent.clear();  // Nobody to catch up.
  }
  if (events.size() > 1) {
    // A watcher is listed again when its queue was emptied between two of
    // the events (its stream took them) or a later one overflowed it. Drop
    // the repeats, keeping the order in which watchers joined, roughly.
    absl::flat_hash_set<const Subscription*> seen;
    to_wake.erase(std::remove_if(to_wake.begin(), to_wake.end(),
                                 [&](const std::shared_ptr<Subscription>& subscription) {
                                   return !seen.insert(subscription.get()).second;
                                 }),
                  to_wake.end());
  }
  Wake(std::move(to_wake), pending, pace);
}

SessionHub::SessionHub(size_t recent_events_kept, WatcherLimits limits, int wake_shares,
                       WakeRunner run_share)
    : recent_kept_(recent_events_kept), limits_(limits), wake_shares_(std::max(0, wake_shares)) {
  if (wake_shares_ == 0) return;
  if (run_share == nullptr) {
    wake_pool_ = std::make_unique<ThreadPool>(wake_shares_);
    run_share = [pool = wake_pool_.get()](std::function<void()> share) {
      pool->Schedule(std::move(share));
    };
  }
  run_share_ = std::move(run_share);
}

SessionHub::~SessionHub() {
  {
    std::unique_lock<std::mutex> lock(shares_mu_);
    no_shares_.wait(lock, [this] { return shares_out_ == 0; });
  }
  wake_pool_.reset();
}

namespace {
// Set while a share of wake-ups runs: a publish made from a wake-up wakes
// its watchers itself, and never waits for the share it runs in (none does
// today; this keeps one from deadlocking).
thread_local bool on_wake_thread = false;
}  // namespace

void SessionHub::Wake(WakeList to_wake, const std::shared_ptr<PendingWakes>& pending, Pace pace) {
  const bool wait = pace == Pace::kAfterPreviousWakeUps && !on_wake_thread;
  const bool hand_over =
      run_share_ != nullptr && to_wake.size() > kMaxInlineWakes && !on_wake_thread;
  // Shares of at least kMaxInlineWakes (the last may be smaller), one a
  // thread, so all of them start streams at once.
  const size_t shares = static_cast<size_t>(std::max(1, wake_shares_));
  const size_t share = std::max(kMaxInlineWakes, (to_wake.size() + shares - 1) / shares);
  const int share_count = static_cast<int>((to_wake.size() + share - 1) / share);
  if (wait || hand_over) {
    std::unique_lock<std::mutex> lock(pending->mu);
    // Even with nothing to hand over: the session may have been larger a
    // moment ago.
    if (wait) pending->none.wait(lock, [&] { return pending->shares == 0; });
    if (hand_over) pending->shares += share_count;
  }
  if (!hand_over) {
    for (const std::shared_ptr<Subscription>& subscription : to_wake) subscription->Wake();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(shares_mu_);
    shares_out_ += share_count;
  }
  for (size_t begin = 0; begin < to_wake.size(); begin += share) {
    const size_t end = std::min(to_wake.size(), begin + share);
    run_share_([this,
                subscriptions = WakeList(std::make_move_iterator(to_wake.begin() + begin),
                                         std::make_move_iterator(to_wake.begin() + end)),
                pending] {
      on_wake_thread = true;
      for (const std::shared_ptr<Subscription>& subscription : subscriptions) {
        subscription->Wake();
      }
      on_wake_thread = false;
      {
        std::lock_guard<std::mutex> lock(pending->mu);
        if (--pending->shares == 0) pending->none.notify_all();
      }
      std::lock_guard<std::mutex> lock(shares_mu_);
      if (--shares_out_ == 0) no_shares_.notify_all();
    });
  }
}

SessionHub::Joined SessionHub::Subscribe(const std::string& session_key, uint64_t after_sequence,
                                         const std::string& viewer_id, std::function<void()> wake) {
  Joined joined;
  bool wake_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Channel& channel = channels_[session_key];
    if (after_sequence < channel.last_sequence) {
      // The watcher misses events; the recent ones must cover the gap.
      bool covered =
          !channel.recent.empty() && channel.recent.front().sequence <= after_sequence + 1;
      if (!covered) {
        joined.catch_up_to = channel.last_sequence;
        return joined;
      }
    }
    // When the watcher read the log further than the hub has published, the
    // rest is published soon; the subscription's floor skips what it has,
    // while the other watchers still get every event.
    auto subscription =
        std::make_shared<Subscription>(viewer_id, after_sequence, limits_, std::move(wake));
    for (const LiveEvent& event : channel.recent) {
      if (event.sequence <= after_sequence) continue;
      std::shared_ptr<const std::string> bytes = BytesFor(event, viewer_id);
      // A session change among them may shut this viewer out: ask again
      // before the first of them goes out.
      if (bytes != nullptr) {
        wake_now |= subscription->Push(event.sequence, std::move(bytes), event.recheck_access);
      }
    }
    if (closed_) {
      std::lock_guard<std::mutex> subscription_lock(subscription->mu_);
      subscription->closed_ = true;
      wake_now = true;
    }
    channel.subscriptions.push_back(subscription);
    joined.subscription = std::move(subscription);
    joined.watchers = static_cast<int>(channel.subscriptions.size());
  }
  if (wake_now) joined.subscription->Wake();
  return joined;
}

int SessionHub::Unsubscribe(const std::string& session_key, const Subscription* subscription) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(session_key);
  if (it == channels_.end()) return 0;
  auto& subscriptions = it->second.subscriptions;
  subscriptions.erase(std::remove_if(subscriptions.begin(), subscriptions.end(),
                                     [&](const std::shared_ptr<Subscription>& s) {
                                       return s.get() == subscription;
                                     }),
                      subscriptions.end());
  if (subscriptions.empty()) it->second.recent.clear();
  return static_cast<int>(subscriptions.size());
}

int SessionHub::WatcherCount(const std::string& session_key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(session_key);
  return it == channels_.end() ? 0 : static_cast<int>(it->second.subscriptions.size());
}

void SessionHub::CloseAll() {
  std::vector<std::shared_ptr<Subscription>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    for (auto& [key, channel] : channels_) {
      for (auto& subscription : channel.subscriptions) all.push_back(subscription);
    }
  }
  for (auto& subscription : all) {
    {
      std::lock_guard<std::mutex> lock(subscription->mu_);
      subscription->closed_ = true;
    }
    subscription->Wake();
  }
}

}  // namespace retro::live
