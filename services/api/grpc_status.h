// The one place where absl statuses become gRPC statuses. An
// INVALID_ARGUMENT that names a field carries a google.rpc.BadRequest in the
// standard grpc-status-details-bin trailer. Pure function, thread-safe.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace retro::api {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace retro::api
