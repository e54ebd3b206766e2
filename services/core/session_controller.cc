#include "services/core/session_controller.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
#include "services/core/change.h"
#include "services/core/rules.h"
#include "storage/status_macros.h"

namespace retro::core {

using retro::v1::Annotation;
using retro::v1::Session;

retro::v1::SessionEvent& SessionController::Change::NextEvent() {
  retro::v1::SessionEvent& event = events_.emplace_back();
  event.set_sequence(last_sequence_ + events_.size());
  SetTimestamp(now_, event.mutable_time());
  return event;
}

void SessionController::Change::EmitSession() {
  retro::v1::SessionEvent& event = NextEvent();
  session_.set_etag(absl::StrCat(event.sequence()));
  session_.set_last_sequence(event.sequence());
  SetTimestamp(now_, session_.mutable_update_time());
  *event.mutable_session() = session_;
  writes_.session = session_;
}

void SessionController::Change::EmitAnnotation(Annotation& annotation) {
  retro::v1::SessionEvent& event = NextEvent();
  annotation.set_etag(absl::StrCat(event.sequence()));
  annotation.clear_voted_by_caller();
  SetTimestamp(now_, annotation.mutable_update_time());
  *event.mutable_annotation() = annotation;
  writes_.annotations.push_back(annotation);
}

void SessionController::Change::EmitActionItem(retro::v1::ActionItem& item) {
  retro::v1::SessionEvent& event = NextEvent();
  item.set_etag(absl::StrCat(event.sequence()));
  SetTimestamp(now_, item.mutable_update_time());
  *event.mutable_action_item() = item;
  writes_.action_items.push_back(item);
}

namespace {

// The id at the end of a resource name.
std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

std::string RequestKey(const std::string& user, const std::string& method,
                       const std::string& request_id) {
  return absl::StrCat(user, "\n", method, "\n", request_id);
}

}  // namespace

absl::StatusOr<std::optional<Annotation>> SessionController::Change::GetAnnotation(
    const std::string& id) {
  auto it = slot_.pending.annotations.find(id);
  if (it != slot_.pending.annotations.end()) return it->second;
  return store_.GetAnnotation(ref_, id);
}

absl::StatusOr<std::optional<retro::v1::ActionItem>> SessionController::Change::GetActionItem(
    const std::string& id) {
  auto it = slot_.pending.action_items.find(id);
  if (it != slot_.pending.action_items.end()) return it->second;
  return store_.GetActionItem(ref_, id);
}

absl::Status SessionController::Change::ScanAnnotations(
    const std::function<bool(Annotation&&)>& visit) {
  const auto& pending = slot_.pending.annotations;
  absl::flat_hash_set<std::string> seen;
  bool go_on = true;
  RETURN_IF_ERROR(store_.ScanAnnotations(ref_, "", [&](Annotation&& stored) {
    std::string id = IdOf(stored.name());
    auto it = pending.find(id);
    if (it == pending.end()) return go_on = visit(std::move(stored));
    seen.insert(id);
    Annotation newer = it->second;
    return go_on = visit(std::move(newer));
  }));
  for (const auto& [id, annotation] : pending) {
    if (!go_on) break;
    if (seen.contains(id)) continue;
    Annotation added = annotation;
    go_on = visit(std::move(added));
  }
  return absl::OkStatus();
}

SessionController::Slot& SessionController::SlotFor(const std::string& org_id,
                                                    const std::string& session_id) {
  absl::MutexLock lock(&slots_mu_);
  std::unique_ptr<Slot>& slot = slots_[absl::StrCat(org_id, "/", session_id)];
  if (!slot) slot = std::make_unique<Slot>();
  return *slot;
}

absl::Status SessionController::LoadVotes(const storage::SessionRef& ref, Slot& slot) {
  if (slot.votes_loaded) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto votes, sessions_.ListVotes(ref));
  for (auto& vote : votes) {
    ++slot.votes_by_user[vote.second];
    slot.votes.insert(std::move(vote));
  }
  slot.votes_loaded = true;
  return absl::OkStatus();
}

