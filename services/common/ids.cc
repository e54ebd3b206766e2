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

std::string TimeOrderedIdGenerator::NewId() {
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
  // Never go backwards, even if the clock does: ids stay in creation order.
  uint64_t last = last_millis_.load();
  while (true) {
    uint64_t next = millis > last ? millis : last;
    if (last_millis_.compare_exchange_weak(last, next)) {
      millis = next;
      break;
    }
  }
  unsigned char random[4];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed\n");
    std::abort();
  }
  return absl::StrFormat("%012x%02x%02x%02x%02x", millis, random[0], random[1], random[2],
                         random[3]);
}

std::string SequentialIdGenerator::NewId() {
  return absl::StrFormat("%s-%06d", prefix_, next_.fetch_add(1));
}

}  // namespace retro
