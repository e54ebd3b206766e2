// Checks shared by every request: ids, text, tags, request ids. Each
// returns OK or an InvalidField status naming the field. Pure functions,
// thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"

namespace retro {

inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxAnnotationBytes = 4000;
inline constexpr size_t kMaxStageNoteBytes = 20000;
inline constexpr size_t kMaxTags = 16;
inline constexpr size_t kMaxTagBytes = 64;
inline constexpr size_t kMaxShortTextBytes = 200;

// [a-z0-9-]{1,63}.
[[nodiscard]] absl::Status CheckId(absl::string_view field, absl::string_view id);
// Valid UTF-8, at most max_bytes, no control characters but newline and tab
// (and, when single_line, neither of those). Empty is refused unless
// allow_empty.
[[nodiscard]] absl::Status CheckText(absl::string_view field, absl::string_view text,
                                     size_t max_bytes, bool allow_empty, bool single_line = false);
// At most 16 distinct tags of at most 64 bytes, single-line text.
[[nodiscard]] absl::Status CheckTags(absl::string_view field,
                                     const google::protobuf::RepeatedPtrField<std::string>& tags);
// A calendar date between 1900 and 2200, or all zeros (no date).
[[nodiscard]] absl::Status CheckCalendarDate(absl::string_view field, int year, int month, int day);
// Empty, or 1 to 64 of [A-Za-z0-9_-] (a UUID fits).
[[nodiscard]] absl::Status CheckRequestId(absl::string_view field, absl::string_view request_id);

}  // namespace retro