absl::StatusOr<Session> SessionController::LoadVisible(const Caller& caller,
                                                       const std::string& session_id,
                                                       bool with_last_sequence) {
  if (caller.org_id.empty()) {
    return absl::PermissionDeniedError("the root token only creates organizations");
  }
  storage::SessionRef ref{caller.org_id, session_id};
  ASSIGN_OR_RETURN(std::optional<Session> session, sessions_.GetSession(ref));
  if (!session || !CanSee(caller, *session)) {
    return absl::NotFoundError(absl::StrCat("session ", SessionName(session_id), " not found"));
  }
  if (!with_last_sequence) return *std::move(session);
  ASSIGN_OR_RETURN(uint64_t last, log_.LastSequence(ref));
  session->set_last_sequence(last);
  return *std::move(session);
}

absl::StatusOr<Annotation> SessionController::LoadAnnotation(const Caller& caller, Change& change,
                                                             absl::string_view field,
                                                             const std::string& annotation_id) {
  ASSIGN_OR_RETURN(std::optional<Annotation> annotation, change.GetAnnotation(annotation_id));
  if (!annotation || !VisibleTo(*annotation, caller.user_id)) {
    return absl::NotFoundError(absl::StrCat(field, ": annotation ",
                                            AnnotationName(change.ref().session_id, annotation_id),
                                            " not found"));
  }
  return *std::move(annotation);
}

absl::Status SessionController::Commit(const Caller& caller, Change& change,
                                       absl::string_view method, const std::string& request_id,
                                       const std::string& reply_bytes) {
  if (change.events().empty()) return absl::OkStatus();
  if (!request_id.empty()) {
    change.writes().requests.push_back(
        storage::RequestWrite{caller.user_id, std::string(method), request_id, reply_bytes});
  }
  RETURN_IF_ERROR(
      log_.Append(change.ref(), change.last_sequence(), change.events(), change.writes()));
  return absl::OkStatus();
}

template <typename Reply>
void SessionController::MutateAsync(const Caller& caller, const std::string& session_id,
                                    absl::string_view method, const std::string& request_id,
                                    std::function<absl::Status(Change&, Reply&)> build,
                                    Done<Reply> done) {
  if (absl::Status checked = CheckRequestId("request_id", request_id); !checked.ok()) {
    done(checked);
    return;
  }
  // Only sessions the caller may see get a slot: made-up names cost
  // nothing. (LoadVisible also refuses the root token.)
  if (absl::Status visible = LoadVisible(caller, session_id, /*with_last_sequence=*/false).status();
      !visible.ok()) {
    done(visible);
    return;
  }
  Slot& slot = SlotFor(caller.org_id, session_id);
  auto task = std::make_unique<Task>();
  task->caller = caller;
  // A request id answers for one session: the same id on another session
  // is another request.
  task->method = absl::StrCat(method, ":", session_id);
  task->request_id = request_id;
  auto reply = std::make_shared<Reply>();
  task->build = [build = std::move(build), reply](Change& change, std::string* reply_bytes) {
    RETURN_IF_ERROR(build(change, *reply));
    *reply_bytes = reply->SerializeAsString();
    return absl::OkStatus();
  };
  task->finish = [reply, done = std::move(done)](Task& finished) {
    if (!finished.status.ok()) {
      done(finished.status);
    } else if (finished.remembered && !reply->ParseFromString(finished.reply_bytes)) {
      done(absl::DataLossError("unreadable reply"));
    } else {
      done(std::move(*reply));
    }
  };
  Enqueue(storage::SessionRef{caller.org_id, session_id}, slot, std::move(task));
}

template <typename Reply>
absl::StatusOr<Reply> SessionController::Mutate(
    const Caller& caller, const std::string& session_id, absl::string_view method,
    const std::string& request_id, const std::function<absl::Status(Change&, Reply&)>& build) {
  return AwaitReply<Reply>([&](Done<Reply> done) {
    MutateAsync<Reply>(caller, session_id, method, request_id, build, std::move(done));
  });
}

