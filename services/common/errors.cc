#include "services/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace retro {
namespace {
constexpr absl::string_view kFieldPayload = "type.retro.dev/retro.FieldViolation";
}  // namespace

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

std::optional<std::string> ViolatedField(const absl::Status& status) {
  auto field = status.GetPayload(kFieldPayload);
  if (!field) return std::nullopt;
  return std::string(*field);
}

std::string ViolationDescription(const absl::Status& status) {
  std::optional<std::string> field = ViolatedField(status);
  absl::string_view message = status.message();
  if (field && message.size() >= field->size() + 2 && message.substr(0, field->size()) == *field) {
    return std::string(message.substr(field->size() + 2));
  }
  return std::string(message);
}

}  // namespace retro
