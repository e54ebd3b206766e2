// Statuses for bad requests that name the offending field.
//
// The field travels as a payload of the absl::Status; the gRPC edge turns it
// into a google.rpc.BadRequest detail. Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace retro {

// INVALID_ARGUMENT "<field>: <description>", carrying the field.
absl::Status InvalidField(absl::string_view field, absl::string_view description);
// The field an InvalidField status names, if any.
std::optional<std::string> ViolatedField(const absl::Status& status);
// The description without the "<field>: " prefix.
std::string ViolationDescription(const absl::Status& status);

}  // namespace retro
