// Opaque page tokens for List methods.
//
// A token carries the id where the previous page stopped and a fingerprint
// of the query that made it, so a token replayed against another query is
// refused instead of silently skipping results. Pure functions.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retro {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// The page size to use, or INVALID_ARGUMENT naming "page_size" when negative.
absl::StatusOr<int> EffectivePageSize(int requested);
std::string EncodePageToken(absl::string_view query_fingerprint, absl::string_view last_id);
// The last id; "" for an empty token. INVALID_ARGUMENT naming "page_token"
// when malformed or made by another query.
absl::StatusOr<std::string> DecodePageToken(absl::string_view query_fingerprint,
                                            absl::string_view token);

}  // namespace retro
