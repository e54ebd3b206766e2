// End to end against the real retrod binary: concurrent writers, SIGKILL at
// a random moment, restart on the same data directory, and every
// acknowledged write is there, the log gap-free. Then a graceful SIGTERM.
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::testing::ReadTrimmed;
using retro::v1::Annotation;

struct Client {
  explicit Client(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        admin(retro::v1::AdminService::NewStub(channel)),
        sessions(retro::v1::SessionService::NewStub(channel)),
        annotations(retro::v1::AnnotationService::NewStub(channel)) {}
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<retro::v1::AdminService::Stub> admin;
  std::unique_ptr<retro::v1::SessionService::Stub> sessions;
  std::unique_ptr<retro::v1::AnnotationService::Stub> annotations;
};

TEST(CrashRecoveryTest, EveryAcknowledgedWriteSurvivesSigkill) {
  retro::testing::TempDir dir;
  retro::testing::RetrodProcess retrod(RETROD_PATH, dir.Join("data"), dir.Join("root_token"),
                                       dir.Join("retrod.log"));
  std::string error;
  ASSERT_TRUE(retrod.Start(&error)) << error;
  struct stat token_stat;
  ASSERT_EQ(stat(dir.Join("root_token").c_str(), &token_stat), 0);
  EXPECT_EQ(token_stat.st_mode & 0777, 0600u);
  std::string root = ReadTrimmed(dir.Join("root_token"));
  EXPECT_EQ(ReadTrimmed(dir.Join("retrod.log")).find(root), std::string::npos)
      << "the root token must not be logged";

  Client client(retrod.address());
  retro::v1::CreateOrganizationRequest org;
  org.set_organization_id("acme");
  org.set_admin_user_id("admin");
  retro::v1::CreateOrganizationResponse created;
  ASSERT_TRUE(client.admin->CreateOrganization(Ctx(root).get(), org, &created).ok());
  const std::string token = created.admin_token();
  retro::v1::CreateSessionRequest create;
  create.mutable_session()->set_title("Crash-test loss review");
  retro::v1::Session session;
  ASSERT_TRUE(client.sessions->CreateSession(Ctx(token).get(), create, &session).ok());
  retro::v1::StartSessionRequest start;
  start.set_name(session.name());
  ASSERT_TRUE(client.sessions->StartSession(Ctx(token).get(), start, &session).ok());

  // Writers add annotations until the server dies under them.
  absl::Mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        retro::v1::AddAnnotationRequest add;
        add.set_parent(session.name());
        add.mutable_annotation()->set_kind(Annotation::LESSON);
        std::string text = "writer " + std::to_string(w) + " lesson " + std::to_string(i);
        add.mutable_annotation()->set_text(text);
        Annotation out;
        auto context = Ctx(token);
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        if (client.annotations->AddAnnotation(context.get(), add, &out).ok()) {
          absl::MutexLock lock(&mu);
          acknowledged.insert(text);
        }
      }
    });
  }
  std::mt19937 random(12345);
  auto wait_for_acks = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return acknowledged.size() >= n; };
    mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  };
  wait_for_acks(50 + random() % 100);
  retrod.Kill();
  stop.store(true);
  for (auto& t : writers) t.join();
  size_t acked = acknowledged.size();
  ASSERT_GE(acked, 50u);

  ASSERT_TRUE(retrod.Start(&error)) << error;
  Client after(retrod.address());
  std::set<std::string> stored;
  std::string page_token;
  do {
    retro::v1::ListAnnotationsRequest list;
    list.set_parent(session.name());
    list.set_page_size(1000);
    list.set_page_token(page_token);
    retro::v1::ListAnnotationsResponse page;
    ASSERT_TRUE(after.annotations->ListAnnotations(Ctx(token).get(), list, &page).ok());
    for (const auto& a : page.annotations()) stored.insert(a.text());
    page_token = page.next_page_token();
  } while (!page_token.empty());
  for (const std::string& text : acknowledged) {
    EXPECT_TRUE(stored.count(text)) << "acknowledged but lost: " << text;
  }
  // The log is gap-free and agrees with the state.
  retro::v1::GetSessionRequest get;
  get.set_name(session.name());
  retro::v1::Session now;
  ASSERT_TRUE(after.sessions->GetSession(Ctx(token).get(), get, &now).ok());
  EXPECT_EQ(now.last_sequence(), 2 + stored.size());
  retro::testing::Watcher watcher(after.channel, token, session.name(), 0);
  ASSERT_TRUE(watcher.WaitForEvents(now.last_sequence()));
  std::vector<uint64_t> sequences = watcher.sequences();
  for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], i + 1);
  std::cout << "acknowledged " << acked << " writes, found " << stored.size()
            << " after SIGKILL and restart\n";

  // Writes keep working, and SIGTERM shuts down cleanly (watchers ended).
  retro::v1::AddAnnotationRequest add;
  add.set_parent(session.name());
  add.mutable_annotation()->set_kind(Annotation::QUESTION);
  add.mutable_annotation()->set_text("after the crash");
  Annotation out;
  ASSERT_TRUE(after.annotations->AddAnnotation(Ctx(token).get(), add, &out).ok());
  EXPECT_EQ(retrod.Terminate(), 0);
  ASSERT_TRUE(watcher.WaitForEnd());
  EXPECT_EQ(watcher.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(ReadTrimmed(dir.Join("retrod.log")).find("received SIGTERM"), std::string::npos);
}

}  // namespace
}  // namespace retro
