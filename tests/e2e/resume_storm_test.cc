// The resume storm: 200 watchers of one live session over the real retrod
// drop their streams at random (on purpose, by deadline, or because the
// server is SIGKILLed and restarted under them) and reconnect with the last
// sequence they hold. Each must end with exactly the event sequence the
// log holds: nothing missing, nothing twice, in order, with the same
// content.
//
// RETRO_RESUME_WATCHERS (200) and RETRO_RESUME_RESTARTS (1 by default, 5 in
// the long run: tests/reliability/run) size it.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
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
using retro::v1::SessionEvent;

// Where the server is now: it moves to a new port at each restart. Watchers
// share a few connections per incarnation, as real clients behind a proxy
// would not, but as a load of browser tabs on one machine would.
class Endpoint {
 public:
  void Set(const std::string& address) {
    absl::MutexLock lock(&mu_);
    address_ = address;
    channels_.clear();
    for (int i = 0; i < 8; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", i);
      channels_.push_back(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    }
  }
  std::shared_ptr<grpc::Channel> Channel(int i) {
    absl::MutexLock lock(&mu_);
    return channels_[i % channels_.size()];
  }

 private:
  absl::Mutex mu_;
  std::string address_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

struct Received {
  std::vector<uint64_t> sequences;
  std::vector<std::string> texts;  // The annotation text of each event, or "".
  int reconnects = 0;
};

std::string TextOf(const SessionEvent& event) {
  return event.has_annotation() ? event.annotation().text() : "";
}

class ResumeStormTest : public ::testing::Test {
 protected:
  ResumeStormTest()
      : retrod_(RETROD_PATH, dir_.Join("data"), dir_.Join("root_token"), dir_.Join("retrod.log")) {}

  // One watcher: reads, drops, resumes after its last sequence, until it
  // holds `final_sequence` (once the writer is done).
  void Watch(int index, const std::string& session, const std::atomic<uint64_t>& final_sequence,
             Received& out) {
    std::mt19937 random(index * 7919 + 17);
    uint64_t last = 0;
    while (true) {
      const uint64_t final = final_sequence.load();
      if (final != 0 && last >= final) return;
      auto stub = retro::v1::SessionService::NewStub(endpoint_.Channel(index));
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token_);
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(300 + random() % 2000));
      retro::v1::WatchSessionRequest request;
      request.set_name(session);
      request.set_after_sequence(last);
      auto reader = stub->WatchSession(&context, request);
      int budget = 1 + random() % 60;  // Events until this client drops on purpose.
      SessionEvent event;
      while (reader->Read(&event)) {
        if (event.sequence() == 0) continue;  // Presence.
        out.sequences.push_back(event.sequence());
        out.texts.push_back(TextOf(event));
        last = event.sequence();
        const uint64_t done = final_sequence.load();
        if (--budget == 0 || (done != 0 && last >= done)) {
          context.TryCancel();
          break;
        }
      }
      grpc::Status status = reader->Finish();
      ++out.reconnects;
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 100));
      } else if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
                 status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
        ADD_FAILURE() << "watcher " << index << ": " << status.error_code() << " "
                      << status.error_message();
        return;
      }
    }
  }

  retro::testing::TempDir dir_;
  retro::testing::RetrodProcess retrod_;
  Endpoint endpoint_;
  std::string token_;
};

