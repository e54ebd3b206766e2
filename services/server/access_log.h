// AccessLog: one structured (JSON) line per RPC, written to a sink:
//
//   {"time":"2026-11-22T23:30:01.123Z","request_id":"3f2a...","method":"/retro.v1.SessionService/GetSession",
//    "status":"NOT_FOUND","latency_ms":0.412,"peer":"ipv4:127.0.0.1:53312"}
//
// The request id is the client's "x-request-id" metadata when it is a sane
// token ([A-Za-z0-9_-], at most 64), else a fresh random one. Nothing from
// the request's body or its authorization header is logged. Thread-safe.
//
// Unary calls are logged by an interceptor. Streams are not: gRPC runs a
// call's interceptors on every message, which for WatchSession means every
// event to every watcher, so the stream logs its own end with
// AccessLogLine.
#pragma once

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace grpc {
class ServerContextBase;
class Status;
}  // namespace grpc

namespace retro::server {

// The line for a call of `method` that ended with `status` after `elapsed`.
std::string AccessLogLine(const grpc::ServerContextBase& context, absl::string_view method,
                          const grpc::Status& status, absl::Duration elapsed);

class AccessLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // sink receives whole lines (without the newline); called from gRPC's threads.
  explicit AccessLogFactory(std::function<void(const std::string&)> sink)
      : sink_(std::move(sink)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::function<void(const std::string&)> sink_;
};

}  // namespace retro::server
