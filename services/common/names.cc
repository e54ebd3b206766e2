#include "services/common/names.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/errors.h"
#include "services/common/validation.h"

namespace retro {

absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    std::initializer_list<absl::string_view> collections) {
  std::vector<std::string> pattern;
  for (absl::string_view c : collections) pattern.push_back(absl::StrCat(c, "/{id}"));
  std::string expected = absl::StrJoin(pattern, "/");
  if (name.empty()) return InvalidField(field, absl::StrCat("is required (", expected, ")"));
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 * collections.size()) {
    return InvalidField(field, absl::StrCat("must look like ", expected));
  }
  std::vector<std::string> ids;
  size_t i = 0;
  for (absl::string_view collection : collections) {
    if (parts[i] != collection || !CheckId(field, parts[i + 1]).ok()) {
      return InvalidField(
          field, absl::StrCat("must look like ", expected, " with ids matching [a-z0-9-]{1,63}"));
    }
    ids.emplace_back(parts[i + 1]);
    i += 2;
  }
  return ids;
}

std::string SessionName(absl::string_view session) { return absl::StrCat("sessions/", session); }
std::string AnnotationName(absl::string_view session, absl::string_view annotation) {
  return absl::StrCat("sessions/", session, "/annotations/", annotation);
}
std::string ActionItemName(absl::string_view session, absl::string_view item) {
  return absl::StrCat("sessions/", session, "/actionItems/", item);
}
std::string UserName(absl::string_view user) { return absl::StrCat("users/", user); }
std::string TeamName(absl::string_view team) { return absl::StrCat("teams/", team); }
std::string TokenName(absl::string_view token) { return absl::StrCat("tokens/", token); }
std::string OrganizationName(absl::string_view organization) {
  return absl::StrCat("organizations/", organization);
}

}  // namespace retro
