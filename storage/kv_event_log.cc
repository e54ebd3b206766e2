#include "storage/kv_event_log.h"

#include "absl/strings/str_cat.h"
#include "storage/directory_store.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace retro::storage {
namespace {

// The id at the end of a resource name, e.g. "a1" of
// "sessions/s1/annotations/a1".
absl::string_view IdOf(absl::string_view name) {
  size_t slash = name.rfind('/');
  return slash == absl::string_view::npos ? name : name.substr(slash + 1);
}

}  // namespace

absl::Status KvEventLog::Append(const SessionRef& session, uint64_t expected_last_sequence,
                                const std::vector<retro::v1::SessionEvent>& events,
                                const SessionWrites& writes) {
  ASSIGN_OR_RETURN(uint64_t last, LastSequence(session));
  if (last != expected_last_sequence) {
    return absl::AbortedError(absl::StrCat("event log of session ", session.session_id, " is at ",
                                           last, ", not ", expected_last_sequence));
  }
  Database::Batch batch;
  uint64_t next = expected_last_sequence;
  for (const retro::v1::SessionEvent& event : events) {
    if (event.sequence() != ++next) {
      return absl::InternalError(
          absl::StrCat("event sequence ", event.sequence(), " appended where ", next, " belongs"));
    }
    batch.Put(Table::kEvents, keys::Event(session.org_id, session.session_id, next),
              event.SerializeAsString());
  }
  const std::string& org = session.org_id;
  const std::string& sid = session.session_id;
  if (writes.session) {
    retro::v1::Session stored = *writes.session;
    stored.clear_last_sequence();  // Derived from the log when read.
    batch.Put(Table::kSessions, keys::Session(org, sid), stored.SerializeAsString());
  }
  for (const retro::v1::Annotation& a : writes.annotations) {
    batch.Put(Table::kAnnotations, keys::Child(org, sid, IdOf(a.name())), a.SerializeAsString());
  }
  for (const retro::v1::ActionItem& item : writes.action_items) {
    batch.Put(Table::kActionItems, keys::Child(org, sid, IdOf(item.name())),
              item.SerializeAsString());
  }
  for (const auto& [annotation, user] : writes.votes_added) {
    batch.Put(Table::kVotes, keys::Vote(org, sid, annotation, user), "");
  }
  for (const auto& [annotation, user] : writes.votes_removed) {
    batch.Delete(Table::kVotes, keys::Vote(org, sid, annotation, user));
  }
  for (const RequestWrite& request : writes.requests) AddRequestWrite(org, request, batch);
  if (writes.lessons.empty()) {
    RETURN_IF_ERROR(database_.Write(batch));
  } else {
    if (index_ == nullptr) return absl::InternalError("lessons written without an index");
    std::vector<retro::v1::Lesson> lessons = writes.lessons;
    RETURN_IF_ERROR(index_->WriteWithLessons(session.org_id, &lessons, std::move(batch)));
  }
  if (EventFollower* follower = follower_.load(); follower != nullptr && !events.empty()) {
    follower->OnAppended(session, events);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<retro::v1::SessionEvent>> KvEventLog::Read(const SessionRef& session,
                                                                      uint64_t after_sequence,
                                                                      size_t max_events) {
  std::vector<retro::v1::SessionEvent> events;
  if (max_events == 0) return events;
  std::string prefix = keys::SessionChildPrefix(session.org_id, session.session_id);
  std::string start_after = after_sequence == 0
                                ? std::string()
                                : keys::Event(session.org_id, session.session_id, after_sequence);
  absl::Status parse_status;
  RETURN_IF_ERROR(database_.Scan(
      Table::kEvents, prefix, start_after, [&](absl::string_view key, absl::string_view value) {
        retro::v1::SessionEvent event;
        if (!event.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            event.sequence() != keys::EventSequence(key)) {
          parse_status = absl::DataLossError(absl::StrCat(
              "unreadable event ", keys::EventSequence(key), " of session ", session.session_id));
          return false;
        }
        events.push_back(std::move(event));
        return events.size() < max_events;
      }));
  RETURN_IF_ERROR(parse_status);
  return events;
}

absl::StatusOr<uint64_t> KvEventLog::LastSequence(const SessionRef& session) {
  ASSIGN_OR_RETURN(
      std::optional<std::string> key,
      database_.LastKeyWithPrefix(Table::kEvents,
                                  keys::SessionChildPrefix(session.org_id, session.session_id)));
  return key ? keys::EventSequence(*key) : 0;
}

}  // namespace retro::storage
