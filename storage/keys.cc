#include "storage/keys.h"

#include "absl/strings/str_cat.h"

namespace retro::storage::keys {
namespace {
constexpr char kSep = '\0';
const absl::string_view kSepView(&kSep, 1);
}  // namespace

std::string Organization(absl::string_view org) { return absl::StrCat("o", kSepView, org); }
std::string Team(absl::string_view org, absl::string_view team) {
  return absl::StrCat(TeamPrefix(org), team);
}
std::string TeamPrefix(absl::string_view org) { return absl::StrCat("t", kSepView, org, kSepView); }
std::string User(absl::string_view org, absl::string_view user) {
  return absl::StrCat(UserPrefix(org), user);
}
std::string UserPrefix(absl::string_view org) { return absl::StrCat("u", kSepView, org, kSepView); }
std::string Token(absl::string_view token_id) { return absl::StrCat("k", kSepView, token_id); }

std::string Session(absl::string_view org, absl::string_view session) {
  return absl::StrCat(org, kSepView, session);
}
std::string SessionPrefix(absl::string_view org) { return absl::StrCat(org, kSepView); }
std::string SessionChildPrefix(absl::string_view org, absl::string_view session) {
  return absl::StrCat(org, kSepView, session, kSepView);
}
std::string Child(absl::string_view org, absl::string_view session, absl::string_view child) {
  return absl::StrCat(SessionChildPrefix(org, session), child);
}
std::string Vote(absl::string_view org, absl::string_view session, absl::string_view annotation,
                 absl::string_view user) {
  return absl::StrCat(SessionChildPrefix(org, session), annotation, kSepView, user);
}
std::string Event(absl::string_view org, absl::string_view session, uint64_t sequence) {
  char be[8];
  for (int i = 7; i >= 0; --i) {
    be[i] = static_cast<char>(sequence & 0xff);
    sequence >>= 8;
  }
  return absl::StrCat(SessionChildPrefix(org, session), absl::string_view(be, sizeof(be)));
}

std::string Request(absl::string_view org, absl::string_view user, absl::string_view method,
                    absl::string_view request_id) {
  return absl::StrCat(org, kSepView, user, kSepView, method, kSepView, request_id);
}

uint64_t EventSequence(absl::string_view event_key) {
  if (event_key.size() < 8) return 0;
  uint64_t sequence = 0;
  for (char c : event_key.substr(event_key.size() - 8)) {
    sequence = (sequence << 8) | static_cast<unsigned char>(c);
  }
  return sequence;
}

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // Empty: no upper bound.
}

}  // namespace retro::storage::keys