void SessionController::Enqueue(const storage::SessionRef& ref, Slot& slot,
                                std::unique_ptr<Task> task) {
  {
    absl::MutexLock lock(&slot.queue_mu);
    if (static_cast<int>(slot.queue.size()) < max_queued_writes_) {
      slot.queue.push_back(std::move(task));
      if (slot.scheduled) return;
      slot.scheduled = true;
    } else {
      task->status = absl::ResourceExhaustedError(
          absl::StrCat("session ", SessionName(ref.session_id), " has ", slot.queue.size(),
                       " writes waiting; retry with backoff"));
    }
  }
  if (task) {
    task->finish(*task);
    return;
  }
  writers_.Schedule([this, ref, &slot] { RunNextBatch(ref, slot); });
}

void SessionController::RunNextBatch(const storage::SessionRef& ref, Slot& slot) {
  while (true) {
    std::vector<std::unique_ptr<Task>> batch;
    {
      absl::MutexLock lock(&slot.queue_mu);
      // Everyone who queued while the last batch was being synced goes in
      // this one.
      batch.swap(slot.queue);
    }
    RunBatch(ref, slot, batch);
    for (const auto& task : batch) task->finish(*task);
    {
      absl::MutexLock lock(&slot.queue_mu);
      if (slot.queue.empty()) {
        slot.scheduled = false;
        return;
      }
    }
    if (writers_.HasWaitingWork()) break;
    // Nothing else waits for a writer: the next batch runs on this thread,
    // without waking another one.
  }
  // Behind other sessions' batches, so a busy session cannot hold a writer.
  writers_.Schedule([this, ref, &slot] { RunNextBatch(ref, slot); });
}

