#include "services/common/ids.h"

#include <openssl/rand.h>

#include <cstdio>

#include "absl/strings/str_format.h"

namespace retro {

Clock& Clock::Real() {
  class RealClock final : public Clock {
   public:
    absl::Time Now() override { return absl::Now(); }
  };
  static RealClock* clock = new RealClock();
  return *clock;
}

namespace {

// A random counter start below 2^31, from the CSPRNG.
uint32_t RandomCounterStart() {
  unsigned char random[4];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed\n");
    std::abort();
  }
  return (uint32_t{random[0]} << 24 | uint32_t{random[1]} << 16 | uint32_t{random[2]} << 8 |
          uint32_t{random[3]}) >>
         1;
}

}  // namespace

std::string TimeOrderedIdGenerator::NewId() {
  const uint64_t now = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
  uint64_t millis;
  uint32_t counter;
  {
    absl::MutexLock lock(&mu_);
    // Never go backwards, even if the clock does: ids stay in creation order.
    if (now > last_millis_) {
      last_millis_ = now;
      counter_ = RandomCounterStart();
    } else if (counter_ == UINT32_MAX) {
      ++last_millis_;  // This millisecond's counter is used up.
      counter_ = RandomCounterStart();
    } else {
      ++counter_;
    }
    millis = last_millis_;
    counter = counter_;
  }
  return absl::StrFormat("%012x%08x", millis, counter);
}

std::string SequentialIdGenerator::NewId() {
  return absl::StrFormat("%s-%06d", prefix_, next_.fetch_add(1));
}

}  // namespace retro
