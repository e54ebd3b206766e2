#include "storage/index/write_pipeline.h"

#include <cassert>

namespace retro::index {

WritePipeline::Begun WritePipeline::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  return Begun{next_ticket_++, done_below_, failures_};
}

WritePipeline::Begun WritePipeline::Progress() {
  std::lock_guard<std::mutex> lock(mu_);
  return Begun{0, done_below_, failures_};
}

bool WritePipeline::AwaitTurn(uint64_t ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  turn_.wait(lock, [&] { return done_below_ == ticket; });
  return ticket >= poisoned_below_;
}

void WritePipeline::Done(uint64_t ticket, bool failed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed) {
      // Every write begun so far may be built on this one.
      poisoned_below_ = next_ticket_;
      ++failures_;
    }
    assert(done_below_ == ticket && "Done out of turn");
    if (done_below_ == ticket) ++done_below_;
  }
  turn_.notify_all();
}

void WritePipeline::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  turn_.wait(lock, [&] { return done_below_ == next_ticket_; });
}

}  // namespace retro::index