void SessionController::RunBatch(const storage::SessionRef& ref, Slot& slot,
                                 const std::vector<std::unique_ptr<Task>>& batch) {
  absl::MutexLock lock(&slot.mu);
  slot.pending = Pending();
  // The vote cache must hold the stored votes before the batch adds its
  // own, which are not stored yet.
  if (absl::Status loaded = LoadVotes(ref, slot); !loaded.ok()) {
    for (const auto& task : batch) task->status = loaded;
    return;
  }
  std::optional<Session> stored;
  bool stored_loaded = false;
  uint64_t first_last_sequence = 0;
  std::vector<retro::v1::SessionEvent> events;
  storage::SessionWrites writes;
  // Votes as the batch leaves them: true added, false removed.
  std::map<std::pair<std::string, std::string>, bool> votes;
  std::vector<Task*> accepted;

  const absl::Time now = absl::Now();
  for (const auto& owned : batch) {
    Task* task = owned.get();
    const Caller& caller = task->caller;
    const std::string& request_id = task->request_id;
    if (caller.deadline < now) {
      task->status = absl::DeadlineExceededError(
          "the request's deadline passed while it waited for its session; nothing was written");
      continue;
    }
    if (!request_id.empty()) {
      const std::string key = RequestKey(caller.user_id, task->method, request_id);
      auto it = slot.pending.replies.find(key);
      if (it != slot.pending.replies.end()) {
        task->reply_bytes = it->second;
        task->remembered = true;
        // Answered by a request of this batch: durable with it.
        accepted.push_back(task);
        continue;
      }
      absl::StatusOr<std::optional<std::string>> remembered =
          directory_.GetRequest(caller.org_id, caller.user_id, task->method, request_id);
      if (!remembered.ok() || remembered->has_value()) {
        task->status = remembered.status();
        if (remembered.ok()) {
          task->reply_bytes = **remembered;
          task->remembered = true;
        }
        continue;
      }
    }
    Session session;
    if (slot.pending.session) {
      session = *slot.pending.session;
    } else {
      if (!stored_loaded) {
        absl::StatusOr<std::optional<Session>> loaded = sessions_.GetSession(ref);
        absl::StatusOr<uint64_t> last = log_.LastSequence(ref);
        if (!loaded.ok() || !last.ok()) {
          task->status = !loaded.ok() ? loaded.status() : last.status();
          continue;
        }
        stored = *std::move(loaded);
        if (stored) stored->set_last_sequence(*last);
        stored_loaded = true;
      }
      if (!stored) {
        task->status = absl::NotFoundError(
            absl::StrCat("session ", SessionName(ref.session_id), " not found"));
        continue;
      }
      session = *stored;
    }
    if (!CanSee(caller, session)) {
      task->status =
          absl::NotFoundError(absl::StrCat("session ", SessionName(ref.session_id), " not found"));
      continue;
    }
    if (events.empty()) first_last_sequence = session.last_sequence();
    Change change(ref, session, clock_.Now(), slot, sessions_);
    task->status = task->build(change, &task->reply_bytes);
    if (!task->status.ok()) continue;  // Its change is dropped: no trace in the batch.
    accepted.push_back(task);
    if (change.events().empty()) continue;  // Nothing to write, nothing to remember.

    // Fold the change into the batch and into what later requests read.
    storage::SessionWrites& w = change.writes();
    Session next = w.session ? *w.session : session;
    next.set_last_sequence(change.events().back().sequence());
    slot.pending.session = next;
    if (w.session) writes.session = next;
    for (auto& event : change.events()) events.push_back(std::move(event));
    for (const Annotation& a : w.annotations) {
      slot.pending.annotations[IdOf(a.name())] = a;
      writes.annotations.push_back(a);
    }
    for (const retro::v1::ActionItem& item : w.action_items) {
      slot.pending.action_items[IdOf(item.name())] = item;
      writes.action_items.push_back(item);
    }
    for (auto& vote : w.votes_added) {
      votes[vote] = true;
      if (slot.votes_loaded && slot.votes.insert(vote).second) ++slot.votes_by_user[vote.second];
    }
    for (auto& vote : w.votes_removed) {
      votes[vote] = false;
      if (slot.votes_loaded && slot.votes.erase(vote) > 0) --slot.votes_by_user[vote.second];
    }
    for (retro::v1::Lesson& lesson : w.lessons) writes.lessons.push_back(std::move(lesson));
    if (!request_id.empty()) {
      writes.requests.push_back(
          storage::RequestWrite{caller.user_id, task->method, request_id, task->reply_bytes});
      slot.pending.replies[RequestKey(caller.user_id, task->method, request_id)] =
          task->reply_bytes;
    }
  }
  slot.pending = Pending();
  if (events.empty()) return;
  for (const auto& [vote, added] : votes) {
    (added ? writes.votes_added : writes.votes_removed).push_back(vote);
  }
  absl::Status written = log_.Append(ref, first_last_sequence, events, writes);
  if (!written.ok()) {
    for (Task* task : accepted) task->status = written;
    // The cache took the batch's votes as done: read them again.
    slot.votes_loaded = false;
    slot.votes.clear();
    slot.votes_by_user.clear();
  }
}

namespace {

absl::Status CheckState(const Session& session, std::initializer_list<retro::v1::SessionState> ok,
                        absl::string_view action) {
  for (retro::v1::SessionState state : ok) {
    if (session.state() == state) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot ", action, " a session that is ",
                                                    retro::v1::SessionState_Name(session.state())));
}

// Reveals every hidden annotation of `stage` (all stages when unspecified).
absl::Status RevealAnnotations(SessionController::Change& change, retro::v1::Stage stage);

// The library's lessons of a session being published: its LESSON,
// WENT_WELL and WENT_WRONG annotations (groups included), not deleted.
absl::StatusOr<std::vector<retro::v1::Lesson>> LessonsOf(SessionController::Change& change,
                                                         const Session& session, absl::Time now);

}  // namespace

