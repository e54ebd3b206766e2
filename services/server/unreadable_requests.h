// UnreadableRequestFactory: turns gRPC's answer to a request whose bytes do
// not parse (INTERNAL from a synchronous method, UNIMPLEMENTED from a
// callback one, both with no message) into INVALID_ARGUMENT naming the
// message type, so a client that sends garbage, a string field that is not
// valid UTF-8, or an unknown field nested past protobuf's depth limit learns
// that its request is at fault, not the server.
//
// gRPC parses a request before any handler runs, so only an interceptor
// sees these. Thread-safe; one interceptor per call.
#pragma once

#include "grpcpp/support/server_interceptor.h"

namespace retro::server {

class UnreadableRequestFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace retro::server
