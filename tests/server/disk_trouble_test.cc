// Disk trouble under a running server: a full, read-only or failing data
// directory turns writes into UNAVAILABLE with one clear log line, reads
// keep working, and when the disk is back writes resume without a restart,
// with nothing acknowledged lost and no gap in the log.
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "storage/testing/fault_injection.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Session;
using Fault = storage::FaultInjection::Fault;

// Operational log lines of the server, kept for assertions.
class LogLines {
 public:
  void Add(const std::string& line) {
    absl::MutexLock lock(&mu_);
    lines_.push_back(line);
  }
  int Count(const std::string& part) {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& line : lines_) n += line.find(part) != std::string::npos;
    return n;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

class DiskTroubleTest : public ::testing::TestWithParam<Fault> {
 protected:
  static server::ServerOptions Options() {
    server::ServerOptions options;
    options.env = faults().env();
    options.log = [](const std::string& line) { log().Add(line); };
    return options;
  }
  // Static: the server's Env must outlive it, and the log sink too.
  static storage::FaultInjection& faults() {
    static auto* f = new storage::FaultInjection();
    return *f;
  }
  static LogLines& log() {
    static auto* l = new LogLines();
    return *l;
  }

  DiskTroubleTest() : server_(Options()) {
    faults().Inject(Fault::kNone);
    org_ = retro::testing::MakeOrg(server_, "acme");
  }
  ~DiskTroubleTest() override { faults().Inject(Fault::kNone); }

  grpc::Status Add(const Session& session, const std::string& text,
                   const std::string& request_id = "") {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session.name());
    request.set_request_id(request_id);
    request.mutable_annotation()->set_kind(Annotation::LESSON);
    request.mutable_annotation()->set_text(text);
    Annotation out;
    return server_.annotations().AddAnnotation(Ctx(org_["rep"]).get(), request, &out);
  }
  std::multiset<std::string> Stored(const Session& session) {
    retro::v1::ListAnnotationsRequest list;
    list.set_parent(session.name());
    list.set_page_size(1000);
    retro::v1::ListAnnotationsResponse page;
    grpc::Status status =
        server_.annotations().ListAnnotations(Ctx(org_["rep"]).get(), list, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::multiset<std::string> texts;
    for (const Annotation& a : page.annotations()) texts.insert(a.text());
    return texts;
  }
  uint64_t LastSequence(const Session& session) {
    retro::v1::GetSessionRequest get;
    get.set_name(session.name());
    Session out;
    grpc::Status status = server_.sessions().GetSession(Ctx(org_["rep"]).get(), get, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.last_sequence();
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
};

TEST_P(DiskTroubleTest, WritesFailCleanlyReadsGoOnAndWritesResumeWithoutARestart) {
  const Session session =
      retro::testing::StartLiveSession(server_, org_["rep"], "Loss review: Initech");
  std::multiset<std::string> acknowledged;
  for (int i = 0; i < 5; ++i) {
    std::string text = "before " + std::to_string(i);
    ASSERT_TRUE(Add(session, text).ok());
    acknowledged.insert(text);
  }
  retro::testing::Watcher watcher(server_.channel(), org_["mate"], session.name(), 0);
  ASSERT_TRUE(watcher.WaitForEvents(7));
  const int failing_lines = log().Count("writes are failing");

  faults().Inject(GetParam());
  // Every kind of write is refused, with a status that says why; the log
  // says so once.
  for (int i = 0; i < 5; ++i) {
    grpc::Status status = Add(session, "during", "during-" + std::to_string(i));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("data directory cannot be written"), std::string::npos)
        << status.error_message();
  }
  retro::v1::CreateSessionRequest another;
  another.mutable_session()->set_title("Loss review: Hooli");
  Session ignored;
  EXPECT_EQ(
      server_.sessions().CreateSession(Ctx(org_["rep"]).get(), another, &ignored).error_code(),
      grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(log().Count("writes are failing"), failing_lines + 1);
  EXPECT_GT(faults().refused(), 0u);

  // Reads go on, and show exactly what was acknowledged.
  EXPECT_EQ(Stored(session), acknowledged);
  EXPECT_EQ(LastSequence(session), 7u);

  // The disk is back: writes work again within a few resume intervals, with
  // no restart. A write retried with the request id of a refused one is
  // applied once.
  const int resumed_lines = log().Count("writes resumed");
  faults().Inject(Fault::kNone);
  grpc::Status retried;
  for (int attempt = 0; attempt < 100; ++attempt) {
    retried = Add(session, "during", "during-0");
    if (retried.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  acknowledged.insert("during");
  ASSERT_TRUE(Add(session, "during", "during-0").ok());
  for (int i = 0; i < 5; ++i) {
    std::string text = "after " + std::to_string(i);
    ASSERT_TRUE(Add(session, text).ok());
    acknowledged.insert(text);
  }
  EXPECT_EQ(log().Count("writes resumed"), resumed_lines + 1);
  EXPECT_EQ(Stored(session), acknowledged);
  const uint64_t last = LastSequence(session);
  EXPECT_EQ(last, 2 + acknowledged.size());
  // The watcher that stayed connected saw every event once, in order.
  ASSERT_TRUE(watcher.WaitForEvents(last));
  std::vector<uint64_t> expected;
  for (uint64_t s = 1; s <= last; ++s) expected.push_back(s);
  EXPECT_EQ(watcher.sequences(), expected);

  // And all of it is on disk.
  server_.Restart();
  EXPECT_EQ(Stored(session), acknowledged);
  EXPECT_EQ(LastSequence(session), last);
}

TEST_P(DiskTroubleTest, AServerStoppedWhileWritesFailStopsAndLosesNothing) {
  const Session session =
      retro::testing::StartLiveSession(server_, org_["rep"], "Loss review: Initech");
  ASSERT_TRUE(Add(session, "before").ok());
  faults().Inject(GetParam());
  EXPECT_EQ(Add(session, "during").error_code(), grpc::StatusCode::UNAVAILABLE);
  server_.Stop();  // Must return, with the database still refusing writes.
  faults().Inject(Fault::kNone);
  server_.Restart();
  EXPECT_EQ(Stored(session), (std::multiset<std::string>{"before"}));
  EXPECT_EQ(LastSequence(session), 3u);
  ASSERT_TRUE(Add(session, "after").ok());
}

INSTANTIATE_TEST_SUITE_P(Faults, DiskTroubleTest,
                         ::testing::Values(Fault::kNoSpace, Fault::kReadOnly, Fault::kIoError),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           switch (info.param) {
                             case Fault::kNoSpace:
                               return "DiskFull";
                             case Fault::kReadOnly:
                               return "ReadOnly";
                             default:
                               return "IoError";
                           }
                         });

}  // namespace
}  // namespace retro