absl::StatusOr<Session> SessionController::CreateSession(
    const Caller& caller, const retro::v1::CreateSessionRequest& request) {
  if (caller.org_id.empty()) {
    return absl::PermissionDeniedError("the root token only creates organizations");
  }
  RETURN_IF_ERROR(CheckRequestId("request_id", request.request_id()));
  if (!request.session_id().empty()) RETURN_IF_ERROR(CheckId("session_id", request.session_id()));
  if (!request.has_session()) return InvalidField("session", "is required");
  Session session = request.session();
  if (session.visibility() == retro::v1::VISIBILITY_UNSPECIFIED) {
    session.set_visibility(session.team_id().empty() ? retro::v1::ORGANIZATION : retro::v1::TEAM);
  }
  RETURN_IF_ERROR(CheckSessionFields(caller, session, "session", /*creating=*/true));
  if (session.presenter().empty()) session.set_presenter(caller.user_id);
  if (session.presenter() != caller.user_id) {
    RETURN_IF_ERROR(CheckUserExists(caller.org_id, "session.presenter", session.presenter()));
    if (caller.role != retro::v1::ADMIN) {
      return absl::PermissionDeniedError("only an ADMIN may name another presenter");
    }
  }
  if (session.visibility() == retro::v1::TEAM && !caller.privileged() &&
      !caller.InTeam(session.team_id())) {
    return absl::PermissionDeniedError(
        absl::StrCat("only members of team ", session.team_id(), " may create its sessions"));
  }

  absl::MutexLock create_lock(&create_mu_);
  const char* method = "CreateSession";
  if (!request.request_id().empty()) {
    ASSIGN_OR_RETURN(auto remembered, directory_.GetRequest(caller.org_id, caller.user_id, method,
                                                            request.request_id()));
    if (remembered) {
      Session reply;
      if (!reply.ParseFromString(*remembered)) return absl::DataLossError("unreadable reply");
      return reply;
    }
  }
  std::string session_id = request.session_id().empty() ? ids_.NewId() : request.session_id();
  storage::SessionRef ref{caller.org_id, session_id};
  Slot& slot = SlotFor(caller.org_id, session_id);
  absl::MutexLock lock(&slot.mu);
  ASSIGN_OR_RETURN(std::optional<Session> existing, sessions_.GetSession(ref));
  ASSIGN_OR_RETURN(uint64_t last, log_.LastSequence(ref));
  if (existing || last != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("session ", SessionName(session_id), " already exists"));
  }
  absl::Time now = clock_.Now();
  session.set_name(SessionName(session_id));
  session.set_state(retro::v1::DRAFT);
  session.clear_stage();
  session.clear_revealed_stages();
  session.clear_stage_deadline();
  if (session.votes_per_participant() == 0) session.set_votes_per_participant(5);
  SetTimestamp(now, session.mutable_create_time());
  session.set_last_sequence(0);
  Change change(ref, std::move(session), now, slot, sessions_);
  change.EmitSession();
  Session reply = change.session();
  RETURN_IF_ERROR(Commit(caller, change, method, request.request_id(), reply.SerializeAsString()));
  return reply;
}

absl::StatusOr<Session> SessionController::GetSession(const Caller& caller,
                                                      const retro::v1::GetSessionRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  return LoadVisible(caller, ids[0]);
}

absl::StatusOr<Session> SessionController::SessionForWatch(const Caller& caller,
                                                           const std::string& session_id) {
  return LoadVisible(caller, session_id);
}

absl::StatusOr<retro::v1::ListSessionsResponse> SessionController::ListSessions(
    const Caller& caller, const retro::v1::ListSessionsRequest& request) {
  if (caller.org_id.empty()) {
    return absl::PermissionDeniedError("the root token only creates organizations");
  }
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(request.page_size()));
  if (!retro::v1::SessionState_IsValid(request.state())) {
    return InvalidField("state", "is not a known session state");
  }
  if (!request.team_id().empty()) RETURN_IF_ERROR(CheckId("team_id", request.team_id()));
  std::string query =
      absl::StrCat("ListSessions/", caller.user_id, "/", request.state(), "/", request.team_id());
  ASSIGN_OR_RETURN(std::string after, DecodePageToken(query, request.page_token()));
  retro::v1::ListSessionsResponse response;
  std::string last_id;
  bool more = false;
  RETURN_IF_ERROR(sessions_.ScanSessions(caller.org_id, after, [&](Session&& session) {
    std::string id = session.name().substr(sizeof("sessions/") - 1);
    if (response.sessions_size() == page_size) {
      more = true;
      return false;
    }
    last_id = id;
    if (!CanSee(caller, session)) return true;
    if (request.state() != 0 && session.state() != request.state()) return true;
    if (!request.team_id().empty() && session.team_id() != request.team_id()) return true;
    *response.add_sessions() = std::move(session);
    return true;
  }));
  for (Session& session : *response.mutable_sessions()) {
    std::string id = session.name().substr(sizeof("sessions/") - 1);
    ASSIGN_OR_RETURN(uint64_t last, log_.LastSequence({caller.org_id, id}));
    session.set_last_sequence(last);
  }
  if (more) response.set_next_page_token(EncodePageToken(query, last_id));
  return response;
}

