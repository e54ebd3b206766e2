#include "storage/index/write_pipeline.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace retro::index {
namespace {

// Writers that reach their turns in any order write in ticket order.
TEST(WritePipelineTest, TurnsFollowTheOrderWritesBegan) {
  WritePipeline pipeline;
  constexpr int kWrites = 8;
  std::vector<uint64_t> tickets;
  for (int i = 0; i < kWrites; ++i) tickets.push_back(pipeline.Begin().ticket);
  std::mutex mu;
  std::vector<uint64_t> written;
  std::vector<std::thread> writers;
  for (int i = kWrites - 1; i >= 0; --i) {  // The last to begin asks first.
    writers.emplace_back([&, i] {
      EXPECT_TRUE(pipeline.AwaitTurn(tickets[i]));
      {
        std::lock_guard<std::mutex> lock(mu);
        written.push_back(tickets[i]);
      }
      pipeline.Done(tickets[i], /*failed=*/false);
    });
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(written, tickets);
  EXPECT_EQ(pipeline.Begin().done_below, uint64_t{kWrites});
}

// A failure fails the writes that began before it was known, and only
// them; a build after it learns of it.
TEST(WritePipelineTest, AFailureFailsTheWritesBegunBeforeIt) {
  WritePipeline pipeline;
  WritePipeline::Begun written = pipeline.Begin();
  WritePipeline::Begun failing = pipeline.Begin();
  WritePipeline::Begun built_on_failing = pipeline.Begin();
  EXPECT_EQ(failing.failures, 0u);

  ASSERT_TRUE(pipeline.AwaitTurn(written.ticket));
  pipeline.Done(written.ticket, /*failed=*/false);
  ASSERT_TRUE(pipeline.AwaitTurn(failing.ticket));
  WritePipeline::Begun during_failure = pipeline.Begin();  // Before it is known.
  pipeline.Done(failing.ticket, /*failed=*/true);
  WritePipeline::Begun after_failure = pipeline.Begin();
  EXPECT_EQ(after_failure.failures, 1u);
  EXPECT_EQ(after_failure.done_below, failing.ticket + 1);

  EXPECT_FALSE(pipeline.AwaitTurn(built_on_failing.ticket));
  pipeline.Done(built_on_failing.ticket, /*failed=*/false);  // Not written: not a new failure.
  EXPECT_FALSE(pipeline.AwaitTurn(during_failure.ticket));
  pipeline.Done(during_failure.ticket, /*failed=*/false);
  EXPECT_TRUE(pipeline.AwaitTurn(after_failure.ticket));
  pipeline.Done(after_failure.ticket, /*failed=*/false);
  EXPECT_EQ(pipeline.Begin().failures, 1u);
}

// Drain returns once every write that began is done.
TEST(WritePipelineTest, DrainWaitsForEveryWriteBegun) {
  WritePipeline pipeline;
  WritePipeline::Begun first = pipeline.Begin();
  WritePipeline::Begun second = pipeline.Begin();
  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    pipeline.Drain();
    drained = true;
  });
  ASSERT_TRUE(pipeline.AwaitTurn(first.ticket));
  pipeline.Done(first.ticket, /*failed=*/false);
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(drained.load());  // The second is still in flight.
  ASSERT_TRUE(pipeline.AwaitTurn(second.ticket));
  pipeline.Done(second.ticket, /*failed=*/false);
  drainer.join();
  EXPECT_TRUE(drained.load());
}

}  // namespace
}  // namespace retro::index
