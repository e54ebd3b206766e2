#include "services/common/validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/errors.h"

namespace retro {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 when it is
// malformed (overlong forms, surrogates and values past U+10FFFF included).
size_t DecodeUtf8(absl::string_view text, size_t i, char32_t* out) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  size_t length;
  char32_t cp;
  char32_t min;
  if (c < 0x80) {
    *out = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    length = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    unsigned char cc = static_cast<unsigned char>(text[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *out = cp;
  return length;
}

}  // namespace

absl::Status CheckId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return InvalidField(field, "is required");
  if (id.size() > 63) return InvalidField(field, "must be at most 63 characters");
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidField(field, "must match [a-z0-9-]{1,63}");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view field, absl::string_view text, size_t max_bytes,
                       bool allow_empty, bool single_line) {
  if (text.empty() && !allow_empty) return InvalidField(field, "is required");
  if (text.size() > max_bytes) {
    return InvalidField(field,
                        absl::StrCat("must be at most ", max_bytes, " bytes, not ", text.size()));
  }
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t length = DecodeUtf8(text, i, &cp);
    if (length == 0) return InvalidField(field, "is not valid UTF-8");
    bool allowed_space = !single_line && (cp == '\n' || cp == '\t');
    if ((cp < 0x20 && !allowed_space) || (cp >= 0x7F && cp <= 0x9F)) {
      return InvalidField(field,
                          absl::StrCat("contains control character U+",
                                       absl::Hex(static_cast<uint32_t>(cp), absl::kZeroPad4)));
    }
    i += length;
  }
  return absl::OkStatus();
}

absl::Status CheckTags(absl::string_view field,
                       const google::protobuf::RepeatedPtrField<std::string>& tags) {
  if (static_cast<size_t>(tags.size()) > kMaxTags) {
    return InvalidField(field, absl::StrCat("at most ", kMaxTags, " tags, not ", tags.size()));
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < tags.size(); ++i) {
    std::string tag_field = absl::StrCat(field, "[", i, "]");
    if (absl::Status s = CheckText(tag_field, tags[i], kMaxTagBytes, false, true); !s.ok()) {
      return s;
    }
    if (!seen.insert(tags[i]).second) return InvalidField(tag_field, "repeats a tag");
  }
  return absl::OkStatus();
}

absl::Status CheckCalendarDate(absl::string_view field, int year, int month, int day) {
  if (year == 0 && month == 0 && day == 0) return absl::OkStatus();
  absl::CivilDay civil(year, month, day);
  if (year < 1900 || year > 2200 || civil.year() != year || civil.month() != month ||
      civil.day() != day) {
    return InvalidField(field, "is not a valid calendar date");
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(absl::string_view field, absl::string_view request_id) {
  if (request_id.size() > 64) return InvalidField(field, "must be at most 64 characters");
  for (char c : request_id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return InvalidField(field, "must match [A-Za-z0-9_-]{1,64}");
    }
  }
  return absl::OkStatus();
}

}  // namespace retro