absl::StatusOr<Session> SessionController::UpdateSession(
    const Caller& caller, const retro::v1::UpdateSessionRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("session.name", request.session().name(), {"sessions"}));
  if (request.update_mask().paths_size() == 0) return InvalidField("update_mask", "is required");
  const Session& patch = request.session();
  return Mutate<Session>(caller, ids[0], "UpdateSession", "", [&](Change& change, Session& reply) {
    Session& session = change.session();
    if (!CanDrive(caller, session) && caller.role != retro::v1::ADMIN) {
      return absl::PermissionDeniedError(
          "only the presenter, facilitators or an ADMIN update the session");
    }
    RETURN_IF_ERROR(
        CheckState(session, {retro::v1::DRAFT, retro::v1::LIVE, retro::v1::REVIEW}, "update"));
    RETURN_IF_ERROR(CheckEtag(patch.etag(), session.etag(), "the session"));
    Session updated = session;
    for (const std::string& path : request.update_mask().paths()) {
      if (path == "title") {
        updated.set_title(patch.title());
      } else if (path == "facilitators") {
        *updated.mutable_facilitators() = patch.facilitators();
      } else if (path == "team_id") {
        updated.set_team_id(patch.team_id());
      } else if (path == "visibility") {
        updated.set_visibility(patch.visibility());
      } else if (path == "deal") {
        *updated.mutable_deal() = patch.deal();
      } else if (path == "stage_notes") {
        *updated.mutable_stage_notes() = patch.stage_notes();
      } else if (path == "hide_until_reveal") {
        updated.set_hide_until_reveal(patch.hide_until_reveal());
      } else if (path == "votes_per_participant") {
        updated.set_votes_per_participant(
            patch.votes_per_participant() == 0 ? 5 : patch.votes_per_participant());
      } else {
        return InvalidField("update_mask", absl::StrCat("cannot update '", path, "'"));
      }
    }
    if (updated.visibility() == retro::v1::VISIBILITY_UNSPECIFIED) {
      return InvalidField("session.visibility", "is required");
    }
    if (updated.title().empty()) return InvalidField("session.title", "is required");
    RETURN_IF_ERROR(CheckSessionFields(caller, updated, "session", /*creating=*/false));
    if (updated.visibility() == retro::v1::TEAM && !caller.privileged() &&
        !caller.InTeam(updated.team_id()) &&
        (updated.team_id() != session.team_id() || session.visibility() != retro::v1::TEAM)) {
      return absl::PermissionDeniedError(absl::StrCat("only members of team ", updated.team_id(),
                                                      " may make it the session's team"));
    }
    session = std::move(updated);
    change.EmitSession();
    reply = session;
    return absl::OkStatus();
  });
}

absl::StatusOr<Session> SessionController::StartSession(
    const Caller& caller, const retro::v1::StartSessionRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  return Mutate<Session>(
      caller, ids[0], "StartSession", request.request_id(), [&](Change& change, Session& reply) {
        Session& session = change.session();
        RETURN_IF_ERROR(CheckDriver(caller, session));
        RETURN_IF_ERROR(CheckState(session, {retro::v1::DRAFT}, "start"));
        RETURN_IF_ERROR(CheckEtag(request.etag(), session.etag(), "the session"));
        session.set_state(retro::v1::LIVE);
        session.set_stage(retro::v1::CONTEXT);
        change.EmitSession();
        reply = session;
        return absl::OkStatus();
      });
}

