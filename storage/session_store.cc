#include "storage/session_store.h"

#include "absl/strings/str_cat.h"
#include "storage/keys.h"
#include "storage/record_io.h"
#include "storage/status_macros.h"

namespace retro::storage {

absl::StatusOr<std::optional<retro::v1::Session>> SessionStore::GetSession(const SessionRef& ref) {
  return GetRecord<retro::v1::Session>(database_, Table::kSessions,
                                       keys::Session(ref.org_id, ref.session_id));
}

absl::Status SessionStore::ScanSessions(const std::string& org_id, const std::string& after_id,
                                        const std::function<bool(retro::v1::Session&&)>& visit) {
  return ScanRecords<retro::v1::Session>(database_, Table::kSessions, keys::SessionPrefix(org_id),
                                         after_id, visit);
}

absl::StatusOr<std::optional<retro::v1::Annotation>> SessionStore::GetAnnotation(
    const SessionRef& ref, const std::string& annotation_id) {
  return GetRecord<retro::v1::Annotation>(database_, Table::kAnnotations,
                                          keys::Child(ref.org_id, ref.session_id, annotation_id));
}

absl::Status SessionStore::ScanAnnotations(
    const SessionRef& ref, const std::string& after_id,
    const std::function<bool(retro::v1::Annotation&&)>& visit) {
  return ScanRecords<retro::v1::Annotation>(database_, Table::kAnnotations,
                                            keys::SessionChildPrefix(ref.org_id, ref.session_id),
                                            after_id, visit);
}

absl::StatusOr<std::optional<retro::v1::ActionItem>> SessionStore::GetActionItem(
    const SessionRef& ref, const std::string& item_id) {
  return GetRecord<retro::v1::ActionItem>(database_, Table::kActionItems,
                                          keys::Child(ref.org_id, ref.session_id, item_id));
}

absl::Status SessionStore::ScanActionItems(
    const SessionRef& ref, const std::string& after_id,
    const std::function<bool(retro::v1::ActionItem&&)>& visit) {
  return ScanRecords<retro::v1::ActionItem>(database_, Table::kActionItems,
                                            keys::SessionChildPrefix(ref.org_id, ref.session_id),
                                            after_id, visit);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SessionStore::ListVotes(
    const SessionRef& ref) {
  std::vector<std::pair<std::string, std::string>> votes;
  std::string prefix = keys::SessionChildPrefix(ref.org_id, ref.session_id);
  RETURN_IF_ERROR(
      database_.Scan(Table::kVotes, prefix, "", [&](absl::string_view key, absl::string_view) {
        absl::string_view rest = key.substr(prefix.size());
        size_t sep = rest.find('\0');
        if (sep != absl::string_view::npos) {
          votes.emplace_back(std::string(rest.substr(0, sep)), std::string(rest.substr(sep + 1)));
        }
        return true;
      }));
  return votes;
}

}  // namespace retro::storage
