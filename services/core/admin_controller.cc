#include "services/core/admin_controller.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/secrets.h"
#include "services/common/time_util.h"
#include "services/common/validation.h"
#include "storage/status_macros.h"

namespace retro::core {
namespace {

absl::Status RequireAdmin(const Caller& caller) {
  if (caller.root) return absl::PermissionDeniedError("the root token only creates organizations");
  if (caller.role != retro::v1::ADMIN)
    return absl::PermissionDeniedError("requires the ADMIN role");
  return absl::OkStatus();
}

// The organization that answers for root's remembered replies.
constexpr char kRootScope[] = "";
constexpr char kRootUser[] = "root";

}  // namespace

absl::StatusOr<Caller> AdminController::Authenticate(absl::string_view token) {
  const absl::Status unauthenticated = absl::UnauthenticatedError("invalid or revoked token");
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  if (!root_token_sha256_.empty() && ConstantTimeEquals(Sha256(token), root_token_sha256_)) {
    Caller root;
    root.root = true;
    root.user_id = kRootUser;
    root.token_id = "root";
    return root;
  }
  std::optional<TokenParts> parts = ParseToken(token);
  if (!parts) return unauthenticated;
  ASSIGN_OR_RETURN(std::optional<storage::TokenRecord> record,
                   directory_.GetToken(parts->token_id));
  // Hash even when the record is missing, so timing says nothing about ids.
  std::string hash = Sha256(parts->secret);
  if (!record || !ConstantTimeEquals(hash, record->secret_sha256()) || record->revoked()) {
    return unauthenticated;
  }
  ASSIGN_OR_RETURN(std::optional<retro::v1::User> user,
                   directory_.GetUser(record->organization_id(), record->user_id()));
  if (!user) return unauthenticated;
  Caller caller;
  caller.org_id = record->organization_id();
  caller.user_id = record->user_id();
  caller.role = user->role();
  caller.team_ids.assign(user->team_ids().begin(), user->team_ids().end());
  caller.token_id = record->token_id();
  return caller;
}

std::pair<storage::TokenRecord, std::string> AdminController::NewToken(
    const std::string& org_id, const std::string& user_id, const std::string& display_name) {
  TokenParts parts{RandomTokenId(), RandomSecret()};
  storage::TokenRecord record;
  record.set_token_id(parts.token_id);
  record.set_organization_id(org_id);
  record.set_user_id(user_id);
  record.set_secret_sha256(Sha256(parts.secret));
  record.set_display_name(display_name);
  record.set_create_time_micros(absl::ToUnixMicros(clock_.Now()));
  return {std::move(record), FormatToken(parts)};
}

retro::v1::Token AdminController::TokenView(const storage::TokenRecord& record) const {
  retro::v1::Token token;
  token.set_name(TokenName(record.token_id()));
  token.set_user(UserName(record.user_id()));
  token.set_display_name(record.display_name());
  SetTimestamp(absl::FromUnixMicros(record.create_time_micros()), token.mutable_create_time());
  token.set_revoked(record.revoked());
  return token;
}

template <typename Reply>
absl::StatusOr<std::optional<Reply>> AdminController::Remembered(const Caller& caller,
                                                                 const char* method,
                                                                 const std::string& request_id) {
  RETURN_IF_ERROR(CheckRequestId("request_id", request_id));
  if (request_id.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                   directory_.GetRequest(caller.root ? kRootScope : caller.org_id, caller.user_id,
                                         method, request_id));
  if (!bytes) return std::nullopt;
  Reply reply;
  if (!reply.ParseFromString(*bytes)) return absl::DataLossError("unreadable reply");
  return reply;
}

absl::StatusOr<retro::v1::CreateOrganizationResponse> AdminController::CreateOrganization(
    const Caller& caller, const retro::v1::CreateOrganizationRequest& request) {
  if (!caller.root) return absl::PermissionDeniedError("requires the root token");
  RETURN_IF_ERROR(CheckId("organization_id", request.organization_id()));
  RETURN_IF_ERROR(
      CheckText("display_name", request.display_name(), kMaxShortTextBytes, true, true));
  RETURN_IF_ERROR(CheckId("admin_user_id", request.admin_user_id()));
  RETURN_IF_ERROR(CheckText("admin_display_name", request.admin_display_name(), kMaxShortTextBytes,
                            true, true));
  const char* method = "CreateOrganization";
  ASSIGN_OR_RETURN(auto remembered, Remembered<retro::v1::CreateOrganizationResponse>(
                                        caller, method, request.request_id()));
  if (remembered) return *remembered;  // The token is shown once: not again.

  absl::Time now = clock_.Now();
  retro::v1::CreateOrganizationResponse response;
  retro::v1::Organization* organization = response.mutable_organization();
  organization->set_name(OrganizationName(request.organization_id()));
  organization->set_display_name(request.display_name().empty() ? request.organization_id()
                                                                : request.display_name());
  SetTimestamp(now, organization->mutable_create_time());
  retro::v1::User* admin = response.mutable_admin_user();
  admin->set_name(UserName(request.admin_user_id()));
  admin->set_display_name(request.admin_display_name().empty() ? request.admin_user_id()
                                                               : request.admin_display_name());
  admin->set_role(retro::v1::ADMIN);
  SetTimestamp(now, admin->mutable_create_time());
  auto [token, secret] = NewToken(request.organization_id(), request.admin_user_id(), "admin");
  std::optional<storage::RequestWrite> remember;
  if (!request.request_id().empty()) {
    remember = storage::RequestWrite{kRootUser, method, request.request_id(),
                                     response.SerializeAsString()};
  }
  RETURN_IF_ERROR(directory_.CreateOrganization(request.organization_id(), *organization,
                                                request.admin_user_id(), *admin, token, remember));
  response.set_admin_token(secret);
  return response;
}

absl::StatusOr<retro::v1::Team> AdminController::CreateTeam(
    const Caller& caller, const retro::v1::CreateTeamRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  RETURN_IF_ERROR(CheckId("team_id", request.team_id()));
  RETURN_IF_ERROR(CheckText("team.display_name", request.team().display_name(), kMaxShortTextBytes,
                            true, true));
  const char* method = "CreateTeam";
  ASSIGN_OR_RETURN(auto remembered,
                   Remembered<retro::v1::Team>(caller, method, request.request_id()));
  if (remembered) return *remembered;
  retro::v1::Team team;
  team.set_name(TeamName(request.team_id()));
  team.set_display_name(request.team().display_name().empty() ? request.team_id()
                                                              : request.team().display_name());
  SetTimestamp(clock_.Now(), team.mutable_create_time());
  std::optional<storage::RequestWrite> remember;
  if (!request.request_id().empty()) {
    remember = storage::RequestWrite{caller.user_id, method, request.request_id(),
                                     team.SerializeAsString()};
  }
  RETURN_IF_ERROR(directory_.CreateTeam(caller.org_id, request.team_id(), team, remember));
  return team;
}

absl::StatusOr<retro::v1::User> AdminController::CreateUser(
    const Caller& caller, const retro::v1::CreateUserRequest& request) {
  RETURN_IF_ERROR(RequireAdmin(caller));
  RETURN_IF_ERROR(CheckId("user_id", request.user_id()));
  const retro::v1::User& draft = request.user();
  RETURN_IF_ERROR(
      CheckText("user.display_name", draft.display_name(), kMaxShortTextBytes, true, true));
  if (!retro::v1::Role_IsValid(draft.role()) || draft.role() == retro::v1::ROLE_UNSPECIFIED) {
    return InvalidField("user.role", "must be ADMIN, ENABLEMENT or MEMBER");
  }
  if (draft.team_ids_size() > 50) return InvalidField("user.team_ids", "at most 50 teams");
  std::set<std::string> seen;
  for (int i = 0; i < draft.team_ids_size(); ++i) {
    std::string field = absl::StrCat("user.team_ids[", i, "]");
    RETURN_IF_ERROR(CheckId(field, draft.team_ids(i)));
    if (!seen.insert(draft.team_ids(i)).second) return InvalidField(field, "repeats a team");
    ASSIGN_OR_RETURN(auto team, directory_.GetTeam(caller.org_id, draft.team_ids(i)));
    if (!team) return InvalidField(field, absl::StrCat("no team '", draft.team_ids(i), "'"));
  }
  const char* method = "CreateUser";
  ASSIGN_OR_RETURN(auto remembered,
                   Remembered<retro::v1::User>(caller, method, request.request_id()));
  if (remembered) return *remembered;
  retro::v1::User user = draft;
  user.set_name(UserName(request.user_id()));
  if (user.display_name().empty()) user.set_display_name(request.user_id());
  SetTimestamp(clock_.Now(), user.mutable_create_time());
  std::optional<storage::RequestWrite> remember;
  if (!request.request_id().empty()) {
    remember = storage::RequestWrite{caller.user_id, method, request.request_id(),
                                     user.SerializeAsString()};
  }
  RETURN_IF_ERROR(directory_.CreateUser(caller.org_id, request.user_id(), user, remember));
  return user;
}

absl::StatusOr<retro::v1::IssueTokenResponse> AdminController::IssueToken(
    const Caller& caller, const retro::v1::IssueTokenRequest& request) {
  if (caller.root) return absl::PermissionDeniedError("the root token only creates organizations");
  std::string user_id = caller.user_id;
  if (!request.user().empty()) {
    ASSIGN_OR_RETURN(auto ids, ParseName("user", request.user(), {"users"}));
    user_id = ids[0];
  }
  if (user_id != caller.user_id && caller.role != retro::v1::ADMIN) {
    return absl::PermissionDeniedError("only an ADMIN issues tokens for other users");
  }
  RETURN_IF_ERROR(
      CheckText("display_name", request.display_name(), kMaxShortTextBytes, true, true));
  ASSIGN_OR_RETURN(auto user, directory_.GetUser(caller.org_id, user_id));
  if (!user) return absl::NotFoundError(absl::StrCat("user ", UserName(user_id), " not found"));
  const char* method = "IssueToken";
  ASSIGN_OR_RETURN(auto remembered,
                   Remembered<retro::v1::IssueTokenResponse>(caller, method, request.request_id()));
  if (remembered) return *remembered;  // Without the secret: it is shown once.
  auto [record, secret] = NewToken(caller.org_id, user_id, request.display_name());
  retro::v1::IssueTokenResponse response;
  *response.mutable_token() = TokenView(record);
  std::optional<storage::RequestWrite> remember;
  if (!request.request_id().empty()) {
    // Remembered without the secret: only its hash is ever stored.
    remember = storage::RequestWrite{caller.user_id, method, request.request_id(),
                                     response.SerializeAsString()};
  }
  RETURN_IF_ERROR(directory_.PutToken(record, remember));
  response.set_secret(secret);
  return response;
}

absl::StatusOr<retro::v1::Token> AdminController::RevokeToken(
    const Caller& caller, const retro::v1::RevokeTokenRequest& request) {
  if (caller.root) return absl::PermissionDeniedError("the root token only creates organizations");
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"tokens"}));
  ASSIGN_OR_RETURN(auto record, directory_.GetToken(ids[0]));
  bool allowed = record && record->organization_id() == caller.org_id &&
                 (caller.role == retro::v1::ADMIN || record->user_id() == caller.user_id);
  if (!allowed) return absl::NotFoundError(absl::StrCat("token ", request.name(), " not found"));
  if (!record->revoked()) {
    record->set_revoked(true);
    RETURN_IF_ERROR(directory_.PutToken(*record, std::nullopt));
  }
  return TokenView(*record);
}

