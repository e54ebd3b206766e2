#include "services/common/thread_pool.h"

#include <atomic>
#include <future>

#include "gtest/gtest.h"

namespace retro {
namespace {

TEST(ThreadPoolTest, RunsEverythingScheduledBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 1000; ++i) pool.Schedule([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 1000);
}

// A session's writer keeps its thread for the next batch only while no
// other work waits for one: HasWaitingWork says whether any does.
TEST(ThreadPoolTest, TellsWhetherWorkWaitsForAThread) {
  // Declared before the pool, so they outlive its threads.
  std::promise<void> started, release, second_ran;
  std::shared_future<void> released = release.get_future().share();
  ThreadPool pool(1);
  EXPECT_FALSE(pool.HasWaitingWork());
  pool.Schedule([&, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();  // The only thread is busy now.
  EXPECT_FALSE(pool.HasWaitingWork());
  pool.Schedule([&] { second_ran.set_value(); });
  EXPECT_TRUE(pool.HasWaitingWork());
  release.set_value();
  second_ran.get_future().wait();
  EXPECT_FALSE(pool.HasWaitingWork());
}

TEST(ThreadPoolTest, WorkMayScheduleMoreWork) {
  std::promise<int> done;
  ThreadPool pool(1);
  std::function<void(int)> step = [&](int n) {
    if (n == 10) {
      done.set_value(n);
      return;
    }
    pool.Schedule([&step, n] { step(n + 1); });
  };
  pool.Schedule([&] { step(0); });
  EXPECT_EQ(done.get_future().get(), 10);
}

TEST(ThreadPoolTest, ThreadsRunConcurrently) {
  // Two pieces of work that each wait for the other can only finish on
  // two threads.
  ThreadPool pool(2);
  std::promise<void> first, second;
  std::shared_future<void> first_ready = first.get_future().share();
  std::shared_future<void> second_ready = second.get_future().share();
  std::promise<void> both;
  std::atomic<int> finished{0};
  pool.Schedule([&] {
    first.set_value();
    second_ready.wait();
    if (++finished == 2) both.set_value();
  });
  pool.Schedule([&] {
    second.set_value();
    first_ready.wait();
    if (++finished == 2) both.set_value();
  });
  both.get_future().wait();
  EXPECT_EQ(finished.load(), 2);
}

}  // namespace
}  // namespace retro
