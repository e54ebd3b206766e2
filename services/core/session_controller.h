// SessionController: the rules of deal retrospectives, from a validated
// caller to durable events.
//
// Every change to a session runs under that session's lock: the request is
// checked against the session's state, turned into events with the next
// sequences, and appended to the EventLog together with the new state and
// the remembered reply, in one durable write. The reply is returned only
// after that write is synced.
//
// Group commit within a session: requests that arrive while a session's
// write is being synced queue up; the thread that finishes the write then
// builds all of them in order, each seeing the state the earlier ones left
// (pending, not yet written), and appends them in one synced write. A
// request that fails leaves no trace in the batch. So a session's
// throughput is not one request per fsync, while every reply still waits
// for its own write to be durable. Batches run on the controller's writer
// threads, never on the caller's: an asynchronous caller (a gRPC callback
// handler) is not held while its write syncs, and a synchronous one waits
// for its reply. Changes to different sessions run in parallel, one writer
// thread each, and share fsyncs through the storage engine's group commit.
//
// Errors are absl statuses: INVALID_ARGUMENT naming the field,
// NOT_FOUND for anything the caller may not see, PERMISSION_DENIED for the
// wrong role, FAILED_PRECONDITION for the wrong state, ABORTED for a stale
// etag. Thread-safe. All references are borrowed and must outlive it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "retro/v1/annotation_service.pb.h"
#include "retro/v1/session_service.pb.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/common/thread_pool.h"
#include "services/core/caller.h"
#include "storage/directory_store.h"
#include "storage/event_log.h"
#include "storage/session_store.h"

namespace retro::core {

class SessionController {
 public:
  // Writes waiting for one session's next batch beyond this many are shed
  // with RESOURCE_EXHAUSTED rather than queued.
  static constexpr int kDefaultMaxQueuedWrites = 256;
  // Sessions whose batches can be built and synced at the same time.
  static constexpr int kDefaultWriterThreads = 16;

  SessionController(storage::EventLog& log, storage::SessionStore& sessions,
                    storage::DirectoryStore& directory, Clock& clock, IdGenerator& ids,
                    int max_queued_writes = kDefaultMaxQueuedWrites,
                    int writer_threads = kDefaultWriterThreads)
      : log_(log),
        sessions_(sessions),
        directory_(directory),
        clock_(clock),
        ids_(ids),
        max_queued_writes_(max_queued_writes),
        writers_(writer_threads) {}

  // Receives the reply of an asynchronous write exactly once: on a writer
  // thread once the write is durable or has failed, or on the calling
  // thread when the request is refused before it is queued.
  template <typename Reply>
  using Done = std::function<void(absl::StatusOr<Reply>)>;

  // SessionService.
  absl::StatusOr<retro::v1::Session> CreateSession(const Caller& caller,
                                                   const retro::v1::CreateSessionRequest& request);
  absl::StatusOr<retro::v1::Session> GetSession(const Caller& caller,
                                                const retro::v1::GetSessionRequest& request);
  absl::StatusOr<retro::v1::ListSessionsResponse> ListSessions(
      const Caller& caller, const retro::v1::ListSessionsRequest& request);
  absl::StatusOr<retro::v1::Session> UpdateSession(const Caller& caller,
                                                   const retro::v1::UpdateSessionRequest& request);
  absl::StatusOr<retro::v1::Session> StartSession(const Caller& caller,
                                                  const retro::v1::StartSessionRequest& request);
  absl::StatusOr<retro::v1::Session> SetStage(const Caller& caller,
                                              const retro::v1::SetStageRequest& request);
  absl::StatusOr<retro::v1::Session> RevealStage(const Caller& caller,
                                                 const retro::v1::RevealStageRequest& request);
  absl::StatusOr<retro::v1::Session> EndSession(const Caller& caller,
                                                const retro::v1::EndSessionRequest& request);
  absl::StatusOr<retro::v1::Session> PublishSession(
      const Caller& caller, const retro::v1::PublishSessionRequest& request);

  // AnnotationService.
  absl::StatusOr<retro::v1::Annotation> AddAnnotation(
      const Caller& caller, const retro::v1::AddAnnotationRequest& request);
  absl::StatusOr<retro::v1::Annotation> EditAnnotation(
      const Caller& caller, const retro::v1::EditAnnotationRequest& request);
  absl::StatusOr<retro::v1::Annotation> DeleteAnnotation(
      const Caller& caller, const retro::v1::DeleteAnnotationRequest& request);
  absl::StatusOr<retro::v1::Annotation> VoteAnnotation(
      const Caller& caller, const retro::v1::VoteAnnotationRequest& request);
  // The two writes every teammate makes live, for callers that must not
  // block (gRPC callback handlers): `request` must stay valid until `done`
  // has run.
  void AddAnnotationAsync(const Caller& caller, const retro::v1::AddAnnotationRequest& request,
                          Done<retro::v1::Annotation> done);
  void VoteAnnotationAsync(const Caller& caller, const retro::v1::VoteAnnotationRequest& request,
                           Done<retro::v1::Annotation> done);
  absl::StatusOr<retro::v1::GroupAnnotationsResponse> GroupAnnotations(
      const Caller& caller, const retro::v1::GroupAnnotationsRequest& request);
  absl::StatusOr<retro::v1::ListAnnotationsResponse> ListAnnotations(
      const Caller& caller, const retro::v1::ListAnnotationsRequest& request);
  absl::StatusOr<retro::v1::ActionItem> AddActionItem(
      const Caller& caller, const retro::v1::AddActionItemRequest& request);
  absl::StatusOr<retro::v1::ActionItem> UpdateActionItem(
      const Caller& caller, const retro::v1::UpdateActionItemRequest& request);
  absl::StatusOr<retro::v1::ListActionItemsResponse> ListActionItems(
      const Caller& caller, const retro::v1::ListActionItemsRequest& request);