absl::StatusOr<Session> SessionController::SetStage(const Caller& caller,
                                                    const retro::v1::SetStageRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  if (!retro::v1::Stage_IsValid(request.stage()) ||
      request.stage() == retro::v1::STAGE_UNSPECIFIED) {
    return InvalidField("stage",
                        "must be one of CONTEXT, TIMELINE, WENT_WELL, WENT_WRONG, "
                        "LESSONS, ACTION_PLAN");
  }
  if (request.has_stage_deadline()) {
    const auto& deadline = request.stage_deadline();
    if (deadline.seconds() < 0 || deadline.seconds() > 253402300799 || deadline.nanos() < 0 ||
        deadline.nanos() > 999999999) {
      return InvalidField("stage_deadline", "is not a valid timestamp");
    }
  }
  return Mutate<Session>(
      caller, ids[0], "SetStage", request.request_id(), [&](Change& change, Session& reply) {
        Session& session = change.session();
        RETURN_IF_ERROR(CheckDriver(caller, session));
        RETURN_IF_ERROR(
            CheckState(session, {retro::v1::LIVE, retro::v1::REVIEW}, "change the stage of"));
        RETURN_IF_ERROR(CheckEtag(request.etag(), session.etag(), "the session"));
        session.set_stage(request.stage());
        if (request.has_stage_deadline()) {
          *session.mutable_stage_deadline() = request.stage_deadline();
        } else {
          session.clear_stage_deadline();
        }
        change.EmitSession();
        reply = session;
        return absl::OkStatus();
      });
}

absl::StatusOr<Session> SessionController::RevealStage(
    const Caller& caller, const retro::v1::RevealStageRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  if (!retro::v1::Stage_IsValid(request.stage())) {
    return InvalidField("stage", "is not a known stage");
  }
  return Mutate<Session>(
      caller, ids[0], "RevealStage", request.request_id(), [&](Change& change, Session& reply) {
        Session& session = change.session();
        RETURN_IF_ERROR(CheckDriver(caller, session));
        RETURN_IF_ERROR(
            CheckState(session, {retro::v1::LIVE, retro::v1::REVIEW}, "reveal a stage of"));
        retro::v1::Stage stage =
            request.stage() == retro::v1::STAGE_UNSPECIFIED ? session.stage() : request.stage();
        RETURN_IF_ERROR(RevealAnnotations(change, stage));
        const auto& revealed = session.revealed_stages();
        if (std::find(revealed.begin(), revealed.end(), stage) == revealed.end()) {
          session.add_revealed_stages(stage);
        }
        change.EmitSession();
        reply = session;
        return absl::OkStatus();
      });
}

absl::StatusOr<Session> SessionController::EndSession(const Caller& caller,
                                                      const retro::v1::EndSessionRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  return Mutate<Session>(
      caller, ids[0], "EndSession", request.request_id(), [&](Change& change, Session& reply) {
        Session& session = change.session();
        RETURN_IF_ERROR(CheckDriver(caller, session));
        RETURN_IF_ERROR(CheckState(session, {retro::v1::LIVE}, "end"));
        RETURN_IF_ERROR(CheckEtag(request.etag(), session.etag(), "the session"));
        session.set_state(retro::v1::REVIEW);
        session.clear_stage_deadline();
        change.EmitSession();
        reply = session;
        return absl::OkStatus();
      });
}

absl::StatusOr<Session> SessionController::PublishSession(
    const Caller& caller, const retro::v1::PublishSessionRequest& request) {
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"sessions"}));
  return Mutate<Session>(
      caller, ids[0], "PublishSession", request.request_id(), [&](Change& change, Session& reply) {
        Session& session = change.session();
        RETURN_IF_ERROR(CheckDriver(caller, session));
        RETURN_IF_ERROR(CheckState(session, {retro::v1::REVIEW}, "publish"));
        RETURN_IF_ERROR(CheckEtag(request.etag(), session.etag(), "the session"));
        // Nothing stays hidden in a published retrospective.
        RETURN_IF_ERROR(RevealAnnotations(change, retro::v1::STAGE_UNSPECIFIED));
        session.set_state(retro::v1::PUBLISHED);
        // Its lessons enter the library in the same write.
        ASSIGN_OR_RETURN(change.writes().lessons, LessonsOf(change, session, change.now()));
        change.EmitSession();
        reply = session;
        return absl::OkStatus();
      });
}

