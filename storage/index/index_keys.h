// Key layouts of the lesson index's column families (see lesson_index.h).
// Internal to storage/index.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace retro::index::keys {

inline std::string BigEndian32(uint32_t value) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}
inline uint32_t Last32(absl::string_view key) {
  if (key.size() < 4) return 0;
  uint32_t value = 0;
  for (char c : key.substr(key.size() - 4)) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

// "lessons" and "doc_values": org \0 'd' doc.
inline std::string DocPrefix(absl::string_view org) {
  return absl::StrCat(org, absl::string_view("\0d", 2));
}
inline std::string Doc(absl::string_view org, uint32_t doc) {
  return absl::StrCat(DocPrefix(org), BigEndian32(doc));
}
inline uint32_t DocOf(absl::string_view key) { return Last32(key); }
// "index_stats" (and "doc_values" in indexes written before 2026-12-01):
// org \0 's'.
inline std::string Stats(absl::string_view org) {
  return absl::StrCat(org, absl::string_view("\0s", 2));
}
// "terms": org \0 term.
inline std::string TermPrefix(absl::string_view org) {
  return absl::StrCat(org, absl::string_view("\0", 1));
}
inline std::string Term(absl::string_view org, absl::string_view term) {
  return absl::StrCat(TermPrefix(org), term);
}
// "postings": org \0 term \0 first-doc.
inline std::string PostingPrefix(absl::string_view org, absl::string_view term) {
  return absl::StrCat(org, absl::string_view("\0", 1), term, absl::string_view("\0", 1));
}
inline std::string Posting(absl::string_view org, absl::string_view term, uint32_t first_doc) {
  return absl::StrCat(PostingPrefix(org, term), BigEndian32(first_doc));
}
inline uint32_t BlockFirstDoc(absl::string_view key) { return Last32(key); }

}  // namespace retro::index::keys
