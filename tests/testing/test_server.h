// TestServer: an in-process RetroServer on a loopback port in a temporary
// directory, with a fixed clock and sequential ids, plus stubs and a
// populated organization to call it with. One per test; not thread-safe
// except the stubs, which are.
#pragma once

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/server/retro_server.h"
#include "tests/testing/temp_dir.h"

namespace retro::testing {

class TestServer {
 public:
  explicit TestServer(server::ServerOptions options = {});
  ~TestServer();

  // Stops and starts the server on the same data directory (a new port).
  void Restart();
  void Stop();

  const std::string& address() const { return server_->address(); }
  std::string root_token() const;
  FakeClock& clock() { return clock_; }
  const TempDir& dir() const { return dir_; }

  retro::v1::AdminService::Stub& admin() { return *admin_; }
  retro::v1::SessionService::Stub& sessions() { return *sessions_; }
  retro::v1::AnnotationService::Stub& annotations() { return *annotations_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  // A fresh channel of its own (its own HTTP/2 connection).
  std::shared_ptr<grpc::Channel> NewChannel() const;

 private:
  void Connect();

  TempDir dir_;
  FakeClock clock_;
  SequentialIdGenerator ids_;
  server::ServerOptions options_;
  std::unique_ptr<server::RetroServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<retro::v1::AdminService::Stub> admin_;
  std::unique_ptr<retro::v1::SessionService::Stub> sessions_;
  std::unique_ptr<retro::v1::AnnotationService::Stub> annotations_;
};

// A ClientContext carrying "authorization: Bearer <token>", with a deadline.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token);

// An organization with teams "east" and "west" and users:
// admin (ADMIN), enable (ENABLEMENT), rep (MEMBER, east), mate (MEMBER,
// east), other (MEMBER, west). Tokens by user id.
struct Org {
  std::string id;
  std::map<std::string, std::string> tokens;
  const std::string& operator[](const std::string& user) const { return tokens.at(user); }
};
Org MakeOrg(TestServer& server, const std::string& org_id);

// Creates a session titled title as the token's user and starts it (LIVE).
// Throws on failure, like MakeOrg.
retro::v1::Session StartLiveSession(TestServer& server, const std::string& token,
                                    const std::string& title);

// The google.rpc.BadRequest field a status names, or "".
std::string BadRequestField(const grpc::Status& status);

}  // namespace retro::testing
