#include "services/common/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/secrets.h"

namespace retro {
namespace {
std::string Fingerprint(absl::string_view query) { return Sha256(query).substr(0, 8); }
}  // namespace

absl::StatusOr<int> EffectivePageSize(int requested) {
  if (requested < 0) return InvalidField("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

std::string EncodePageToken(absl::string_view query_fingerprint, absl::string_view last_id) {
  return absl::WebSafeBase64Escape(absl::StrCat("1", Fingerprint(query_fingerprint), last_id));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view query_fingerprint,
                                            absl::string_view token) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 9 || raw[0] != '1') {
    return InvalidField("page_token", "is not a page token of this server");
  }
  if (raw.substr(1, 8) != Fingerprint(query_fingerprint)) {
    return InvalidField("page_token", "belongs to a different query");
  }
  return raw.substr(9);
}

}  // namespace retro
