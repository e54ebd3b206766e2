// Overload: writes beyond a session's queue are shed with RESOURCE_EXHAUSTED
// and store nothing; a write whose client deadline passes while it waits
// for its session is dropped, unwritten.
#include <thread>

#include "gtest/gtest.h"
#include "storage/testing/fault_injection.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Session;

class OverloadTest : public ::testing::Test {
 protected:
  static server::ServerOptions Options(int max_queued_writes) {
    server::ServerOptions options;
    options.env = faults().env();
    options.max_queued_writes_per_session = max_queued_writes;
    return options;
  }
  static storage::FaultInjection& faults() {
    static auto* f = new storage::FaultInjection();
    return *f;
  }

  explicit OverloadTest(int max_queued_writes = 256) : server_(Options(max_queued_writes)) {
    faults().DelaySyncs(0);
    org_ = retro::testing::MakeOrg(server_, "acme");
    session_ = retro::testing::StartLiveSession(server_, org_["rep"], "Loss review: Umbrella");
  }
  ~OverloadTest() override { faults().DelaySyncs(0); }

  grpc::Status Add(const std::string& text, std::unique_ptr<grpc::ClientContext> context) {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session_.name());
    request.mutable_annotation()->set_kind(Annotation::LESSON);
    request.mutable_annotation()->set_text(text);
    Annotation out;
    return server_.annotations().AddAnnotation(context.get(), request, &out);
  }
  std::vector<std::string> Stored() {
    retro::v1::ListAnnotationsRequest list;
    list.set_parent(session_.name());
    retro::v1::ListAnnotationsResponse page;
    EXPECT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["rep"]).get(), list, &page).ok());
    std::vector<std::string> texts;
    for (const Annotation& a : page.annotations()) texts.push_back(a.text());
    return texts;
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
  Session session_;
};

class ShortQueueTest : public OverloadTest {
 protected:
  ShortQueueTest() : OverloadTest(/*max_queued_writes=*/1) {}
};

TEST_F(ShortQueueTest, AWriteFindingItsSessionsQueueFullIsShedAndStoresNothing) {
  // A slow disk: each batch holds the session for 2 s.
  faults().DelaySyncs(2000);
  std::thread running([&] { EXPECT_TRUE(Add("running", Ctx(org_["rep"])).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  std::thread queued([&] { EXPECT_TRUE(Add("queued", Ctx(org_["rep"])).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // One write runs and one waits: the queue (1) is full.
  grpc::Status status = Add("shed", Ctx(org_["rep"]));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("writes waiting; retry with backoff"), std::string::npos)
      << status.error_message();
  running.join();
  queued.join();
  faults().DelaySyncs(0);
  EXPECT_EQ(Stored(), (std::vector<std::string>{"running", "queued"}));
}

TEST_F(OverloadTest, AWriteWhoseDeadlinePassesWhileItWaitsIsNotApplied) {
  // A slow disk: the first write's batch holds the session for 2 s.
  faults().DelaySyncs(2000);
  std::thread first([&] {
    auto context = Ctx(org_["rep"]);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EXPECT_TRUE(Add("first", std::move(context)).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  // The second waits behind it and gives up after 400 ms.
  auto context = Ctx(org_["rep"]);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(400));
  EXPECT_EQ(Add("gave up", std::move(context)).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  first.join();
  faults().DelaySyncs(0);
  // A write after it still works, and the abandoned one was never applied.
  EXPECT_TRUE(Add("third", Ctx(org_["rep"])).ok());
  EXPECT_EQ(Stored(), (std::vector<std::string>{"first", "third"}));
}

}  // namespace
}  // namespace retro
