// Checks shared by the controllers' write paths. Internal to services/core.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/common/validation.h"
#include "services/core/caller.h"

namespace retro::core {

// ABORTED when the client's etag is set and no longer current.
inline absl::Status CheckEtag(absl::string_view given, absl::string_view current,
                              absl::string_view what) {
  if (!given.empty() && given != current) {
    return absl::AbortedError(absl::StrCat(what, " changed since it was read (etag ", given,
                                           " is stale; current is ", current, ")"));
  }
  return absl::OkStatus();
}

// PERMISSION_DENIED unless the caller is the presenter or a facilitator.
inline absl::Status CheckDriver(const Caller& caller, const retro::v1::Session& session) {
  if (!CanDrive(caller, session)) {
    return absl::PermissionDeniedError("only the presenter and facilitators drive the session");
  }
  return absl::OkStatus();
}

// A Date field: a calendar date between 1900 and 2200, or unset.
inline absl::Status CheckDate(absl::string_view field, const retro::v1::Date& date) {
  return CheckCalendarDate(field, date.year(), date.month(), date.day());
}

}  // namespace retro::core