  // For WatchSession: the session if the caller may see it (with
  // last_sequence), else NOT_FOUND.
  absl::StatusOr<retro::v1::Session> SessionForWatch(const Caller& caller,
                                                     const std::string& session_id);

  // One change being built under a session's lock (change.h; internal).
  class Change;

 private:
  // What the requests of the batch being built have changed, before it is
  // written: later requests of the batch read through it.
  struct Pending {
    std::optional<retro::v1::Session> session;                  // with last_sequence
    std::map<std::string, retro::v1::Annotation> annotations;   // by id
    std::map<std::string, retro::v1::ActionItem> action_items;  // by id
    absl::flat_hash_map<std::string, std::string> replies;      // by RequestKey
  };

  // One request waiting for its session's batch.
  struct Task {
    Caller caller;
    std::string method;  // scoped to the session
    std::string request_id;
    std::function<absl::Status(Change&, std::string* reply_bytes)> build;
    // Hands the outcome below to the requester; called once.
    std::function<void(Task&)> finish;
    // Results, set by the batch.
    absl::Status status;
    std::string reply_bytes;
    bool remembered = false;  // reply_bytes came from an earlier request
  };

  // Per-session state kept between requests.
  struct Slot {
    // Held by the writer thread building and writing a batch.
    absl::Mutex mu;
    // Votes of the session, loaded on first use: (annotation id, user id).
    bool votes_loaded ABSL_GUARDED_BY(mu) = false;
    absl::flat_hash_set<std::pair<std::string, std::string>> votes ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, int> votes_by_user ABSL_GUARDED_BY(mu);
    Pending pending ABSL_GUARDED_BY(mu);

    absl::Mutex queue_mu;
    std::vector<std::unique_ptr<Task>> queue ABSL_GUARDED_BY(queue_mu);
    // A writer thread has this session's next batch scheduled or running.
    bool scheduled ABSL_GUARDED_BY(queue_mu) = false;
  };

  // Runs build in the session's next batch and calls done once that batch
  // is durable. The reply is remembered under request_id (when set) for
  // retries. Mutate waits for it.
  template <typename Reply>
  void MutateAsync(const Caller& caller, const std::string& session_id, absl::string_view method,
                   const std::string& request_id,
                   std::function<absl::Status(Change&, Reply&)> build, Done<Reply> done);
  template <typename Reply>
  absl::StatusOr<Reply> Mutate(const Caller& caller, const std::string& session_id,
                               absl::string_view method, const std::string& request_id,
                               const std::function<absl::Status(Change&, Reply&)>& build);
  // Queues the task, and schedules the session's next batch on a writer
  // thread unless one is scheduled already. Sheds the task
  // (RESOURCE_EXHAUSTED) when the session already has max_queued_writes_
  // waiting.
  void Enqueue(const storage::SessionRef& ref, Slot& slot, std::unique_ptr<Task> task);
  // On a writer thread: one batch of everything queued, its replies, then
  // the next batch rescheduled behind other sessions' if more queued.
  void RunNextBatch(const storage::SessionRef& ref, Slot& slot);
  void RunBatch(const storage::SessionRef& ref, Slot& slot,
                const std::vector<std::unique_ptr<Task>>& batch);
  absl::Status Commit(const Caller& caller, Change& change, absl::string_view method,
                      const std::string& request_id, const std::string& reply_bytes);

  Slot& SlotFor(const std::string& org_id, const std::string& session_id);
  absl::Status LoadVotes(const storage::SessionRef& ref, Slot& slot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot.mu);
  // The session with its last_sequence if the caller may see it, else
  // NOT_FOUND. Without the sequence (which costs a seek in the log) when
  // only visibility matters.
  absl::StatusOr<retro::v1::Session> LoadVisible(const Caller& caller,
                                                 const std::string& session_id,
                                                 bool with_last_sequence = true);
  // The annotation as the change sees it (pending included), if the caller
  // may see it; NOT_FOUND naming `field` otherwise.
  absl::StatusOr<retro::v1::Annotation> LoadAnnotation(const Caller& caller, Change& change,
                                                       absl::string_view field,
                                                       const std::string& annotation_id);
  absl::Status CheckSessionFields(const Caller& caller, const retro::v1::Session& session,
                                  absl::string_view prefix, bool creating);
  absl::Status CheckUserExists(const std::string& org_id, absl::string_view field,
                               const std::string& user_id);

  storage::EventLog& log_;
  storage::SessionStore& sessions_;
  storage::DirectoryStore& directory_;
  Clock& clock_;
  IdGenerator& ids_;
  const int max_queued_writes_;

  absl::Mutex slots_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Slot>> slots_ ABSL_GUARDED_BY(slots_mu_);
  absl::Mutex create_mu_;  // Serializes session creation (id checks, request ids).
  // Last: destroyed first, so batches still queued finish while the slots
  // they use exist.
  ThreadPool writers_;
};

}  // namespace retro::core
