// WatchSession over loopback: replay then live with no gap, identical order
// for every watcher, resume after drops and restarts, slow watchers ended
// alone, privacy of hidden and anonymous annotations in events.
#include <thread>

#include "gtest/gtest.h"
#include "tests/testing/freezing_proxy.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::testing::Watcher;
using retro::testing::WatchRpc;
using retro::v1::Annotation;
using retro::v1::Session;

class WatchTest : public ::testing::TestWithParam<retro::testing::WatchRpc> {
 protected:
  explicit WatchTest(server::ServerOptions options = {}) : server_(options) {
    org_ = retro::testing::MakeOrg(server_, "acme");
  }

  Session CreateLive(bool hide_until_reveal = false) {
    retro::v1::CreateSessionRequest create;
    create.mutable_session()->set_title("Loss review: Globex");
    create.mutable_session()->add_facilitators("mate");
    create.mutable_session()->set_hide_until_reveal(hide_until_reveal);
    Session session;
    EXPECT_TRUE(server_.sessions().CreateSession(Ctx(org_["rep"]).get(), create, &session).ok());
    retro::v1::StartSessionRequest start;
    start.set_name(session.name());
    EXPECT_TRUE(server_.sessions().StartSession(Ctx(org_["rep"]).get(), start, &session).ok());
    return session;
  }
  Annotation Add(const std::string& user, const Session& session, const std::string& text,
                 bool anonymous = false, size_t padding = 0) {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session.name());
    request.mutable_annotation()->set_kind(Annotation::LESSON);
    request.mutable_annotation()->set_text(text + std::string(padding, '.'));
    request.mutable_annotation()->set_anonymous(anonymous);
    Annotation out;
    grpc::Status status = server_.annotations().AddAnnotation(Ctx(org_[user]).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  // "rep" and "mate" each add `each` annotations, at the same time.
  void AddFromTwoWriters(const Session& session, int each) {
    std::thread rep([&] {
      for (int i = 0; i < each; ++i) Add("rep", session, "rep " + std::to_string(i));
    });
    for (int i = 0; i < each; ++i) Add("mate", session, "mate " + std::to_string(i));
    rep.join();
  }
  void LargeAudienceGetsEveryEventInOrderAndShutdownEndsIt() {
    constexpr int kWatchers = 48;  // Over SessionHub::kMaxInlineWakes (16).
    Session session = CreateLive();
    std::vector<std::shared_ptr<grpc::Channel>> channels = {server_.NewChannel(),
                                                            server_.NewChannel()};
    std::vector<std::unique_ptr<Watcher>> watchers;
    for (int w = 0; w < kWatchers; ++w) {
      watchers.push_back(
          std::make_unique<Watcher>(GetParam(), channels[w % 2], org_["mate"], session.name(), 0));
    }
    for (auto& watcher : watchers) ASSERT_TRUE(watcher->WaitForEvents(2));
    AddFromTwoWriters(session, 30);
    for (auto& watcher : watchers) {
      ASSERT_TRUE(watcher->WaitForEvents(62));
      EXPECT_EQ(watcher->sequences(), Range(1, 62));
    }
    server_.Stop();
    for (auto& watcher : watchers) {
      ASSERT_TRUE(watcher->WaitForEnd());
      EXPECT_EQ(watcher->status().error_code(), grpc::StatusCode::UNAVAILABLE);
    }
  }
  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t s = from; s <= to; ++s) out.push_back(s);
    return out;
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
};

TEST_P(WatchTest, WatchersSeeIdenticalOrderedSequencesAcrossTheReplaySeam) {
  Session session = CreateLive();  // Events 1 (created) and 2 (started).
  for (int i = 0; i < 10; ++i) Add("rep", session, "before " + std::to_string(i));
  // Watchers join at different points: from scratch, mid-log, at the end.
  std::vector<std::unique_ptr<Watcher>> watchers;
  watchers.push_back(
      std::make_unique<Watcher>(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0));
  watchers.push_back(std::make_unique<Watcher>(GetParam(), server_.NewChannel(), org_["other"],
                                               session.name(), 5));
  watchers.push_back(
      std::make_unique<Watcher>(GetParam(), server_.channel(), org_["enable"], session.name(), 12));
  // Two writers at once while the watchers replay and go live.
  AddFromTwoWriters(session, 25);
  const uint64_t last = 62;
  ASSERT_TRUE(watchers[0]->WaitForEvents(last));
  ASSERT_TRUE(watchers[1]->WaitForEvents(last - 5));
  ASSERT_TRUE(watchers[2]->WaitForEvents(last - 12));
  EXPECT_EQ(watchers[0]->sequences(), Range(1, last));
  EXPECT_EQ(watchers[1]->sequences(), Range(6, last));
  EXPECT_EQ(watchers[2]->sequences(), Range(13, last));
  // The same events, byte for byte, where they overlap.
  auto e0 = watchers[0]->events();
  auto e2 = watchers[2]->events();
  for (size_t i = 0; i < e2.size(); ++i) {
    EXPECT_EQ(e0[i + 12].SerializeAsString(), e2[i].SerializeAsString());
  }
  EXPECT_GE(watchers[0]->presence_events(), 1);
}

