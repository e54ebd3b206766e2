// Key layouts of every column family, in one place.
//
// Ids are [a-z0-9-] (validated before they reach storage), so a zero byte
// separates key parts unambiguously, and every key that belongs to an
// organization starts with its id: no scan of one organization can reach
// another's keys. Event keys end in a big-endian sequence so that a
// session's events iterate in order.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace retro::storage::keys {

// Column family "directory".
std::string Organization(absl::string_view org);
std::string Team(absl::string_view org, absl::string_view team);
std::string TeamPrefix(absl::string_view org);
std::string User(absl::string_view org, absl::string_view user);
std::string UserPrefix(absl::string_view org);
std::string Token(absl::string_view token_id);

// Column families "sessions", "annotations", "action_items", "votes", "events".
std::string Session(absl::string_view org, absl::string_view session);
std::string SessionPrefix(absl::string_view org);
// Prefix of everything a session owns in a per-session column family.
std::string SessionChildPrefix(absl::string_view org, absl::string_view session);
std::string Child(absl::string_view org, absl::string_view session, absl::string_view child);
std::string Vote(absl::string_view org, absl::string_view session, absl::string_view annotation,
                 absl::string_view user);
std::string Event(absl::string_view org, absl::string_view session, uint64_t sequence);

// Column family "requests".
std::string Request(absl::string_view org, absl::string_view user, absl::string_view method,
                    absl::string_view request_id);

uint64_t EventSequence(absl::string_view event_key);
// The smallest key greater than every key starting with prefix.
std::string PrefixEnd(absl::string_view prefix);

}  // namespace retro::storage::keys