namespace {

absl::Status RevealAnnotations(SessionController::Change& change, retro::v1::Stage stage) {
  std::vector<Annotation> hidden;
  RETURN_IF_ERROR(change.ScanAnnotations([&](Annotation&& annotation) {
    // A deleted hidden annotation stays hidden: revealing it would only
    // tell everyone who wrote what a moderator removed.
    if (!annotation.revealed() && !annotation.deleted() &&
        (stage == retro::v1::STAGE_UNSPECIFIED || annotation.stage() == stage)) {
      hidden.push_back(std::move(annotation));
    }
    return true;
  }));
  for (Annotation& annotation : hidden) {
    annotation.set_revealed(true);
    change.EmitAnnotation(annotation);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<retro::v1::Lesson>> LessonsOf(SessionController::Change& change,
                                                         const Session& session, absl::Time now) {
  std::vector<Annotation> annotations;
  std::map<std::string, int> group_sizes;
  RETURN_IF_ERROR(change.ScanAnnotations([&](Annotation&& annotation) {
    if (annotation.deleted()) return true;
    if (!annotation.group().empty()) ++group_sizes[annotation.group()];
    if (annotation.kind() == Annotation::LESSON || annotation.kind() == Annotation::WENT_WELL ||
        annotation.kind() == Annotation::WENT_WRONG) {
      annotations.push_back(std::move(annotation));
    }
    return true;
  }));
  std::vector<retro::v1::Lesson> lessons;
  for (const Annotation& annotation : annotations) {
    retro::v1::Lesson& lesson = lessons.emplace_back();
    lesson.set_session(session.name());
    lesson.set_session_title(session.title());
    lesson.set_annotation(annotation.name());
    lesson.set_team_id(session.team_id());
    lesson.set_kind(annotation.kind());
    lesson.set_stage(annotation.stage());
    lesson.set_text(annotation.text());
    *lesson.mutable_tags() = annotation.tags();
    lesson.set_vote_count(annotation.vote_count());
    if (!annotation.anonymous()) lesson.set_author(annotation.author());
    *lesson.mutable_deal() = session.deal();
    SetTimestamp(now, lesson.mutable_publish_time());
    auto group = group_sizes.find(annotation.name());
    if (group != group_sizes.end()) lesson.set_grouped_count(group->second);
    lesson.set_visibility(session.visibility());
    lesson.set_presenter(session.presenter());
    *lesson.mutable_facilitators() = session.facilitators();
  }
  return lessons;
}

}  // namespace

}  // namespace retro::core

namespace retro::core {
// Mutate and MutateAsync are defined here and used by the annotation
// operations too.
template absl::StatusOr<retro::v1::Annotation> SessionController::Mutate<retro::v1::Annotation>(
    const Caller&, const std::string&, absl::string_view, const std::string&,
    const std::function<absl::Status(Change&, retro::v1::Annotation&)>&);
template void SessionController::MutateAsync<retro::v1::Annotation>(
    const Caller&, const std::string&, absl::string_view, const std::string&,
    std::function<absl::Status(Change&, retro::v1::Annotation&)>, Done<retro::v1::Annotation>);
template absl::StatusOr<retro::v1::ActionItem> SessionController::Mutate<retro::v1::ActionItem>(
    const Caller&, const std::string&, absl::string_view, const std::string&,
    const std::function<absl::Status(Change&, retro::v1::ActionItem&)>&);
template absl::StatusOr<retro::v1::GroupAnnotationsResponse>
SessionController::Mutate<retro::v1::GroupAnnotationsResponse>(
    const Caller&, const std::string&, absl::string_view, const std::string&,
    const std::function<absl::Status(Change&, retro::v1::GroupAnnotationsResponse&)>&);
}  // namespace retro::core
