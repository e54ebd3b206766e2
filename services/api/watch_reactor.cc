#include "services/api/watch_reactor.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/api/grpc_status.h"

namespace retro::api {
namespace {

constexpr size_t kReplayPage = 256;

// SessionEventBatch.events is field 1, length-delimited.
constexpr char kBatchEventsTag = (1 << 3) | 2;

// A slice of the shared bytes, without copying them.
grpc::Slice SharedSlice(std::shared_ptr<const std::string> bytes) {
  auto* keep = new std::shared_ptr<const std::string>(std::move(bytes));
  return grpc::Slice(
      const_cast<char*>((*keep)->data()), (*keep)->size(),
      [](void* user_data) { delete static_cast<std::shared_ptr<const std::string>*>(user_data); },
      keep);
}

// The tag and length that make `size` bytes of a serialized SessionEvent an
// element of SessionEventBatch.events: the batch is these and the events'
// own shared bytes, one after the other, so no event is encoded again.
grpc::Slice BatchElementHeader(size_t size) {
  char header[1 + 10];
  size_t n = 0;
  header[n++] = kBatchEventsTag;
  do {
    uint8_t byte = size & 0x7f;
    size >>= 7;
    header[n++] = static_cast<char>(size ? byte | 0x80 : byte);
  } while (size);
  return grpc::Slice(header, n);  // Small enough to be inlined, no allocation.
}

}  // namespace

grpc::ByteBuffer WatchReactor::Encode(
    std::vector<std::shared_ptr<const std::string>> events) const {
  std::vector<grpc::Slice> slices;
  slices.reserve(framing_ == Framing::kBatch ? 2 * events.size() : events.size());
  for (std::shared_ptr<const std::string>& event : events) {
    if (framing_ == Framing::kBatch) slices.push_back(BatchElementHeader(event->size()));
    slices.push_back(SharedSlice(std::move(event)));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

WatchReactor* WatchReactor::Failed(const Deps& deps, Framing framing,
                                   grpc::CallbackServerContext* context,
                                   const grpc::Status& status) {
  auto* reactor = new WatchReactor(deps, framing, context);
  reactor->self_.reset(reactor);
  {
    absl::MutexLock lock(&reactor->mu_);
    reactor->finished_ = true;
  }
  reactor->FinishWith(status);
  return reactor;
}

WatchReactor* WatchReactor::Start(Deps deps, Framing framing, grpc::CallbackServerContext* context,
                                  core::Caller caller, storage::SessionRef ref,
                                  uint64_t after_sequence) {
  auto* reactor = new WatchReactor(std::move(deps), framing, context);
  reactor->caller_ = std::move(caller);
  reactor->ref_ = std::move(ref);
  reactor->hub_key_ = HubKey(reactor->ref_);
  reactor->replayed_to_ = after_sequence;
  reactor->self_.reset(reactor);
  reactor->Pump();
  return reactor;
}

void WatchReactor::FinishWith(const grpc::Status& status) {
  if (deps_->on_finish) {
    static const std::string kWatchSession = "/retro.v1.SessionService/WatchSession";
    static const std::string kWatchSessionBatches = "/retro.v1.SessionService/WatchSessionBatches";
    deps_->on_finish(*context_, framing_ == Framing::kBatch ? kWatchSessionBatches : kWatchSession,
                     status, absl::Now() - started_);
  }
  Finish(status);
}

void WatchReactor::Pump() {
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) {
      repump_ = true;
      return;
    }
    if (write_in_flight_ || finished_) return;
    pumping_ = true;
  }
  while (true) {
    Step step = NextStep();
    absl::ReleasableMutexLock lock(&mu_);
    if (step.kind == Step::kWrite) {
      write_in_flight_ = true;
      pumping_ = false;
      repump_ = false;
      lock.Release();
      buffer_ = Encode(std::move(step.events));
      StartWrite(&buffer_);
      return;
    }
    if (step.kind == Step::kFinish) {
      finished_ = true;
      pumping_ = false;
      lock.Release();
      FinishWith(step.status);
      return;
    }
    if (repump_) {
      repump_ = false;
      continue;
    }
    pumping_ = false;
    return;
  }
}

bool WatchReactor::ReadReplayPage(grpc::Status* error) {
  absl::StatusOr<std::vector<retro::v1::SessionEvent>> events =
      deps_->log.Read(ref_, replayed_to_, kReplayPage);
  if (!events.ok()) {
    *error = ToGrpcStatus(events.status());
    return false;
  }
  // A session change in this page may shut the viewer out, as it would a
  // live watcher: ask before sending any of it.
  bool session_changed = false;
  absl::flat_hash_map<std::string, bool> deleted_now;  // annotation name -> deleted
  for (const retro::v1::SessionEvent& event : *events) {
    session_changed |= event.has_session();
    if (event.has_annotation() && !event.annotation().deleted()) {
      deleted_now.emplace(event.annotation().name(), false);
    }
  }
  if (session_changed) {
    if (absl::Status access = deps_->check_access(caller_, ref_.session_id); !access.ok()) {
      *error = ToGrpcStatus(access);
      return false;
    }
  }
  for (auto& [name, deleted] : deleted_now) {
    absl::StatusOr<bool> now = deps_->annotation_deleted(ref_, name.substr(name.rfind('/') + 1));
    if (!now.ok()) {
      *error = ToGrpcStatus(now.status());
      return false;
    }
    deleted = *now;
  }
  for (const retro::v1::SessionEvent& event : *events) {
    replayed_to_ = event.sequence();
    retro::v1::SessionEvent view;
    if (!core::ViewEvent(event, caller_.user_id, &view)) continue;
    if (view.has_annotation() && !view.annotation().deleted()) {
      auto it = deleted_now.find(view.annotation().name());
      if (it != deleted_now.end() && it->second) {
        retro::v1::Annotation* annotation = view.mutable_annotation();
        annotation->clear_text();
        annotation->clear_tags();
        annotation->set_deleted(true);
      }
    }
    replay_queue_.push_back(std::make_shared<const std::string>(view.SerializeAsString()));
  }
  return !events->empty();
}

WatchReactor::Step WatchReactor::NextStep() {
  Step step;
  if (cancelled_.load()) {
    step.kind = Step::kFinish;
    step.status = grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled the watch");
    return step;
  }
  while (!live_) {
    if (!replay_queue_.empty()) {
      step.kind = Step::kWrite;
      size_t bytes = 0;
      while (!replay_queue_.empty() && step.events.size() < max_events() &&
             (step.events.empty() || bytes + replay_queue_.front()->size() <= kMaxBatchBytes)) {
        bytes += replay_queue_.front()->size();
        step.events.push_back(std::move(replay_queue_.front()));
        replay_queue_.pop_front();
      }
      return step;
    }
    grpc::Status error;
    if (ReadReplayPage(&error)) continue;
    if (!error.ok()) {
      step.kind = Step::kFinish;
      step.status = error;
      return step;
    }
    // The log has nothing after replayed_to_: join the live events there.
    std::weak_ptr<WatchReactor> weak = self_;
    live::SessionHub::Joined joined =
        deps_->hub.Subscribe(hub_key_, replayed_to_, caller_.user_id, [weak] {
          if (std::shared_ptr<WatchReactor> reactor = weak.lock()) reactor->Pump();
        });
    if (!joined.subscription) continue;  // Published past us meanwhile: read on.
    subscription_ = std::move(joined.subscription);
    live_ = true;
    deps_->fanout.MaybePublishPresence(hub_key_);
    // The newcomer learns at once how many watch, whatever the throttle says.
    step.kind = Step::kWrite;
    step.events.push_back(EventFanout::PresenceBytes(joined.watchers, deps_->clock.Now()));
    return step;
  }
  if (subscription_->closed()) {
    step.kind = Step::kFinish;
    step.status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                               "the server is shutting down; resume with after_sequence");
    return step;
  }
  if (subscription_->overflowed()) {
    step.kind = Step::kFinish;
    step.status = grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "this watcher fell too far behind the session; resume with the last sequence received");
    return step;
  }
  live::Subscription::Taken taken = subscription_->Take(max_events(), kMaxBatchBytes);
  if (taken.recheck_access) {
    // The batch starts with a session change: visibility, team or
    // facilitators may now shut this viewer out. The batch holds no later
    // session change, so the session's state now covers all of it.
    absl::Status access = deps_->check_access(caller_, ref_.session_id);
    if (!access.ok()) {
      step.kind = Step::kFinish;
      step.status = ToGrpcStatus(access);
      return step;
    }
  }
  if (!taken.events.empty()) {
    step.kind = Step::kWrite;
    step.events = std::move(taken.events);
  }
  return step;
}

void WatchReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
  }
  if (!ok) cancelled_.store(true);  // The stream is broken: finish it.
  Pump();
}

void WatchReactor::OnCancel() {
  cancelled_.store(true);
  Pump();
}

void WatchReactor::OnDone() {
  if (subscription_) {
    deps_->hub.Unsubscribe(hub_key_, subscription_.get());
    deps_->fanout.MaybePublishPresence(hub_key_);
  }
  // Deletes this now, or when the last running wake-up returns.
  std::shared_ptr<WatchReactor> release = std::move(self_);
}

}  // namespace retro::api
