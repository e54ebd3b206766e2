// Resource names ("sessions/{session}/annotations/{annotation}", ...) to ids
// and back. Pure functions, thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retro {

// Parses `name` against collections like {"sessions", "annotations"} and
// returns the ids in order; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    std::initializer_list<absl::string_view> collections);

std::string SessionName(absl::string_view session);
std::string AnnotationName(absl::string_view session, absl::string_view annotation);
std::string ActionItemName(absl::string_view session, absl::string_view item);
std::string UserName(absl::string_view user);
std::string TeamName(absl::string_view team);
std::string TokenName(absl::string_view token);
std::string OrganizationName(absl::string_view organization);

}  // namespace retro