TEST_P(WatchTest, BatchesCarryAReplayPageAMessageAndTheSameEvents) {
  Session session = CreateLive();
  for (int i = 0; i < 300; ++i) Add("rep", session, "note " + std::to_string(i));
  Watcher watcher(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
  ASSERT_TRUE(watcher.WaitForEvents(302));
  EXPECT_EQ(watcher.sequences(), Range(1, 302));
  // Pages of 256 from the log: 256, then 46.
  EXPECT_EQ(watcher.event_messages(), GetParam() == WatchRpc::kBatches ? 2 : 302);
  // Byte for byte what the one-event method sends.
  Watcher reference(server_.NewChannel(), org_["mate"], session.name(), 0);
  ASSERT_TRUE(reference.WaitForEvents(302));
  std::vector<retro::v1::SessionEvent> got = watcher.events();
  std::vector<retro::v1::SessionEvent> want = reference.events();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].SerializeAsString(), want[i].SerializeAsString()) << "event " << i;
  }
  // Live events after the replay arrive as well.
  Add("mate", session, "after the replay");
  ASSERT_TRUE(watcher.WaitForEvents(303));
  EXPECT_EQ(watcher.events().back().annotation().text(), "after the replay");
}

TEST_P(WatchTest, ReconnectWithLastSequenceMissesNothingEvenAcrossARestart) {
  Session session = CreateLive();
  for (int i = 0; i < 5; ++i) Add("rep", session, "first " + std::to_string(i));
  uint64_t seen;
  {
    Watcher watcher(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
    ASSERT_TRUE(watcher.WaitForEvents(7));
    seen = watcher.last_sequence();
    watcher.Cancel();  // The laptop lid closes.
  }
  EXPECT_EQ(seen, 7u);
  for (int i = 0; i < 5; ++i) Add("rep", session, "while away " + std::to_string(i));
  server_.Restart();
  for (int i = 0; i < 5; ++i) Add("rep", session, "after restart " + std::to_string(i));
  Watcher resumed(GetParam(), server_.NewChannel(), org_["mate"], session.name(), seen);
  ASSERT_TRUE(resumed.WaitForEvents(10));
  Add("rep", session, "live again");
  ASSERT_TRUE(resumed.WaitForEvents(11));
  EXPECT_EQ(resumed.sequences(), Range(8, 18));
  EXPECT_EQ(resumed.events().back().annotation().text(), "live again");
}

TEST_P(WatchTest, AfterSequenceBeyondTheEndIsOutOfRangeAndUnknownSessionsAreNotFound) {
  Session session = CreateLive();
  Watcher beyond(GetParam(), server_.channel(), org_["mate"], session.name(), 3);
  ASSERT_TRUE(beyond.WaitForEnd());
  EXPECT_EQ(beyond.status().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  Watcher missing(GetParam(), server_.channel(), org_["mate"], "sessions/nope", 0);
  ASSERT_TRUE(missing.WaitForEnd());
  EXPECT_EQ(missing.status().error_code(), grpc::StatusCode::NOT_FOUND);
  Watcher no_token(GetParam(), server_.channel(), "", session.name(), 0);
  ASSERT_TRUE(no_token.WaitForEnd());
  EXPECT_EQ(no_token.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_P(WatchTest, HiddenAnnotationsReachOnlyTheirAuthorUntilRevealAndAnonymityHolds) {
  Session session = CreateLive(/*hide_until_reveal=*/true);
  Watcher author(GetParam(), server_.NewChannel(), org_["other"], session.name(), 0);
  Watcher teammate(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
  Annotation secret = Add("other", session, "We never met the CFO", /*anonymous=*/true);
  EXPECT_EQ(secret.author(), "other");  // The author sees its own name.
  EXPECT_FALSE(secret.revealed());
  ASSERT_TRUE(author.WaitForEvents(3));
  EXPECT_EQ(author.events()[2].annotation().text(), "We never met the CFO");

  // The teammate sees neither the event nor the annotation in lists.
  retro::v1::ListAnnotationsRequest list;
  list.set_parent(session.name());
  retro::v1::ListAnnotationsResponse listed;
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.annotations_size(), 0);

  retro::v1::RevealStageRequest reveal;
  reveal.set_name(session.name());
  Session revealed;
  ASSERT_TRUE(server_.sessions().RevealStage(Ctx(org_["rep"]).get(), reveal, &revealed).ok());
  ASSERT_TRUE(teammate.WaitForEvents(4));  // created, started, revealed annotation, session.
  for (const auto& event : teammate.events()) {
    EXPECT_NE(event.sequence(), 3u) << "the hidden event leaked";
    if (event.has_annotation()) {
      EXPECT_EQ(event.annotation().text(), "We never met the CFO");
      EXPECT_TRUE(event.annotation().author().empty()) << "anonymous author leaked";
    }
  }
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), list, &listed).ok());
  ASSERT_EQ(listed.annotations_size(), 1);
  EXPECT_TRUE(listed.annotations(0).author().empty());
  // A late joiner replaying the log learns nothing more.
  Watcher late(GetParam(), server_.NewChannel(), org_["enable"], session.name(), 0);
  ASSERT_TRUE(late.WaitForEvents(4));
  for (const auto& event : late.events()) {
    EXPECT_NE(event.sequence(), 3u);
    if (event.has_annotation()) {
      EXPECT_TRUE(event.annotation().author().empty());
    }
  }
}

TEST_P(WatchTest, ADeletedNoteLeavesNoTextInTheHistoryALateJoinerReplays) {
  Session session = CreateLive();
  Annotation rude = Add("mate", session, "Their buyer is an idiot", false);
  Add("mate", session, "Confirm the budget holder in discovery");
  retro::v1::DeleteAnnotationRequest remove;
  remove.set_name(rude.name());
  Annotation removed;
  ASSERT_TRUE(
      server_.annotations().DeleteAnnotation(Ctx(org_["rep"]).get(), remove, &removed).ok());

  Watcher late(GetParam(), server_.NewChannel(), org_["enable"], session.name(), 0);
  ASSERT_TRUE(late.WaitForEvents(5));  // created, started, two notes, the deletion
  int deleted_events = 0;
  for (const auto& event : late.events()) {
    if (!event.has_annotation()) continue;
    EXPECT_EQ(event.annotation().text().find("idiot"), std::string::npos)
        << "moderated text replayed at sequence " << event.sequence();
    if (event.annotation().name() == rude.name()) {
      EXPECT_TRUE(event.annotation().deleted());
      ++deleted_events;
    }
  }
  EXPECT_EQ(deleted_events, 2);
  // The other note replays as it was written.
  EXPECT_EQ(late.events()[3].annotation().text(), "Confirm the budget holder in discovery");
}

class SlowWatcherTest : public WatchTest {
 protected:
  static server::ServerOptions SmallQueues() {
    server::ServerOptions options;
    options.watcher_limits.max_events = 16;
    return options;
  }
  SlowWatcherTest() : WatchTest(SmallQueues()) {}
};

TEST_P(SlowWatcherTest, AStalledWatcherIsEndedAloneAndResumesCleanly) {
  Session session = CreateLive();
  // A client with a tiny flow-control window that reads nothing.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8192);
  auto small_window =
      grpc::CreateCustomChannel(server_.address(), grpc::InsecureChannelCredentials(), args);
  Watcher stalled(GetParam(), small_window, org_["other"], session.name(), 0,
                  /*start_paused=*/true);
  Watcher healthy(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
  // Both must be live (subscribed to the hub) before the flood: a watcher
  // still replaying reads the log at its own pace and is never too far
  // behind.
  ASSERT_TRUE(healthy.WaitForWatchers(2));
  const int kAnnotations = 120;
  for (int i = 0; i < kAnnotations; ++i)
    Add("rep", session, "note " + std::to_string(i), false, 3000);
  const uint64_t last = 2 + kAnnotations;
  ASSERT_TRUE(healthy.WaitForEvents(last));
  EXPECT_EQ(healthy.sequences(), Range(1, last));
  EXPECT_FALSE(healthy.ended());

  stalled.Resume();
  ASSERT_TRUE(stalled.WaitForEnd());
  EXPECT_EQ(stalled.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  std::vector<uint64_t> got = stalled.sequences();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got, Range(1, got.back()));  // What it got has no gap.
  EXPECT_LT(got.back(), last);

  Watcher resumed(GetParam(), server_.NewChannel(), org_["other"], session.name(), got.back());
  ASSERT_TRUE(resumed.WaitForEvents(last - got.back()));
  EXPECT_EQ(resumed.sequences(), Range(got.back() + 1, last));
}

class HalfOpenTest : public WatchTest {
 protected:
  static server::ServerOptions QuickKeepalive() {
    server::ServerOptions options;
    options.keepalive_time = absl::Seconds(1);
    options.keepalive_timeout = absl::Seconds(1);
    return options;
  }
  HalfOpenTest() : WatchTest(QuickKeepalive()) {}
};

TEST_P(HalfOpenTest, AClientWhoseNetworkVanishesIsReapedByKeepalive) {
  Session session = CreateLive();
  Watcher staying(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
  retro::testing::FreezingProxy proxy(server_.address());
  ASSERT_FALSE(proxy.address().empty());
  Watcher vanishing(GetParam(),
                    grpc::CreateChannel(proxy.address(), grpc::InsecureChannelCredentials()),
                    org_["other"], session.name(), 0);
  ASSERT_TRUE(staying.WaitForWatchers(2));
  // The client's network goes silent: no FIN, no RST, nothing read. Only
  // the server's keepalive pings, unanswered, can end its stream.
  proxy.Freeze();
  EXPECT_TRUE(staying.WaitForWatchersAtMost(1, absl::Seconds(30)))
      << "the half-open watcher was never reaped";
  Add("rep", session, "after the reaping");
  ASSERT_TRUE(staying.WaitForEvents(3));
}

TEST_P(WatchTest, AWatcherShutOutByAVisibilityChangeIsEnded) {
  Session session = CreateLive();  // Organization-wide.
  Watcher outsider(GetParam(), server_.NewChannel(), org_["other"], session.name(),
                   0);                                                                 // Team west.
  Watcher insider(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);  // Team east.
  ASSERT_TRUE(outsider.WaitForEvents(2));
  retro::v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(session.name());
  update.mutable_session()->set_visibility(retro::v1::TEAM);
  update.mutable_session()->set_team_id("east");
  update.mutable_update_mask()->add_paths("visibility");
  update.mutable_update_mask()->add_paths("team_id");
  Session updated;
  ASSERT_TRUE(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &updated).ok());
  Add("rep", session, "for the east team only");
  ASSERT_TRUE(outsider.WaitForEnd());
  EXPECT_EQ(outsider.status().error_code(), grpc::StatusCode::NOT_FOUND);
  for (const auto& event : outsider.events()) {
    EXPECT_NE(event.annotation().text(), "for the east team only");
  }
  ASSERT_TRUE(insider.WaitForEvents(4));
  EXPECT_FALSE(insider.ended());
}

// More watchers than a publish wakes on the writer's thread: their
// streams are started on gRPC's executor threads (services/api/
// grpc_executor.h), or on retrod's own with --fanout_on_grpc_threads=false.
// Every watcher gets every event in order while two writers go on, and a
// shutdown still ends them all.
TEST_P(WatchTest, ALargeAudienceGetsEveryEventInOrderAndShutdownEndsIt) {
  LargeAudienceGetsEveryEventInOrderAndShutdownEndsIt();
}

class OwnFanoutThreadsTest : public WatchTest {
 protected:
  static server::ServerOptions OwnThreads() {
    server::ServerOptions options;
    options.fanout_on_grpc_threads = false;
    return options;
  }
  OwnFanoutThreadsTest() : WatchTest(OwnThreads()) {}
};

TEST_P(OwnFanoutThreadsTest, ALargeAudienceGetsEveryEventInOrderAndShutdownEndsIt) {
  LargeAudienceGetsEveryEventInOrderAndShutdownEndsIt();
}

TEST_P(WatchTest, ShutdownEndsWatchersWithUnavailable) {
  Session session = CreateLive();
  Watcher watcher(GetParam(), server_.NewChannel(), org_["mate"], session.name(), 0);
  ASSERT_TRUE(watcher.WaitForEvents(2));
  server_.Stop();
  ASSERT_TRUE(watcher.WaitForEnd());
  EXPECT_EQ(watcher.status().error_code(), grpc::StatusCode::UNAVAILABLE);
}

// Every test runs against both watch methods: they must differ only in
// how many events a message carries.
std::string RpcName(const ::testing::TestParamInfo<WatchRpc>& info) {
  return info.param == WatchRpc::kBatches ? "Batches" : "Events";
}
INSTANTIATE_TEST_SUITE_P(Rpc, WatchTest, ::testing::Values(WatchRpc::kEvents, WatchRpc::kBatches),
                         RpcName);
INSTANTIATE_TEST_SUITE_P(Rpc, SlowWatcherTest,
                         ::testing::Values(WatchRpc::kEvents, WatchRpc::kBatches), RpcName);
INSTANTIATE_TEST_SUITE_P(Rpc, OwnFanoutThreadsTest,
                         ::testing::Values(WatchRpc::kEvents, WatchRpc::kBatches), RpcName);
INSTANTIATE_TEST_SUITE_P(Rpc, HalfOpenTest,
                         ::testing::Values(WatchRpc::kEvents, WatchRpc::kBatches), RpcName);

}  // namespace
}  // namespace retro
