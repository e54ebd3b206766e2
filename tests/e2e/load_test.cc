// Load: 1,000 watchers and 50 writers on one live session of the real
// retrod, with a burst that overflows the session's write queue. Every
// error must be one the server promises under load (RESOURCE_EXHAUSTED when
// it sheds, DEADLINE_EXCEEDED when a client's deadline passes); every
// watcher, resuming after a shed, ends with the whole log, gap-free; and
// the server's RSS stays under its bound.
//
// RETRO_LOAD_SECONDS (10 by default, 60 in the long run:
// tests/reliability/run), RETRO_LOAD_WATCHERS (1000), RETRO_LOAD_WRITERS
// (50) size it. Figures go to stdout; nothing here asserts a time.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::testing::EnvInt;
using retro::testing::ReadTrimmed;
using retro::v1::Annotation;
using retro::v1::Session;
using Clock = std::chrono::steady_clock;

// The bound retrod's resident memory must stay under: about 8 times what
// this run needs (about 60 MiB on the development machine). The watchers'
// queues share each event's bytes, gRPC's quota is 256 MiB here, and
// growth past the bound would mean a queue without one.
constexpr double kRssBoundMiB = 512;

// Under AddressSanitizer memory figures mean nothing (shadow memory and a
// quarantine of freed blocks): the bound is checked in the plain build only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

double RssMiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

