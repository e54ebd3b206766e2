// absl::Time to protobuf Timestamp, at microsecond precision (what every
// stored time in retro uses).
#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace retro {

inline void SetTimestamp(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {  // Timestamps keep nanos non-negative.
    rest += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest) * 1000);
}

}  // namespace retro