absl::StatusOr<retro::v1::WhoAmIResponse> AdminController::WhoAmI(const Caller& caller) {
  retro::v1::WhoAmIResponse response;
  response.set_root(caller.root);
  response.set_token(TokenName(caller.token_id));
  if (caller.root) return response;
  ASSIGN_OR_RETURN(auto organization, directory_.GetOrganization(caller.org_id));
  if (organization) *response.mutable_organization() = *organization;
  ASSIGN_OR_RETURN(auto user, directory_.GetUser(caller.org_id, caller.user_id));
  if (user) *response.mutable_user() = *user;
  return response;
}

absl::StatusOr<retro::v1::CreateBackupResponse> AdminController::CreateBackup(
    const Caller& caller, const retro::v1::CreateBackupRequest& request) {
  if (!caller.root) return absl::PermissionDeniedError("backups need the root token");
  const std::string& dir = request.directory();
  RETURN_IF_ERROR(CheckText("directory", dir, 4096, false, true));
  if (dir.front() != '/') return InvalidField("directory", "must be an absolute path");
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("directory: ", dir, " already exists"));
  }
  ASSIGN_OR_RETURN(uint64_t bytes, backup_(dir));
  retro::v1::CreateBackupResponse response;
  response.set_directory(dir);
  response.set_size_bytes(bytes);
  SetTimestamp(clock_.Now(), response.mutable_create_time());
  return response;
}

}  // namespace retro::core
