// One channel to retrod with the four service stubs, and the per-call
// context (bearer token, deadline). Stubs are thread-safe; a ClientContext is
// for one call.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/cli/config.h"
#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"

namespace retro::cli {

class Connection {
 public:
  // Reads the CA/certificate files named in `credentials`.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Credentials& credentials,
                                                          std::chrono::milliseconds timeout);

  // A context carrying the token; `deadline` false for streams that stay
  // open (watch), which rely on keepalive instead.
  std::unique_ptr<grpc::ClientContext> NewContext(bool deadline = true) const;

  retro::v1::AdminService::Stub& admin() { return *admin_; }
  retro::v1::SessionService::Stub& sessions() { return *sessions_; }
  retro::v1::AnnotationService::Stub& annotations() { return *annotations_; }
  retro::v1::LibraryService::Stub& library() { return *library_; }
  const std::string& server() const { return server_; }

 private:
  Connection() = default;

  std::string server_, token_;
  std::chrono::milliseconds timeout_{30000};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<retro::v1::AdminService::Stub> admin_;
  std::unique_ptr<retro::v1::SessionService::Stub> sessions_;
  std::unique_ptr<retro::v1::AnnotationService::Stub> annotations_;
  std::unique_ptr<retro::v1::LibraryService::Stub> library_;
};

// A gRPC status as an absl::Status with the same code and message, so
// commands handle one kind of error.
absl::Status FromGrpc(const grpc::Status& status);

// "NOT_FOUND: session sessions/x not found" -> one line for the terminal.
std::string Describe(const absl::Status& status);

}  // namespace retro::cli
