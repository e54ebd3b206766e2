// AdminController: organizations, teams, users and tokens; and
// Authenticate, which turns a bearer token into a Caller.
//
// Tokens are random, shown once, stored as SHA-256 only and checked in
// constant time. The root token (from --root_token_file) is held only as
// its hash. Thread-safe; references are borrowed and must outlive it.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "retro/v1/admin_service.pb.h"
#include "services/common/clock.h"
#include "services/core/caller.h"
#include "storage/directory_store.h"

namespace retro::core {

class AdminController {
 public:
  // backup writes a copy of the data to a directory (Database::Checkpoint).
  AdminController(storage::DirectoryStore& directory, Clock& clock, std::string root_token_sha256,
                  std::function<absl::StatusOr<uint64_t>(const std::string&)> backup)
      : directory_(directory),
        clock_(clock),
        root_token_sha256_(std::move(root_token_sha256)),
        backup_(std::move(backup)) {}

  // The caller a bearer token (without "Bearer ") stands for;
  // UNAUTHENTICATED when it is unknown, malformed or revoked.
  absl::StatusOr<Caller> Authenticate(absl::string_view token);

  absl::StatusOr<retro::v1::CreateOrganizationResponse> CreateOrganization(
      const Caller& caller, const retro::v1::CreateOrganizationRequest& request);
  absl::StatusOr<retro::v1::Team> CreateTeam(const Caller& caller,
                                             const retro::v1::CreateTeamRequest& request);
  absl::StatusOr<retro::v1::User> CreateUser(const Caller& caller,
                                             const retro::v1::CreateUserRequest& request);
  absl::StatusOr<retro::v1::IssueTokenResponse> IssueToken(
      const Caller& caller, const retro::v1::IssueTokenRequest& request);
  absl::StatusOr<retro::v1::Token> RevokeToken(const Caller& caller,
                                               const retro::v1::RevokeTokenRequest& request);
  absl::StatusOr<retro::v1::WhoAmIResponse> WhoAmI(const Caller& caller);
  absl::StatusOr<retro::v1::CreateBackupResponse> CreateBackup(
      const Caller& caller, const retro::v1::CreateBackupRequest& request);

 private:
  // A new token for a user: the record to store and the secret to show.
  std::pair<storage::TokenRecord, std::string> NewToken(const std::string& org_id,
                                                        const std::string& user_id,
                                                        const std::string& display_name);
  retro::v1::Token TokenView(const storage::TokenRecord& record) const;
  template <typename Reply>
  absl::StatusOr<std::optional<Reply>> Remembered(const Caller& caller, const char* method,
                                                  const std::string& request_id);

  storage::DirectoryStore& directory_;
  Clock& clock_;
  const std::string root_token_sha256_;
  const std::function<absl::StatusOr<uint64_t>(const std::string&)> backup_;
};

}  // namespace retro::core