TEST_F(ResumeStormTest, EveryWatcherEndsWithExactlyTheLogAcrossDropsAndRestarts) {
  const int watchers = EnvInt("RETRO_RESUME_WATCHERS", 200);
  const int restarts = EnvInt("RETRO_RESUME_RESTARTS", 1);
  std::string error;
  ASSERT_TRUE(retrod_.Start(&error)) << error;
  endpoint_.Set(retrod_.address());
  const std::string root = ReadTrimmed(dir_.Join("root_token"));
  auto admin = retro::v1::AdminService::NewStub(endpoint_.Channel(0));
  retro::v1::CreateOrganizationRequest org;
  org.set_organization_id("acme");
  org.set_admin_user_id("admin");
  retro::v1::CreateOrganizationResponse created;
  ASSERT_TRUE(admin->CreateOrganization(Ctx(root).get(), org, &created).ok());
  token_ = created.admin_token();
  Session session;
  {
    auto sessions = retro::v1::SessionService::NewStub(endpoint_.Channel(0));
    retro::v1::CreateSessionRequest create;
    create.mutable_session()->set_title("Company-wide loss review");
    ASSERT_TRUE(sessions->CreateSession(Ctx(token_).get(), create, &session).ok());
    retro::v1::StartSessionRequest start;
    start.set_name(session.name());
    ASSERT_TRUE(sessions->StartSession(Ctx(token_).get(), start, &session).ok());
  }

  std::atomic<uint64_t> final_sequence{0};
  std::vector<Received> received(watchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < watchers; ++i) {
    threads.emplace_back([&, i] { Watch(i, session.name(), final_sequence, received[i]); });
  }

  // The presenter adds notes at about 200 a second, retrying each with its
  // request id until acknowledged; the server is killed and restarted under
  // everyone `restarts` times along the way.
  const int notes = 300 * (restarts + 1);
  std::mt19937 random(42);
  std::vector<int> kill_at;
  for (int r = 1; r <= restarts; ++r) kill_at.push_back(notes * r / (restarts + 1));
  int retries = 0;
  for (int n = 0, k = 0; n < notes; ++n) {
    if (k < static_cast<int>(kill_at.size()) && n == kill_at[k]) {
      ++k;
      retrod_.Kill();
      ASSERT_TRUE(retrod_.Start(&error)) << error;
      endpoint_.Set(retrod_.address());
    }
    retro::v1::AddAnnotationRequest add;
    add.set_parent(session.name());
    add.set_request_id(absl::StrCat("note-", n));
    add.mutable_annotation()->set_kind(Annotation::LESSON);
    add.mutable_annotation()->set_text(absl::StrCat("lesson ", n));
    grpc::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto annotations = retro::v1::AnnotationService::NewStub(endpoint_.Channel(n));
      Annotation out;
      status = annotations->AddAnnotation(Ctx(token_).get(), add, &out);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      ++retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(status.ok()) << status.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 10));
  }

  // What the log holds, read once more from the start.
  auto sessions = retro::v1::SessionService::NewStub(endpoint_.Channel(0));
  retro::v1::GetSessionRequest get;
  get.set_name(session.name());
  Session now;
  ASSERT_TRUE(sessions->GetSession(Ctx(token_).get(), get, &now).ok());
  ASSERT_EQ(now.last_sequence(), 2u + notes) << "a note was applied twice or lost";
  Received log;
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token_);
    retro::v1::WatchSessionRequest request;
    request.set_name(session.name());
    auto reader = sessions->WatchSession(&context, request);
    SessionEvent event;
    while (log.sequences.size() < now.last_sequence() && reader->Read(&event)) {
      if (event.sequence() == 0) continue;
      log.sequences.push_back(event.sequence());
      log.texts.push_back(TextOf(event));
    }
    context.TryCancel();
    reader->Finish();
  }
  final_sequence.store(now.last_sequence());
  for (auto& t : threads) t.join();

  int reconnects = 0;
  for (int i = 0; i < watchers; ++i) {
    EXPECT_EQ(received[i].sequences, log.sequences) << "watcher " << i;
    EXPECT_EQ(received[i].texts, log.texts) << "watcher " << i;
    reconnects += received[i].reconnects;
  }
  std::cout << "resume storm: " << watchers << " watchers, " << restarts << " SIGKILL restarts, "
            << reconnects << " reconnects, " << now.last_sequence() << " events each, " << retries
            << " write retries; "
            << (HasFailure() ? "MISMATCH" : "every watcher holds exactly the log") << "\n";
}

}  // namespace
}  // namespace retro
