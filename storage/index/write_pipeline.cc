#include "storage/index/write_pipeline.h"

#include <cassert>

namespace retro::index {

WritePipeline::Begun WritePipeline::Begin() {
  absl::MutexLock lock(&mu_);
  return Begun{next_ticket_++, done_below_, failures_};
}

WritePipeline::Begun WritePipeline::Progress() {
  absl::MutexLock lock(&mu_);
  return Begun{0, done_below_, failures_};
}

bool WritePipeline::AwaitTurn(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  auto my_turn = [this, ticket]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_below_ == ticket; };
  mu_.Await(absl::Condition(&my_turn));
  return ticket >= poisoned_below_;
}

void WritePipeline::Done(uint64_t ticket, bool failed) {
  absl::MutexLock lock(&mu_);
  if (failed) {
    // Every write begun so far may be built on this one.
    poisoned_below_ = next_ticket_;
    ++failures_;
  }
  assert(done_below_ == ticket && "Done out of turn");
  if (done_below_ == ticket) ++done_below_;
}

void WritePipeline::Drain() {
  absl::MutexLock lock(&mu_);
  auto drained = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_below_ == next_ticket_; };
  mu_.Await(absl::Condition(&drained));
}

}  // namespace retro::index
