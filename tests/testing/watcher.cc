#include "tests/testing/watcher.h"

namespace retro::testing {

Watcher::Watcher(WatchRpc rpc, std::shared_ptr<grpc::Channel> channel, const std::string& token,
                 const std::string& session, uint64_t after_sequence, bool start_paused,
                 absl::Duration deadline)
    : stub_(retro::v1::SessionService::NewStub(channel)), rpc_(rpc), paused_(start_paused) {
  context_.AddMetadata("authorization", "Bearer " + token);
  context_.set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(deadline)));
  request_.set_name(session);
  request_.set_after_sequence(after_sequence);
  thread_ = std::thread([this] { Run(); });
}

Watcher::~Watcher() {
  Cancel();
  Resume();
  thread_.join();
}

void Watcher::Run() {
  if (rpc_ == WatchRpc::kBatches) {
    auto reader = stub_->WatchSessionBatches(&context_, request_);
    Read<retro::v1::SessionEventBatch>(*reader, [&](const retro::v1::SessionEventBatch& batch) {
      absl::MutexLock lock(&mu_);
      size_t before = events_.size();
      for (const retro::v1::SessionEvent& event : batch.events()) Collect(event);
      if (events_.size() > before) ++event_messages_;
    });
  } else {
    auto reader = stub_->WatchSession(&context_, request_);
    Read<retro::v1::SessionEvent>(*reader, [&](const retro::v1::SessionEvent& event) {
      absl::MutexLock lock(&mu_);
      if (event.sequence() != 0) ++event_messages_;
      Collect(event);
    });
  }
}

template <typename Message>
void Watcher::Read(grpc::ClientReader<Message>& reader,
                   const std::function<void(const Message&)>& each) {
  Message message;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](bool* paused) { return !*paused; }, &paused_));
    }
    if (!reader.Read(&message)) break;
    each(message);
  }
  grpc::Status status = reader.Finish();
  absl::MutexLock lock(&mu_);
  status_ = status;
  ended_ = true;
}

void Watcher::Collect(const retro::v1::SessionEvent& event) {
  if (event.sequence() == 0) {
    ++presence_;
    watchers_ = event.presence().watchers();
  } else {
    events_.push_back(event);
  }
}

void Watcher::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

void Watcher::Cancel() { context_.TryCancel(); }

bool Watcher::WaitForEvents(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return events_.size() >= count || ended_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return events_.size() >= count;
}

bool Watcher::WaitForEnd(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&ended_), timeout);
}

std::vector<retro::v1::SessionEvent> Watcher::events() const {
  absl::MutexLock lock(&mu_);
  return events_;
}

std::vector<uint64_t> Watcher::sequences() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint64_t> out;
  for (const auto& e : events_) out.push_back(e.sequence());
  return out;
}

uint64_t Watcher::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return events_.empty() ? 0 : events_.back().sequence();
}

bool Watcher::WaitForWatchers(int count) {
  struct Wanted {
    const int* watchers;
    int count;
    bool Reached() const { return *watchers >= count; }
  };
  absl::MutexLock lock(&mu_);
  Wanted wanted{&watchers_, count};
  return mu_.AwaitWithTimeout(absl::Condition(&wanted, &Wanted::Reached), absl::Seconds(20));
}

bool Watcher::WaitForWatchersAtMost(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return watchers_ <= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

int Watcher::event_messages() const {
  absl::MutexLock lock(&mu_);
  return event_messages_;
}

int Watcher::presence_events() const {
  absl::MutexLock lock(&mu_);
  return presence_;
}

bool Watcher::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

grpc::Status Watcher::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

}  // namespace retro::testing
