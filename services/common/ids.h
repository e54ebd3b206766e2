// Id generation for new resources, injected so that tests are deterministic.
//
// Ids match [a-z0-9-]{1,63}. The random generator's ids start with the
// creation time, so resources listed in id order come in creation order.
// Implementations are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "services/common/clock.h"

namespace retro {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewId() = 0;
};

// 12 hex digits of milliseconds since the epoch, then 8 random hex digits
// from OpenSSL's CSPRNG. A counter keeps ids of one process increasing
// within a millisecond.
class TimeOrderedIdGenerator final : public IdGenerator {
 public:
  // clock is borrowed and must outlive the generator.
  explicit TimeOrderedIdGenerator(Clock& clock) : clock_(clock) {}
  std::string NewId() override;

 private:
  Clock& clock_;
  std::atomic<uint64_t> last_millis_{0};
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
