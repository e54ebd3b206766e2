// DirectoryStore: organizations, teams, users and tokens, and the replies
// remembered under request ids. Thread-safe. Creations check and write under
// one mutex so that two racing creates of one id cannot both succeed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "retro/v1/resources.pb.h"
#include "storage/database.h"
#include "storage/event_log.h"
#include "storage/records.pb.h"

namespace retro::storage {

class DirectoryStore {
 public:
  // database is borrowed and must outlive the store.
  explicit DirectoryStore(Database& database) : database_(database) {}

  // Creates the organization, its first user and that user's token in one
  // write. ALREADY_EXISTS when the organization exists. The reply is
  // remembered under organization "" (root belongs to none).
  [[nodiscard]] absl::Status CreateOrganization(const std::string& org_id,
                                                const retro::v1::Organization& organization,
                                                const std::string& admin_user_id,
                                                const retro::v1::User& admin_user,
                                                const TokenRecord& admin_token,
                                                const std::optional<RequestWrite>& request);
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Organization>> GetOrganization(
      const std::string& org_id);

  // ALREADY_EXISTS when the team exists.
  [[nodiscard]] absl::Status CreateTeam(const std::string& org_id, const std::string& team_id,
                                        const retro::v1::Team& team,
                                        const std::optional<RequestWrite>& request);
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::Team>> GetTeam(const std::string& org_id,
                                                                       const std::string& team_id);

  // ALREADY_EXISTS when the user exists.
  [[nodiscard]] absl::Status CreateUser(const std::string& org_id, const std::string& user_id,
                                        const retro::v1::User& user,
                                        const std::optional<RequestWrite>& request);
  [[nodiscard]] absl::StatusOr<std::optional<retro::v1::User>> GetUser(const std::string& org_id,
                                                                       const std::string& user_id);

  // Writes (creates or replaces) a token record, with an optional reply.
  [[nodiscard]] absl::Status PutToken(const TokenRecord& token,
                                      const std::optional<RequestWrite>& request);
  [[nodiscard]] absl::StatusOr<std::optional<TokenRecord>> GetToken(const std::string& token_id);

  // The reply remembered for a request of a user, if any.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetRequest(
      const std::string& org_id, const std::string& user_id, const std::string& method,
      const std::string& request_id);

 private:
  Database& database_;
  absl::Mutex create_mu_;  // Serializes check-then-write creations.
};

// Adds a remembered reply to a batch (shared by the stores and the log).
void AddRequestWrite(const std::string& org_id, const RequestWrite& request,
                     Database::Batch& batch);

}  // namespace retro::storage
