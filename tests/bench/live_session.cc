#include "tests/bench/live_session.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/strip.h"
#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"

namespace retro::bench {
namespace {

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

}  // namespace

absl::StatusOr<LiveSession> OpenLiveSession(const std::shared_ptr<grpc::Channel>& channel,
                                            const std::string& root_token_file) {
  std::ifstream in(root_token_file);
  std::stringstream root;
  root << in.rdbuf();
  auto admin = retro::v1::AdminService::NewStub(channel);
  auto sessions = retro::v1::SessionService::NewStub(channel);
  retro::v1::CreateOrganizationRequest org;
  org.set_organization_id("bench");
  org.set_admin_user_id("presenter");
  retro::v1::CreateOrganizationResponse made;
  grpc::Status status = admin->CreateOrganization(
      Context(std::string(absl::StripAsciiWhitespace(root.str()))).get(), org, &made);
  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Company-wide loss review");
  create.mutable_session()->set_visibility(retro::v1::ORGANIZATION);
  retro::v1::Session session;
  if (status.ok())
    status = sessions->CreateSession(Context(made.admin_token()).get(), create, &session);
  retro::v1::StartSessionRequest start;
  start.set_name(session.name());
  if (status.ok())
    status = sessions->StartSession(Context(made.admin_token()).get(), start, &session);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        "setting up the benchmark session: " + status.error_message());
  }
  return LiveSession{made.admin_token(), session.name()};
}

}  // namespace retro::bench