// Tallies of every status the run saw, by code.
class Outcomes {
 public:
  void Add(const std::string& what, const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    ++counts_[absl::StrCat(what, " ", status.error_code())];
    const bool expected = status.ok() ||
                          status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                          (what == "watch" && status.error_code() == grpc::StatusCode::CANCELLED);
    if (!expected && unexpected_.size() < 10) {
      unexpected_.push_back(
          absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
    }
  }
  int64_t Count(const std::string& what, grpc::StatusCode code) {
    absl::MutexLock lock(&mu_);
    return counts_[absl::StrCat(what, " ", code)];
  }
  std::vector<std::string> unexpected() {
    absl::MutexLock lock(&mu_);
    return unexpected_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> unexpected_ ABSL_GUARDED_BY(mu_);
};

// One watcher stream; a shed watcher is replaced by one resuming after the
// last sequence it held (see LoadTest::Supervise).
class LoadWatcher : public grpc::ClientReadReactor<retro::v1::SessionEvent> {
 public:
  LoadWatcher(retro::v1::SessionService::Stub* stub, const std::string& token,
              const std::string& session, uint64_t after)
      : last_(after) {
    context_.AddMetadata("authorization", "Bearer " + token);
    request_.set_name(session);
    request_.set_after_sequence(after);
    stub->async()->WatchSession(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (event_.sequence() != 0) {
      if (event_.sequence() != last_.load() + 1) gaps_.fetch_add(1);
      last_.store(event_.sequence());
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  }
  void Cancel() { context_.TryCancel(); }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  uint64_t last() const { return last_.load(); }
  int gaps() const { return gaps_.load(); }

 private:
  grpc::ClientContext context_;
  retro::v1::WatchSessionRequest request_;
  retro::v1::SessionEvent event_;
  std::atomic<uint64_t> last_;
  std::atomic<int> gaps_{0};
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

TEST(LoadTest, ThousandWatchersFiftyWritersNoUnexpectedErrorBoundedMemory) {
  const int seconds = EnvInt("RETRO_LOAD_SECONDS", 10);
  const int watcher_count = EnvInt("RETRO_LOAD_WATCHERS", 1000);
  const int writer_count = EnvInt("RETRO_LOAD_WRITERS", 50);
  retro::testing::TempDir dir;
  retro::testing::RetrodProcess retrod(RETROD_PATH, dir.Join("data"), dir.Join("root_token"),
                                       dir.Join("retrod.log"));
  retrod.set_extra_args({"--access_log=false", "--memory_quota_mb=256", "--max_queued_writes=16"});
  std::string error;
  ASSERT_TRUE(retrod.Start(&error)) << error;

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 16; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);
    channels.push_back(
        grpc::CreateCustomChannel(retrod.address(), grpc::InsecureChannelCredentials(), args));
  }
  auto admin = retro::v1::AdminService::NewStub(channels[0]);
  auto sessions = retro::v1::SessionService::NewStub(channels[0]);
  retro::v1::CreateOrganizationRequest org;
  org.set_organization_id("acme");
  org.set_admin_user_id("admin");
  retro::v1::CreateOrganizationResponse created;
  ASSERT_TRUE(
      admin->CreateOrganization(Ctx(ReadTrimmed(dir.Join("root_token"))).get(), org, &created)
          .ok());
  const std::string token = created.admin_token();
  std::vector<std::string> writer_tokens;
  for (int w = 0; w < writer_count; ++w) {
    retro::v1::CreateUserRequest user;
    user.set_user_id(absl::StrCat("writer", w));
    user.mutable_user()->set_role(retro::v1::MEMBER);
    retro::v1::User out;
    ASSERT_TRUE(admin->CreateUser(Ctx(token).get(), user, &out).ok());
    retro::v1::IssueTokenRequest issue;
    issue.set_user(absl::StrCat("users/writer", w));
    retro::v1::IssueTokenResponse issued;
    ASSERT_TRUE(admin->IssueToken(Ctx(token).get(), issue, &issued).ok());
    writer_tokens.push_back(issued.secret());
  }
  Session session;
  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Company-wide loss review");
  create.mutable_session()->set_votes_per_participant(100);
  ASSERT_TRUE(sessions->CreateSession(Ctx(token).get(), create, &session).ok());
  retro::v1::StartSessionRequest start;
  start.set_name(session.name());
  ASSERT_TRUE(sessions->StartSession(Ctx(token).get(), start, &session).ok());

  // The watchers, over 16 connections.
  std::vector<std::unique_ptr<retro::v1::SessionService::Stub>> stubs;
  for (auto& channel : channels) stubs.push_back(retro::v1::SessionService::NewStub(channel));
  Outcomes outcomes;
  std::vector<std::unique_ptr<LoadWatcher>> watchers;
  std::vector<std::vector<std::unique_ptr<LoadWatcher>>> retired(watcher_count);
  for (int i = 0; i < watcher_count; ++i) {
    watchers.push_back(
        std::make_unique<LoadWatcher>(stubs[i % stubs.size()].get(), token, session.name(), 0));
  }
  int resumes = 0;
  int gaps = 0;
  // Replaces every ended watcher with one that resumes where it stopped.
  auto supervise = [&] {
    for (int i = 0; i < watcher_count; ++i) {
      if (!watchers[i]->done()) continue;
      outcomes.Add("watch", watchers[i]->status());
      gaps += watchers[i]->gaps();
      const uint64_t last = watchers[i]->last();
      retired[i].push_back(std::move(watchers[i]));
      watchers[i] =
          std::make_unique<LoadWatcher>(stubs[i % stubs.size()].get(), token, session.name(), last);
      ++resumes;
    }
  };

  // The writers: about one write a second each, notes (70%), edits of
  // their own notes (20%) and votes (10%), with a 2 s deadline; halfway, a
  // burst of back-to-back writes that overflows the session's queue.
  std::atomic<bool> stop{false};
  std::atomic<bool> burst{false};
  std::atomic<int64_t> written{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < writer_count; ++w) {
    writers.emplace_back([&, w] {
      std::mt19937 random(w + 1);
      auto annotations = retro::v1::AnnotationService::NewStub(channels[w % channels.size()]);
      std::vector<std::string> mine;
      std::vector<std::string> voted;
      int n = 0;
      while (!stop.load()) {
        const bool bursting = burst.load();
        auto context = Ctx(writer_tokens[w]);
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        Annotation out;
        grpc::Status status;
        const int dice = random() % 10;
        if (dice < 7 || mine.empty()) {
          retro::v1::AddAnnotationRequest add;
          add.set_parent(session.name());
          add.set_request_id(absl::StrCat("w", w, "-", n));
          add.mutable_annotation()->set_kind(Annotation::LESSON);
          add.mutable_annotation()->set_text(absl::StrCat("writer ", w, " note ", n++));
          status = annotations->AddAnnotation(context.get(), add, &out);
          if (status.ok()) mine.push_back(out.name());
          outcomes.Add("add", status);
        } else if (dice < 9 || voted.size() >= 100) {
          retro::v1::EditAnnotationRequest edit;
          edit.mutable_annotation()->set_name(mine[random() % mine.size()]);
          edit.mutable_annotation()->set_text(absl::StrCat("writer ", w, " edit ", n++));
          edit.mutable_update_mask()->add_paths("text");
          status = annotations->EditAnnotation(context.get(), edit, &out);
          outcomes.Add("edit", status);
        } else {
          // Vote for one of its own notes it has not voted for yet.
          std::string target;
          for (const std::string& name : mine) {
            if (std::find(voted.begin(), voted.end(), name) == voted.end()) target = name;
          }
          if (target.empty()) continue;
          retro::v1::VoteAnnotationRequest vote;
          vote.set_name(target);
          vote.set_request_id(absl::StrCat("v", w, "-", n++));
          status = annotations->VoteAnnotation(context.get(), vote, &out);
          if (status.ok()) voted.push_back(target);
          outcomes.Add("vote", status);
        }
        if (status.ok()) written.fetch_add(1);
        if (!bursting)
          std::this_thread::sleep_for(std::chrono::milliseconds(500 + random() % 1000));
      }
    });
  }

  double peak_rss = 0;
  const auto started = Clock::now();
  const auto end = started + std::chrono::seconds(seconds);
  while (Clock::now() < end) {
    const auto elapsed = Clock::now() - started;
    burst.store(elapsed > std::chrono::seconds(seconds) / 2 &&
                elapsed < std::chrono::seconds(seconds) / 2 + std::chrono::seconds(1));
    peak_rss = std::max(peak_rss, RssMiB(retrod.pid()));
    supervise();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop.store(true);
  for (auto& t : writers) t.join();

  // Everyone catches up with the whole log.
  retro::v1::GetSessionRequest get;
  get.set_name(session.name());
  Session now;
  ASSERT_TRUE(sessions->GetSession(Ctx(token).get(), get, &now).ok());
  const auto catch_up_deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < catch_up_deadline) {
    supervise();
    peak_rss = std::max(peak_rss, RssMiB(retrod.pid()));
    bool all = true;
    for (auto& w : watchers) all = all && w->last() >= now.last_sequence();
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int behind = 0;
  for (auto& w : watchers) {
    behind += w->last() < now.last_sequence();
    gaps += w->gaps();
    w->Cancel();
  }
  for (auto& w : watchers) w->Wait();
  for (auto& w : watchers) outcomes.Add("watch", w->status());

  std::cout << "load: " << watcher_count << " watchers, " << writer_count << " writers, " << seconds
            << " s: " << written.load() << " writes acknowledged (" << now.last_sequence()
            << " events), shed: "
            << outcomes.Count("add", grpc::StatusCode::RESOURCE_EXHAUSTED) +
                   outcomes.Count("edit", grpc::StatusCode::RESOURCE_EXHAUSTED) +
                   outcomes.Count("vote", grpc::StatusCode::RESOURCE_EXHAUSTED)
            << " writes and " << outcomes.Count("watch", grpc::StatusCode::RESOURCE_EXHAUSTED)
            << " watch streams (" << resumes << " resumed), deadline exceeded: "
            << outcomes.Count("add", grpc::StatusCode::DEADLINE_EXCEEDED) +
                   outcomes.Count("edit", grpc::StatusCode::DEADLINE_EXCEEDED) +
                   outcomes.Count("vote", grpc::StatusCode::DEADLINE_EXCEEDED)
            << ", peak RSS " << peak_rss << " MiB (bound " << kRssBoundMiB << ")\n";
  EXPECT_TRUE(outcomes.unexpected().empty())
      << "unexpected: " << absl::StrJoin(outcomes.unexpected(), "; ");
  EXPECT_EQ(gaps, 0) << "a watcher saw a gap in its sequence";
  EXPECT_EQ(behind, 0) << "watchers never caught up with the log";
  if (!kSanitized) {
    EXPECT_LT(peak_rss, kRssBoundMiB);
  }
  EXPECT_GT(written.load(), writer_count * seconds / 4);
}

}  // namespace
}  // namespace retro
