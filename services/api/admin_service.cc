#include "services/api/handler.h"
#include "services/api/services.h"

namespace retro::api {

grpc::Status AdminServiceImpl::CreateOrganization(
    grpc::ServerContext* context, const retro::v1::CreateOrganizationRequest* request,
    retro::v1::CreateOrganizationResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return admin_.CreateOrganization(caller, *request);
  });
}

grpc::Status AdminServiceImpl::CreateTeam(grpc::ServerContext* context,
                                          const retro::v1::CreateTeamRequest* request,
                                          retro::v1::Team* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.CreateTeam(caller, *request); });
}

grpc::Status AdminServiceImpl::CreateUser(grpc::ServerContext* context,
                                          const retro::v1::CreateUserRequest* request,
                                          retro::v1::User* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.CreateUser(caller, *request); });
}

grpc::Status AdminServiceImpl::IssueToken(grpc::ServerContext* context,
                                          const retro::v1::IssueTokenRequest* request,
                                          retro::v1::IssueTokenResponse* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.IssueToken(caller, *request); });
}

grpc::Status AdminServiceImpl::RevokeToken(grpc::ServerContext* context,
                                           const retro::v1::RevokeTokenRequest* request,
                                           retro::v1::Token* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.RevokeToken(caller, *request); });
}

grpc::Status AdminServiceImpl::WhoAmI(grpc::ServerContext* context,
                                      const retro::v1::WhoAmIRequest* /*request*/,
                                      retro::v1::WhoAmIResponse* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.WhoAmI(caller); });
}

grpc::Status AdminServiceImpl::CreateBackup(grpc::ServerContext* context,
                                            const retro::v1::CreateBackupRequest* request,
                                            retro::v1::CreateBackupResponse* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return admin_.CreateBackup(caller, *request); });
}

}  // namespace retro::api
