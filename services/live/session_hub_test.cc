#include "services/live/session_hub.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace retro::live {
namespace {

LiveEvent Event(uint64_t sequence, const std::string& text) {
  LiveEvent event;
  event.sequence = sequence;
  event.public_bytes = std::make_shared<const std::string>(text);
  return event;
}

std::vector<std::string> Drain(Subscription& subscription) {
  std::vector<std::string> out;
  for (const auto& bytes : subscription.Take(SIZE_MAX, SIZE_MAX).events) out.push_back(*bytes);
  return out;
}

TEST(SessionHubTest, WatchersSeeTheSameOrderedEventsAndShareBytes) {
  SessionHub hub;
  std::atomic<int> wakes{0};
  auto a = hub.Subscribe("s", 0, "ann", [&] { ++wakes; });
  auto b = hub.Subscribe("s", 0, "bob", [&] { ++wakes; });
  ASSERT_TRUE(a.subscription && b.subscription);
  EXPECT_EQ(b.watchers, 2);
  std::vector<LiveEvent> events = {Event(1, "one"), Event(2, "two")};
  hub.Publish("s", events);
  hub.Publish("s", {Event(2, "two again"), Event(3, "three")});  // 2 is not repeated.
  EXPECT_EQ(Drain(*a.subscription), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(Drain(*b.subscription), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_GE(wakes.load(), 2);
}

std::vector<std::string> Texts(const Subscription::Taken& taken) {
  std::vector<std::string> out;
  for (const auto& bytes : taken.events) out.push_back(*bytes);
  return out;
}

TEST(SessionHubTest, TakeBatchesWhatWaitsWithinItsLimitsAndStopsAtASessionChange) {
  SessionHub hub;
  auto a = hub.Subscribe("s", 0, "ann", [] {});
  LiveEvent change = Event(4, "session");
  change.recheck_access = true;
  LiveEvent second_change = Event(6, "session again");
  second_change.recheck_access = true;
  hub.Publish("s", {Event(1, "one"), Event(2, "two"), Event(3, "three"), change, Event(5, "five"),
                    second_change, Event(7, "a long seven")});
  Subscription& sub = *a.subscription;
  // At most two events.
  Subscription::Taken taken = sub.Take(2, 1 << 20);
  EXPECT_EQ(Texts(taken), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(taken.bytes, 6u);
  EXPECT_FALSE(taken.recheck_access);
  // A session change is never behind another event in a batch: the access
  // check before sending covers the whole batch.
  taken = sub.Take(100, 1 << 20);
  EXPECT_EQ(Texts(taken), (std::vector<std::string>{"three"}));
  taken = sub.Take(100, 1 << 20);
  EXPECT_EQ(Texts(taken), (std::vector<std::string>{"session", "five"}));
  EXPECT_TRUE(taken.recheck_access);
  // An event over the byte limit still goes, alone.
  taken = sub.Take(100, 4);
  EXPECT_EQ(Texts(taken), (std::vector<std::string>{"session again"}));
  EXPECT_TRUE(taken.recheck_access);
  taken = sub.Take(100, 4);
  EXPECT_EQ(Texts(taken), (std::vector<std::string>{"a long seven"}));
  EXPECT_FALSE(taken.recheck_access);
  EXPECT_TRUE(sub.Take(100, 1 << 20).events.empty());
  // Byte limits stop a batch before it would pass them.
  hub.Publish("s", {Event(8, "12345"), Event(9, "12345"), Event(10, "12345")});
  EXPECT_EQ(sub.Take(100, 10).events.size(), 2u);
  EXPECT_EQ(sub.Take(100, 10).events.size(), 1u);
}

TEST(SessionHubTest, WhatABatchTookNoLongerCountsAgainstTheQueue) {
  SessionHub hub(512, WatcherLimits{/*max_events=*/3, /*max_bytes=*/1 << 20});
  auto a = hub.Subscribe("s", 0, "ann", [] {});
  hub.Publish("s", {Event(1, "one"), Event(2, "two"), Event(3, "three")});
  EXPECT_EQ(a.subscription->Take(100, 1 << 20).events.size(), 3u);
  hub.Publish("s", {Event(4, "four"), Event(5, "five"), Event(6, "six")});
  EXPECT_FALSE(a.subscription->overflowed());
  hub.Publish("s", {Event(7, "seven")});
  EXPECT_TRUE(a.subscription->overflowed());
}

TEST(SessionHubTest, AuthorOnlyEventsReachOnlyTheAuthor) {
  SessionHub hub;
  auto ann = hub.Subscribe("s", 0, "ann", [] {});
  auto bob = hub.Subscribe("s", 0, "bob", [] {});
  LiveEvent hidden;
  hidden.sequence = 1;
  hidden.author_id = "ann";
  hidden.author_bytes = std::make_shared<const std::string>("ann's private note");
  hub.Publish("s", {hidden, Event(2, "public")});
  EXPECT_EQ(Drain(*ann.subscription), (std::vector<std::string>{"ann's private note", "public"}));
  EXPECT_EQ(Drain(*bob.subscription), (std::vector<std::string>{"public"}));
}

TEST(SessionHubTest, LateJoinerCatchesUpFromRecentOrIsSentToTheLog) {
  SessionHub hub(/*recent_events_kept=*/2);
  auto first = hub.Subscribe("s", 0, "ann", [] {});
  hub.Publish("s", {Event(1, "one"), Event(2, "two"), Event(3, "three")});
  // Has 1: the hub kept only 2 and 3, so 2.. is covered.
  auto covered = hub.Subscribe("s", 1, "bob", [] {});
  ASSERT_TRUE(covered.subscription);
  EXPECT_EQ(Drain(*covered.subscription), (std::vector<std::string>{"two", "three"}));
  // Has nothing: must read the log up to 3 first.
  auto behind = hub.Subscribe("s", 0, "cat", [] {});
  EXPECT_FALSE(behind.subscription);
  EXPECT_EQ(behind.catch_up_to, 3u);
}

TEST(SessionHubTest, WatcherThatFallsBehindOverflowsAloneAndIsWoken) {
  WatcherLimits limits;
  limits.max_events = 3;
  SessionHub hub(16, limits);
  std::atomic<int> slow_wakes{0};
  auto slow = hub.Subscribe("s", 0, "slow", [&] { ++slow_wakes; });
  auto fast = hub.Subscribe("s", 0, "fast", [] {});
  for (uint64_t i = 1; i <= 5; ++i) {
    hub.Publish("s", {Event(i, std::to_string(i))});
    Drain(*fast.subscription);  // The fast watcher keeps up.
  }
  EXPECT_TRUE(slow.subscription->overflowed());
  EXPECT_FALSE(fast.subscription->overflowed());
  EXPECT_TRUE(slow.subscription->Take(1, SIZE_MAX).events.empty());  // Memory released.
  EXPECT_GE(slow_wakes.load(), 2);
  EXPECT_EQ(hub.Unsubscribe("s", slow.subscription.get()), 1);
}

TEST(SessionHubTest, AWatcherThatReadTheLogAheadOfTheHubCostsOthersNothing) {
  SessionHub hub;
  auto early = hub.Subscribe("s", 0, "ann", [] {});
  hub.Publish("s", {Event(1, "one")});
  // Event 2 is durable and read from the log by a newcomer before the hub
  // publishes it.
  auto ahead = hub.Subscribe("s", 2, "bob", [] {});
  ASSERT_TRUE(ahead.subscription);
  hub.Publish("s", {Event(2, "two"), Event(3, "three")});
  EXPECT_EQ(Drain(*early.subscription), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(Drain(*ahead.subscription), (std::vector<std::string>{"three"}));
}

TEST(SessionHubTest, CloseAllEndsWatchersAndThoseWhoJoinAfterIt) {
  SessionHub hub;
  std::atomic<int> wakes{0};
  auto before = hub.Subscribe("s", 0, "ann", [&] { ++wakes; });
  hub.CloseAll();
  EXPECT_TRUE(before.subscription->closed());
  // A watcher that was still replaying the log when shutdown began.
  auto after = hub.Subscribe("t", 0, "bob", [&] { ++wakes; });
  ASSERT_TRUE(after.subscription);
  EXPECT_TRUE(after.subscription->closed());
  EXPECT_GE(wakes.load(), 2);
}

TEST(SessionHubTest, WakeThreadsWakeALargeSessionAfterItsEventsAreQueued) {
  constexpr int kWatchers = 100;  // Over kMaxInlineWakes: handed to the threads.
  static_assert(kWatchers > SessionHub::kMaxInlineWakes);
  auto wakes = std::make_shared<std::atomic<int>>(0);
  auto woken_here = std::make_shared<std::atomic<int>>(0);
  const std::thread::id publisher = std::this_thread::get_id();
  std::vector<SessionHub::Joined> joined;
  {
    SessionHub hub(/*recent_events_kept=*/8, WatcherLimits(), /*wake_shares=*/2);
    for (int w = 0; w < kWatchers; ++w) {
      joined.push_back(
          hub.Subscribe("s", 0, "viewer" + std::to_string(w), [wakes, woken_here, publisher] {
            if (std::this_thread::get_id() == publisher) ++*woken_here;
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            ++*wakes;
          }));
    }
    hub.Publish("s", {Event(1, "one"), Event(2, "two")});
    // Queued for everyone before Publish returned, woken or not.
    for (const SessionHub::Joined& j : joined) {
      EXPECT_EQ(Drain(*j.subscription), (std::vector<std::string>{"one", "two"}));
    }
    // A wake-up still under way when the hub goes runs first (below).
    hub.Publish("s", {Event(3, "three")});
  }
  // Each watcher woken once a publish (its queue was empty both times), and
  // none on the publisher's thread.
  EXPECT_EQ(wakes->load(), 2 * kWatchers);
  EXPECT_EQ(woken_here->load(), 0);
  for (const SessionHub::Joined& j : joined) {
    EXPECT_EQ(Drain(*j.subscription), (std::vector<std::string>{"three"}));
  }
}

TEST(SessionHubTest, WakeThreadsLeaveASmallSessionsWakeUpsToThePublisher) {
  SessionHub hub(/*recent_events_kept=*/8, WatcherLimits(), /*wake_shares=*/1);
  std::atomic<int> wakes{0};
  std::vector<SessionHub::Joined> joined;
  for (size_t w = 0; w < SessionHub::kMaxInlineWakes; ++w) {
    joined.push_back(hub.Subscribe("s", 0, "viewer" + std::to_string(w), [&] { ++wakes; }));
  }
  hub.Publish("s", {Event(1, "one")});
  // Woken before Publish returned, on this thread.
  EXPECT_EQ(wakes.load(), static_cast<int>(SessionHub::kMaxInlineWakes));
}

// Wake-ups that wait until the test lets them go.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    open_cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    open_cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable open_cv_;
  bool open_ = false;
};

// The server hands a large session's wake-ups to gRPC's threads through a
// WakeRunner: the hub gives it the shares, and waits for them on its way
// out, since a share may still publish to it.
TEST(SessionHubTest, AWakeRunnerGetsALargeSessionsSharesAndTheHubWaitsForThem) {
  constexpr int kWatchers = 100;
  static_assert(kWatchers > SessionHub::kMaxInlineWakes);
  auto wakes = std::make_shared<std::atomic<int>>(0);
  std::mutex shares_mu;
  std::vector<std::function<void()>> shares;
  std::vector<SessionHub::Joined> joined;
  auto hub = std::make_unique<SessionHub>(
      /*recent_events_kept=*/8, WatcherLimits(), /*wake_shares=*/2,
      [&](std::function<void()> share) {
        std::lock_guard<std::mutex> lock(shares_mu);
        shares.push_back(std::move(share));
      });
  for (int w = 0; w < kWatchers; ++w) {
    joined.push_back(hub->Subscribe("s", 0, "viewer" + std::to_string(w), [wakes] { ++*wakes; }));
  }
  hub->Publish("s", {Event(1, "one")});
  {
    std::lock_guard<std::mutex> lock(shares_mu);
    EXPECT_EQ(shares.size(), 2u);  // Two shares of 50; none run on this thread.
  }
  EXPECT_EQ(wakes->load(), 0);
  // A few watchers are not worth a hand-over.
  for (int w = SessionHub::kMaxInlineWakes; w < kWatchers; ++w) {
    hub->Unsubscribe("s", joined[w].subscription.get());
  }
  for (int w = 0; w < static_cast<int>(SessionHub::kMaxInlineWakes); ++w) {
    Drain(*joined[w].subscription);
  }
  hub->Publish("s", {Event(2, "two")});
  EXPECT_EQ(wakes->load(), static_cast<int>(SessionHub::kMaxInlineWakes));
  {
    std::lock_guard<std::mutex> lock(shares_mu);
    EXPECT_EQ(shares.size(), 2u);
  }
  // The runner runs the shares only once the hub has begun to go away,
  // and a little later still: the hub must wait for them.
  std::atomic<bool> going{false};
  std::thread runner([&] {
    while (!going.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(shares_mu);
    for (std::function<void()>& share : shares) share();
  });
  going.store(true);
  hub.reset();
  // Every wake-up of the shares ran before the hub was gone.
  EXPECT_EQ(wakes->load(), kWatchers + static_cast<int>(SessionHub::kMaxInlineWakes));
  runner.join();
}

TEST(SessionHubTest, APacedPublishWaitsForTheSessionsPreviousWakeUps) {
  auto gate = std::make_shared<Gate>();
  std::atomic<bool> returned{false};
  SessionHub hub(/*recent_events_kept=*/8, WatcherLimits(), /*wake_shares=*/1);
  std::vector<SessionHub::Joined> joined;
  for (size_t w = 0; w <= SessionHub::kMaxInlineWakes; ++w) {
    joined.push_back(hub.Subscribe("s", 0, "viewer", [gate] { gate->Wait(); }));
  }
  const auto paced = SessionHub::Pace::kAfterPreviousWakeUps;
  hub.Publish("s", {Event(1, "one")}, paced);  // Nothing before it: returns.
  // An unpaced publish does not wait for them.
  hub.Publish("s", {Event(2, "two")});
  std::thread writer([&] {
    hub.Publish("s", {Event(3, "three")}, paced);
    returned.store(true);
  });
  // Its events are queued before it waits: once "three" is there, the
  // writer is at its wait or before it, and the wake-ups of "one" are held.
  std::vector<std::string> taken;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (taken.size() < 3 && std::chrono::steady_clock::now() < give_up) {
    for (std::string& text : Drain(*joined.back().subscription)) taken.push_back(std::move(text));
    std::this_thread::yield();
  }
  EXPECT_EQ(taken, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_FALSE(returned.load());
  gate->Open();
  writer.join();
  EXPECT_TRUE(returned.load());
}

TEST(SessionHubTest, APublishFromAWakeUpNeverWaitsForItself) {
  // Before the hub: wake-ups still queued when it goes use them.
  std::atomic<bool> published_from_wake{false};
  std::atomic<bool> once{false};
  SessionHub hub(/*recent_events_kept=*/8, WatcherLimits(), /*wake_shares=*/1);
  for (size_t w = 0; w <= SessionHub::kMaxInlineWakes; ++w) {
    hub.Subscribe("s", 0, "viewer", [&] {
      if (once.exchange(true)) return;
      // Paced, on the session whose wake-up this is: waiting would wait
      // for itself.
      hub.Publish("s", {Event(0, "presence")}, SessionHub::Pace::kAfterPreviousWakeUps);
      published_from_wake.store(true);
    });
  }
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread writer([&] {
    hub.Publish("s", {Event(1, "one")}, SessionHub::Pace::kAfterPreviousWakeUps);
    // Waits for the wake-ups above, the publish among them included.
    hub.Publish("s", {Event(2, "two")}, SessionHub::Pace::kAfterPreviousWakeUps);
    done.set_value();
  });
  if (finished.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::fprintf(stderr, "a publish from a wake-up waited for itself: deadlock\n");
    std::abort();  // Fail now rather than at the test runner's timeout.
  }
  writer.join();
  EXPECT_TRUE(published_from_wake.load());
}

// A watcher that reads only when woken, as a stream does.
struct WokenReader {
  std::mutex mu;  // Wake-ups of one watcher may overlap.
  std::shared_ptr<Subscription> subscription;
  uint64_t last = 0;
  int gaps = 0;
  void Read() {
    std::lock_guard<std::mutex> lock(mu);
    if (subscription == nullptr) return;  // Woken before it was stored.
    for (const auto& bytes : subscription->Take(SIZE_MAX, SIZE_MAX).events) {
      const uint64_t sequence = std::stoull(*bytes);
      if (sequence != last + 1) ++gaps;
      last = sequence;
    }
  }
};

// The wake-up of a WokenReader. Weak: the reader holds its subscription,
// which holds this, and a strong reference would keep both alive forever.
std::function<void()> ReadWhenWoken(const std::shared_ptr<WokenReader>& reader) {
  return [weak = std::weak_ptr<WokenReader>(reader)] {
    if (std::shared_ptr<WokenReader> reader = weak.lock()) reader->Read();
  };
}

// Watchers that read only when woken, as streams do, on sessions large
// enough for the wake threads, while publishers run flat out: every watcher
// ends with every event, in order. A lost wake-up would strand events.
TEST(SessionHubTest, WakeThreadsStrandNoEvent) {
  constexpr int kSessions = 2;
  constexpr int kWatchersPerSession = 40;
  constexpr uint64_t kEvents = 5000;
  std::vector<std::shared_ptr<WokenReader>> readers;
  {
    WatcherLimits unlimited;
    unlimited.max_events = SIZE_MAX;
    unlimited.max_bytes = SIZE_MAX;
    SessionHub hub(/*recent_events_kept=*/8, unlimited, /*wake_shares=*/2);
    for (int s = 0; s < kSessions; ++s) {
      for (int w = 0; w < kWatchersPerSession; ++w) {
        auto reader = std::make_shared<WokenReader>();
        SessionHub::Joined joined =
            hub.Subscribe("s" + std::to_string(s), 0, "viewer", ReadWhenWoken(reader));
        std::lock_guard<std::mutex> lock(reader->mu);
        reader->subscription = joined.subscription;
        readers.push_back(reader);
      }
    }
    std::vector<std::thread> publishers;
    for (int s = 0; s < kSessions; ++s) {
      publishers.emplace_back([&hub, s] {
        for (uint64_t sequence = 1; sequence <= kEvents; ++sequence) {
          hub.Publish("s" + std::to_string(s), {Event(sequence, std::to_string(sequence))});
        }
      });
    }
    for (std::thread& publisher : publishers) publisher.join();
  }  // The hub runs the wake-ups still queued before it goes.
  for (const auto& reader : readers) {
    // Read only by wake-ups: nothing is left behind.
    EXPECT_TRUE(reader->subscription->Take(SIZE_MAX, SIZE_MAX).events.empty());
    EXPECT_EQ(reader->last, kEvents);
    EXPECT_EQ(reader->gaps, 0);
  }
}

// Publishers, watchers joining, draining and leaving, and a shutdown, all
// at once: every watcher gets a gap-free run of the events after the
// sequence it joined with (or overflows, or is closed). With and without
// wake threads. Run under ThreadSanitizer in CI (deploy/dev/sanitize.sh).
class ConcurrentHubTest : public ::testing::TestWithParam<int> {};

INSTANTIATE_TEST_SUITE_P(WakeThreads, ConcurrentHubTest, ::testing::Values(0, 2));

TEST_P(ConcurrentHubTest, ConcurrentPublishersAndWatchersKeepEveryWatcherGapFree) {
  WatcherLimits limits;
  // Small queues without wake threads, to overflow watchers; with them,
  // queues that hold everything, so the watchers woken by the threads
  // never overflow and must end with every event.
  limits.max_events = GetParam() > 0 ? SIZE_MAX : 64;
  limits.max_bytes = SIZE_MAX;
  SessionHub hub(/*recent_events_kept=*/32, limits, /*wake_shares=*/GetParam());
  constexpr int kSessions = 3;
  constexpr uint64_t kEvents = 20000;
  std::atomic<uint64_t> published[kSessions] = {};
  std::atomic<bool> stop{false};
  std::atomic<int> gaps{0};
  std::atomic<int64_t> received{0};
  // The publishers start once every watcher has joined a session, so that
  // the watchers see them at work.
  constexpr int kWatcherThreads = 6;
  std::atomic<int> watchers_joined{0};

  // With wake threads, sessions large enough to use them: watchers that
  // read only when woken, there from the start.
  std::vector<std::pair<std::string, std::shared_ptr<WokenReader>>> bystanders;
  if (GetParam() > 0) {
    for (int s = 0; s < kSessions; ++s) {
      for (size_t b = 0; b <= SessionHub::kMaxInlineWakes; ++b) {
        auto reader = std::make_shared<WokenReader>();
        SessionHub::Joined joined =
            hub.Subscribe("s" + std::to_string(s), 0, "bystander", ReadWhenWoken(reader));
        std::lock_guard<std::mutex> lock(reader->mu);
        reader->subscription = joined.subscription;
        bystanders.emplace_back("s" + std::to_string(s), reader);
      }
    }
  }

  std::vector<std::thread> threads;
  for (int s = 0; s < kSessions; ++s) {
    threads.emplace_back([&, s] {
      const std::string key = "s" + std::to_string(s);
      while (watchers_joined.load() < kWatcherThreads) std::this_thread::yield();
      for (uint64_t sequence = 1; sequence <= kEvents; ++sequence) {
        hub.Publish(key, {Event(sequence, std::to_string(sequence))});
        published[s].store(sequence);
        if (sequence % 100 == 0) std::this_thread::yield();
      }
    });
  }
  for (int w = 0; w < kWatcherThreads; ++w) {
    threads.emplace_back([&, w] {
      bool joined_once = false;
      std::mt19937 random(w);
      while (!stop.load()) {
        const int s = random() % kSessions;
        const std::string key = "s" + std::to_string(s);
        // Join as a watcher that has read the log up to what is published.
        uint64_t after = published[s].load();
        // A publish under way may still wake it after Unsubscribe: the
        // wake-up owns what it touches.
        auto wakes = std::make_shared<std::atomic<int>>(0);
        SessionHub::Joined joined =
            hub.Subscribe(key, after, "viewer" + std::to_string(w), [wakes] { ++*wakes; });
        if (!joined.subscription) continue;  // Would have to read the log first.
        if (!joined_once) {
          joined_once = true;
          ++watchers_joined;
        }
        Subscription& subscription = *joined.subscription;
        for (int round = 0; round < 50 && !subscription.closed(); ++round) {
          for (const auto& bytes : subscription.Take(SIZE_MAX, SIZE_MAX).events) {
            const uint64_t sequence = std::stoull(*bytes);
            if (sequence != after + 1) ++gaps;
            after = sequence;
            ++received;
          }
          if (subscription.overflowed()) break;
          std::this_thread::yield();
        }
        hub.Unsubscribe(key, &subscription);
      }
    });
  }
  for (int s = 0; s < kSessions; ++s) threads[s].join();
  // Every woken watcher has every event once its session's wake-ups have
  // run (a paced publish waits for them); checked before CloseAll, which
  // wakes everyone.
  for (int s = 0; s < kSessions; ++s) {
    hub.Publish("s" + std::to_string(s), {}, SessionHub::Pace::kAfterPreviousWakeUps);
  }
  for (const auto& [key, bystander] : bystanders) {
    std::lock_guard<std::mutex> lock(bystander->mu);
    EXPECT_EQ(bystander->gaps, 0);
    EXPECT_EQ(bystander->last, kEvents) << key;
  }
  // The watchers above may all have overflowed on a busy machine (the
  // publishers outrun them): one more watcher each, then one more event,
  // shows the sessions still deliver after all that.
  for (int s = 0; s < kSessions; ++s) {
    const std::string key = "s" + std::to_string(s);
    SessionHub::Joined last = hub.Subscribe(key, kEvents, "last", [] {});
    ASSERT_TRUE(last.subscription);
    hub.Publish(key, {Event(kEvents + 1, std::to_string(kEvents + 1))});
    EXPECT_EQ(Drain(*last.subscription), (std::vector<std::string>{std::to_string(kEvents + 1)}));
    hub.Unsubscribe(key, last.subscription.get());
  }
  hub.CloseAll();
  stop.store(true);
  for (size_t t = kSessions; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(gaps.load(), 0);
  std::printf("watchers received %lld events without a gap\n",
              static_cast<long long>(received.load()));
  for (const auto& [key, bystander] : bystanders) {
    hub.Unsubscribe(key, bystander->subscription.get());
  }
  for (int s = 0; s < kSessions; ++s) EXPECT_EQ(hub.WatcherCount("s" + std::to_string(s)), 0);
}

}  // namespace
}  // namespace retro::live
