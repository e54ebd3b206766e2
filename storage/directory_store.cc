#include "storage/directory_store.h"

#include "storage/keys.h"
#include "storage/record_io.h"
#include "storage/status_macros.h"

namespace retro::storage {

void AddRequestWrite(const std::string& org_id, const RequestWrite& request,
                     Database::Batch& batch) {
  RequestRecord record;
  record.set_response(request.response);
  batch.Put(Table::kRequests,
            keys::Request(org_id, request.user_id, request.method, request.request_id),
            record.SerializeAsString());
}

absl::Status DirectoryStore::CreateOrganization(const std::string& org_id,
                                                const retro::v1::Organization& organization,
                                                const std::string& admin_user_id,
                                                const retro::v1::User& admin_user,
                                                const TokenRecord& admin_token,
                                                const std::optional<RequestWrite>& request) {
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> existing,
                   database_.Get(Table::kDirectory, keys::Organization(org_id)));
  if (existing) return absl::AlreadyExistsError("organization " + org_id + " already exists");
  Database::Batch batch;
  batch.Put(Table::kDirectory, keys::Organization(org_id), organization.SerializeAsString());
  batch.Put(Table::kDirectory, keys::User(org_id, admin_user_id), admin_user.SerializeAsString());
  batch.Put(Table::kDirectory, keys::Token(admin_token.token_id()),
            admin_token.SerializeAsString());
  // The root token belongs to no organization: its replies are kept under "".
  if (request) AddRequestWrite("", *request, batch);
  return database_.Write(batch);
}

absl::StatusOr<std::optional<retro::v1::Organization>> DirectoryStore::GetOrganization(
    const std::string& org_id) {
  return GetRecord<retro::v1::Organization>(database_, Table::kDirectory,
                                            keys::Organization(org_id));
}

absl::Status DirectoryStore::CreateTeam(const std::string& org_id, const std::string& team_id,
                                        const retro::v1::Team& team,
                                        const std::optional<RequestWrite>& request) {
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> existing,
                   database_.Get(Table::kDirectory, keys::Team(org_id, team_id)));
  if (existing) return absl::AlreadyExistsError("team " + team_id + " already exists");
  Database::Batch batch;
  batch.Put(Table::kDirectory, keys::Team(org_id, team_id), team.SerializeAsString());
  if (request) AddRequestWrite(org_id, *request, batch);
  return database_.Write(batch);
}

absl::StatusOr<std::optional<retro::v1::Team>> DirectoryStore::GetTeam(const std::string& org_id,
                                                                       const std::string& team_id) {
  return GetRecord<retro::v1::Team>(database_, Table::kDirectory, keys::Team(org_id, team_id));
}

absl::Status DirectoryStore::CreateUser(const std::string& org_id, const std::string& user_id,
                                        const retro::v1::User& user,
                                        const std::optional<RequestWrite>& request) {
  absl::MutexLock lock(&create_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> existing,
                   database_.Get(Table::kDirectory, keys::User(org_id, user_id)));
  if (existing) return absl::AlreadyExistsError("user " + user_id + " already exists");
  Database::Batch batch;
  batch.Put(Table::kDirectory, keys::User(org_id, user_id), user.SerializeAsString());
  if (request) AddRequestWrite(org_id, *request, batch);
  return database_.Write(batch);
}

absl::StatusOr<std::optional<retro::v1::User>> DirectoryStore::GetUser(const std::string& org_id,
                                                                       const std::string& user_id) {
  return GetRecord<retro::v1::User>(database_, Table::kDirectory, keys::User(org_id, user_id));
}

absl::Status DirectoryStore::PutToken(const TokenRecord& token,
                                      const std::optional<RequestWrite>& request) {
  Database::Batch batch;
  batch.Put(Table::kDirectory, keys::Token(token.token_id()), token.SerializeAsString());
  if (request) AddRequestWrite(token.organization_id(), *request, batch);
  return database_.Write(batch);
}

absl::StatusOr<std::optional<TokenRecord>> DirectoryStore::GetToken(const std::string& token_id) {
  return GetRecord<TokenRecord>(database_, Table::kDirectory, keys::Token(token_id));
}

absl::StatusOr<std::optional<std::string>> DirectoryStore::GetRequest(
    const std::string& org_id, const std::string& user_id, const std::string& method,
    const std::string& request_id) {
  ASSIGN_OR_RETURN(std::optional<RequestRecord> record,
                   GetRecord<RequestRecord>(database_, Table::kRequests,
                                            keys::Request(org_id, user_id, method, request_id)));
  if (!record) return std::nullopt;
  return record->response();
}

}  // namespace retro::storage
