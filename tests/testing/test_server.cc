#include "tests/testing/test_server.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace retro::testing {

TestServer::TestServer(server::ServerOptions options) : ids_("id"), options_(std::move(options)) {
  options_.listen = "127.0.0.1:0";
  options_.data_dir = dir_.Join("data");
  options_.root_token_file = dir_.Join("root_token");
  options_.clock = &clock_;
  options_.ids = &ids_;
  Restart();
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  if (server_) server_->Shutdown(absl::Seconds(5));
  server_.reset();
}

void TestServer::Restart() {
  Stop();
  auto server = server::RetroServer::Start(options_);
  if (!server.ok()) throw std::runtime_error(std::string(server.status().message()));
  server_ = std::move(*server);
  Connect();
}

std::shared_ptr<grpc::Channel> TestServer::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server_->address(), grpc::InsecureChannelCredentials(), args);
}

void TestServer::Connect() {
  channel_ = NewChannel();
  admin_ = retro::v1::AdminService::NewStub(channel_);
  sessions_ = retro::v1::SessionService::NewStub(channel_);
  annotations_ = retro::v1::AnnotationService::NewStub(channel_);
}

std::string TestServer::root_token() const {
  std::ifstream in(options_.root_token_file);
  std::stringstream content;
  content << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(content.str()));
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

Org MakeOrg(TestServer& server, const std::string& org_id) {
  Org org;
  org.id = org_id;
  retro::v1::CreateOrganizationRequest create;
  create.set_organization_id(org_id);
  create.set_display_name("Org " + org_id);
  create.set_admin_user_id("admin");
  retro::v1::CreateOrganizationResponse created;
  grpc::Status status =
      server.admin().CreateOrganization(Ctx(server.root_token()).get(), create, &created);
  if (!status.ok()) throw std::runtime_error("CreateOrganization: " + status.error_message());
  org.tokens["admin"] = created.admin_token();
  for (const char* team_id : {"east", "west"}) {
    retro::v1::CreateTeamRequest team;
    team.set_team_id(team_id);
    retro::v1::Team out;
    status = server.admin().CreateTeam(Ctx(org["admin"]).get(), team, &out);
    if (!status.ok()) throw std::runtime_error("CreateTeam: " + status.error_message());
  }
  struct Spec {
    const char* id;
    retro::v1::Role role;
    const char* team;
  };
  for (Spec spec :
       {Spec{"enable", retro::v1::ENABLEMENT, ""}, Spec{"rep", retro::v1::MEMBER, "east"},
        Spec{"mate", retro::v1::MEMBER, "east"}, Spec{"other", retro::v1::MEMBER, "west"}}) {
    retro::v1::CreateUserRequest user;
    user.set_user_id(spec.id);
    user.mutable_user()->set_role(spec.role);
    if (*spec.team) user.mutable_user()->add_team_ids(spec.team);
    retro::v1::User out;
    status = server.admin().CreateUser(Ctx(org["admin"]).get(), user, &out);
    if (!status.ok()) throw std::runtime_error("CreateUser: " + status.error_message());
    retro::v1::IssueTokenRequest issue;
    issue.set_user(std::string("users/") + spec.id);
    retro::v1::IssueTokenResponse token;
    status = server.admin().IssueToken(Ctx(org["admin"]).get(), issue, &token);
    if (!status.ok()) throw std::runtime_error("IssueToken: " + status.error_message());
    org.tokens[spec.id] = token.secret();
  }
  return org;
}

retro::v1::Session StartLiveSession(TestServer& server, const std::string& token,
                                    const std::string& title) {
  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title(title);
  retro::v1::Session session;
  grpc::Status status = server.sessions().CreateSession(Ctx(token).get(), create, &session);
  if (!status.ok()) throw std::runtime_error("CreateSession: " + status.error_message());
  retro::v1::StartSessionRequest start;
  start.set_name(session.name());
  status = server.sessions().StartSession(Ctx(token).get(), start, &session);
  if (!status.ok()) throw std::runtime_error("StartSession: " + status.error_message());
  return session;
}

std::string BadRequestField(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (any.UnpackTo(&bad_request) && bad_request.field_violations_size() > 0) {
      return bad_request.field_violations(0).field();
    }
  }
  return "";
}

}  // namespace retro::testing
