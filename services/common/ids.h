// Id generation for new resources, injected so that tests are deterministic.
//
// Ids match [a-z0-9-]{1,63}. The random generator's ids start with the
// creation time, so resources listed in id order come in creation order.
// Implementations are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/common/clock.h"

namespace retro {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId() = 0;
};

// 12 hex digits of milliseconds since the epoch, then 8 hex digits of a
// counter. The counter starts each millisecond at a random value from
// OpenSSL's CSPRNG (below 2^31, so it has room to count) and goes up by one
// for each id in that millisecond, so ids of one process strictly increase
// in creation order, and a busy server draws randomness once a millisecond
// rather than once an id. Should a millisecond ever need more ids than the
// counter has room for, the ids move on to the next millisecond's.
class TimeOrderedIdGenerator final : public IdGenerator {
 public:
  // clock is borrowed and must outlive the generator.
  explicit TimeOrderedIdGenerator(Clock& clock) : clock_(clock) {}
  std::string NewId() override;

 private:
  Clock& clock_;
  absl::Mutex mu_;
  uint64_t last_millis_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

// "id-000001", "id-000002", ...: for tests.
class SequentialIdGenerator final : public IdGenerator {
 public:
  explicit SequentialIdGenerator(std::string prefix = "id") : prefix_(std::move(prefix)) {}
  std::string NewId() override;

 private:
  std::string prefix_;
  std::atomic<uint64_t> next_{1};
};

}  // namespace retro
