// The shape every unary handler shares: authenticate from the
// "authorization: Bearer <token>" metadata, run the controller, map the
// status; Handle for the synchronous API, HandleAsync for the callback API.
// Internal to services/api.
#pragma once

#include <string>

#include "absl/strings/match.h"
#include "grpcpp/grpcpp.h"
#include "services/api/grpc_status.h"
#include "services/core/admin_controller.h"

namespace retro::api {

// The caller the request's bearer token stands for.
inline absl::StatusOr<core::Caller> Authenticate(core::AdminController& admin,
                                                 const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kBearer)) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  absl::StatusOr<core::Caller> caller = admin.Authenticate(value.substr(kBearer.size()));
  if (caller.ok() && context.deadline() != std::chrono::system_clock::time_point::max()) {
    caller->deadline = absl::FromChrono(context.deadline());
  }
  return caller;
}

template <typename Response, typename Run>
grpc::Status Handle(core::AdminController& admin, grpc::ServerContext* context, Response* response,
                    Run run) {
  absl::StatusOr<core::Caller> caller = Authenticate(admin, *context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<Response> result = run(*caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

// For a callback-API method whose controller replies through a callback
// (possibly on another thread): `start(caller, done)` must call done once.
// The response is gRPC's, valid until the reactor finishes.
template <typename Response, typename Start>
grpc::ServerUnaryReactor* HandleAsync(core::AdminController& admin,
                                      grpc::CallbackServerContext* context, Response* response,
                                      Start start) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<core::Caller> caller = Authenticate(admin, *context);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  start(*caller, [reactor, response](absl::StatusOr<Response> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

}  // namespace retro::api
