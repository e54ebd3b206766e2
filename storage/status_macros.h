// Early-return helpers for absl::Status and absl::StatusOr, used by every
// layer of retro.
//
//   RETURN_IF_ERROR(store.Write(batch));
//   ASSIGN_OR_RETURN(Session session, store.GetSession(ref));
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RETRO_CONCAT_INNER(a, b) a##b
#define RETRO_CONCAT(a, b) RETRO_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status retro_status_ = (expr);         \
    if (!retro_status_.ok()) return retro_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  RETRO_ASSIGN_OR_RETURN_IMPL(RETRO_CONCAT(retro_statusor_, __LINE__), lhs, expr)

#define RETRO_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()
