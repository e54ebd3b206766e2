// Sessions over loopback: the state machine, who may drive it, validation,
// idempotent retries and etags.
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::BadRequestField;
using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Session;

class SessionsTest : public ::testing::Test {
 protected:
  void SetUp() override { org_ = retro::testing::MakeOrg(server_, "acme"); }

  Session Create(const std::string& token, Session session, const std::string& request_id = "") {
    retro::v1::CreateSessionRequest request;
    *request.mutable_session() = std::move(session);
    request.set_request_id(request_id);
    Session out;
    grpc::Status status = server_.sessions().CreateSession(Ctx(token).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  Session LossReview() {
    Session session;
    session.set_title("Lost Globex to a cheaper rival");
    session.set_visibility(retro::v1::ORGANIZATION);
    session.add_facilitators("mate");
    retro::v1::Deal* deal = session.mutable_deal();
    deal->set_name("Globex 2026");
    deal->set_outcome(retro::v1::LOST);
    deal->set_stage_reached(retro::v1::NEGOTIATION);
    deal->set_primary_reason("price");
    deal->add_reasons("price");
    deal->add_reasons("no_executive_sponsor");
    deal->mutable_amount()->set_currency_code("USD");
    deal->mutable_amount()->set_units(120000);
    return Create(org_["rep"], session);
  }
  grpc::Status Start(const std::string& token, const Session& s, Session* out) {
    retro::v1::StartSessionRequest request;
    request.set_name(s.name());
    return server_.sessions().StartSession(Ctx(token).get(), request, out);
  }
  grpc::Status Annotate(const std::string& token, const Session& s, Annotation annotation,
                        Annotation* out, const std::string& request_id = "") {
    retro::v1::AddAnnotationRequest request;
    request.set_parent(s.name());
    *request.mutable_annotation() = std::move(annotation);
    request.set_request_id(request_id);
    return server_.annotations().AddAnnotation(Ctx(token).get(), request, out);
  }
  static Annotation Lesson(const std::string& text) {
    Annotation a;
    a.set_kind(Annotation::LESSON);
    a.set_text(text);
    return a;
  }
  uint64_t LastSequence(const Session& s) {
    retro::v1::GetSessionRequest request;
    request.set_name(s.name());
    Session out;
    EXPECT_TRUE(server_.sessions().GetSession(Ctx(org_["rep"]).get(), request, &out).ok());
    return out.last_sequence();
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
};

TEST_F(SessionsTest, WalksDraftLiveReviewPublishedAndOnlyDriversDrive) {
  Session session = LossReview();
  EXPECT_EQ(session.state(), retro::v1::DRAFT);
  EXPECT_EQ(session.presenter(), "rep");
  EXPECT_EQ(session.votes_per_participant(), 5);
  EXPECT_EQ(session.last_sequence(), 1u);

  Session out;
  Annotation annotation;
  EXPECT_EQ(Annotate(org_["other"], session, Lesson("too early"), &annotation).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Start(org_["other"], session, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Start(org_["admin"], session, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Start(org_["mate"], session, &out).ok());  // A facilitator.
  EXPECT_EQ(out.state(), retro::v1::LIVE);
  EXPECT_EQ(out.stage(), retro::v1::CONTEXT);
  EXPECT_EQ(Start(org_["rep"], session, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  retro::v1::SetStageRequest stage;
  stage.set_name(session.name());
  stage.set_stage(retro::v1::WENT_WRONG);
  stage.mutable_stage_deadline()->set_seconds(1790000600);
  EXPECT_EQ(server_.sessions().SetStage(Ctx(org_["other"]).get(), stage, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(server_.sessions().SetStage(Ctx(org_["rep"]).get(), stage, &out).ok());
  EXPECT_EQ(out.stage(), retro::v1::WENT_WRONG);
  EXPECT_EQ(out.stage_deadline().seconds(), 1790000600);

  ASSERT_TRUE(
      Annotate(org_["other"], session, Lesson("Find the economic buyer early"), &annotation).ok());
  EXPECT_EQ(annotation.stage(), retro::v1::WENT_WRONG);  // Defaults to the current stage.
  EXPECT_EQ(annotation.author(), "other");

  retro::v1::EndSessionRequest end;
  end.set_name(session.name());
  ASSERT_TRUE(server_.sessions().EndSession(Ctx(org_["rep"]).get(), end, &out).ok());
  EXPECT_EQ(out.state(), retro::v1::REVIEW);
  // Still open for annotations in REVIEW.
  ASSERT_TRUE(
      Annotate(org_["mate"], session, Lesson("Multi-thread the account"), &annotation).ok());

  retro::v1::PublishSessionRequest publish;
  publish.set_name(session.name());
  EXPECT_EQ(server_.sessions().PublishSession(Ctx(org_["other"]).get(), publish, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(server_.sessions().PublishSession(Ctx(org_["rep"]).get(), publish, &out).ok());
  EXPECT_EQ(out.state(), retro::v1::PUBLISHED);

  // Published sessions are read-only.
  EXPECT_EQ(Annotate(org_["mate"], session, Lesson("late"), &annotation).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  retro::v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(session.name());
  update.mutable_session()->set_title("renamed");
  update.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(server_.sessions().SetStage(Ctx(org_["rep"]).get(), stage, &out).error_code() ==
              grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SessionsTest, InvalidFieldsAreNamedAndNothingIsWritten) {
  Session session = LossReview();
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  uint64_t before = LastSequence(session);

  struct Case {
    std::string name;
    Annotation annotation;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({"too long", Lesson(std::string(4001, 'x')), "annotation.text"});
  cases.push_back({"empty", Lesson(""), "annotation.text"});
  cases.push_back({"control character", Lesson("bell\a"), "annotation.text"});
  cases.push_back({"NUL", Lesson(std::string("a\0b", 3)), "annotation.text"});
  Annotation no_kind = Lesson("x");
  no_kind.set_kind(Annotation::KIND_UNSPECIFIED);
  cases.push_back({"no kind", no_kind, "annotation.kind"});
  Annotation bad_kind = Lesson("x");
  bad_kind.set_kind(static_cast<Annotation::Kind>(99));
  cases.push_back({"out-of-range kind", bad_kind, "annotation.kind"});
  Annotation bad_stage = Lesson("x");
  bad_stage.set_stage(static_cast<retro::v1::Stage>(42));
  cases.push_back({"out-of-range stage", bad_stage, "annotation.stage"});
  Annotation many_tags = Lesson("x");
  for (int i = 0; i < 17; ++i) many_tags.add_tags("t" + std::to_string(i));
  cases.push_back({"17 tags", many_tags, "annotation.tags"});
  Annotation long_tag = Lesson("x");
  long_tag.add_tags(std::string(65, 't'));
  cases.push_back({"long tag", long_tag, "annotation.tags[0]"});
  Annotation bad_reply = Lesson("x");
  bad_reply.set_reply_to("sessions/other/annotations/a");
  cases.push_back({"reply in another session", bad_reply, "annotation.reply_to"});
  for (const Case& c : cases) {
    Annotation result;
    grpc::Status status = Annotate(org_["rep"], session, c.annotation, &result);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(BadRequestField(status), c.field) << c.name << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(c.field), std::string::npos) << c.name;
  }
  Annotation result;
  retro::v1::AddAnnotationRequest bad_parent;
  bad_parent.set_parent("sessions/NOT valid");
  *bad_parent.mutable_annotation() = Lesson("x");
  grpc::Status status =
      server_.annotations().AddAnnotation(Ctx(org_["rep"]).get(), bad_parent, &result);
  EXPECT_EQ(BadRequestField(status), "parent");
  EXPECT_EQ(LastSequence(session), before);

  // Session and deal fields.
  auto create_error = [&](Session s) {
    retro::v1::CreateSessionRequest request;
    *request.mutable_session() = std::move(s);
    Session created;
    grpc::Status st = server_.sessions().CreateSession(Ctx(org_["rep"]).get(), request, &created);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return BadRequestField(st);
  };
  Session s;
  s.set_title(std::string(201, 't'));
  EXPECT_EQ(create_error(s), "session.title");
  s.set_title("ok");
  s.mutable_deal()->add_reasons("bad_luck");
  EXPECT_EQ(create_error(s), "session.deal.reasons[0]");
  s.mutable_deal()->clear_reasons();
  s.mutable_deal()->set_primary_reason("astrology");
  EXPECT_EQ(create_error(s), "session.deal.primary_reason");
  s.mutable_deal()->clear_primary_reason();
  s.mutable_deal()->mutable_amount()->set_currency_code("usd");
  EXPECT_EQ(create_error(s), "session.deal.amount.currency_code");
  s.mutable_deal()->clear_amount();
  s.mutable_deal()->mutable_close_date()->set_year(2026);
  s.mutable_deal()->mutable_close_date()->set_month(2);
  s.mutable_deal()->mutable_close_date()->set_day(30);
  EXPECT_EQ(create_error(s), "session.deal.close_date");
  s.clear_deal();
  s.add_stage_notes()->set_stage(retro::v1::TIMELINE);
  s.mutable_stage_notes(0)->set_text(std::string(20001, 'n'));
  EXPECT_EQ(create_error(s), "session.stage_notes[0].text");
  s.clear_stage_notes();
  s.set_visibility(retro::v1::TEAM);
  EXPECT_EQ(create_error(s), "session.team_id");
  s.set_team_id("nonexistent");
  EXPECT_EQ(create_error(s), "session.team_id");
  s.set_team_id("east");
  s.add_facilitators("ghost");
  EXPECT_EQ(create_error(s), "session.facilitators[0]");

  retro::v1::ListSessionsRequest list;
  retro::v1::ListSessionsResponse listed;
  ASSERT_TRUE(server_.sessions().ListSessions(Ctx(org_["admin"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.sessions_size(), 1);  // Only the valid one.
}

TEST_F(SessionsTest, InvalidUtf8IsRefusedWhileParsingAndTheServerCarriesOn) {
  Session session = LossReview();
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  uint64_t before = LastSequence(session);
  // Hand-encode AddAnnotationRequest{parent, annotation{kind=LESSON, text="\xff\xfe"}}.
  std::string annotation;
  annotation += '\x18';  // kind, varint
  annotation += '\x03';
  annotation += '\x22';  // text
  annotation += '\x02';
  annotation += "\xff\xfe";
  std::string request;
  request += '\x0a';
  request += static_cast<char>(session.name().size());
  request += session.name();
  request += '\x12';
  request += static_cast<char>(annotation.size());
  request += annotation;
  grpc::GenericStub generic(server_.channel());
  grpc::Slice slice(request);
  grpc::ByteBuffer send(&slice, 1);
  grpc::ByteBuffer receive;
  auto context = Ctx(org_["rep"]);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(context.get(), "/retro.v1.AnnotationService/AddAnnotation", {}, &send, &receive,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(LastSequence(session), before);
  Annotation ok;
  EXPECT_TRUE(Annotate(org_["rep"], session, Lesson("still serving"), &ok).ok());
}

TEST_F(SessionsTest, RetriedRequestIdsReturnTheFirstResultAndWriteOnce) {
  Session first = Create(
      org_["rep"],
      [] {
        Session s;
        s.set_title("Won Initech");
        return s;
      }(),
      "req-create-1");
  Session again = Create(
      org_["rep"],
      [] {
        Session s;
        s.set_title("Won Initech");
        return s;
      }(),
      "req-create-1");
  EXPECT_EQ(first.name(), again.name());
  retro::v1::ListSessionsResponse listed;
  ASSERT_TRUE(server_.sessions()
                  .ListSessions(Ctx(org_["rep"]).get(), retro::v1::ListSessionsRequest(), &listed)
                  .ok());
  EXPECT_EQ(listed.sessions_size(), 1);

  Session out;
  ASSERT_TRUE(Start(org_["rep"], first, &out).ok());
  Annotation a1, a2;
  ASSERT_TRUE(Annotate(org_["mate"], first, Lesson("Price anchored too late"), &a1, "r-1").ok());
  uint64_t after_first = LastSequence(first);
  ASSERT_TRUE(Annotate(org_["mate"], first, Lesson("Price anchored too late"), &a2, "r-1").ok());
  EXPECT_EQ(a1.name(), a2.name());
  EXPECT_EQ(LastSequence(first), after_first);
  // The same request id from someone else is their own request.
  Annotation a3;
  ASSERT_TRUE(Annotate(org_["rep"], first, Lesson("Price anchored too late"), &a3, "r-1").ok());
  EXPECT_NE(a3.name(), a1.name());
}

TEST_F(SessionsTest, StaleEtagsAreAborted) {
  Session session = LossReview();
  retro::v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(session.name());
  update.mutable_session()->set_title("Lost Globex: the price story");
  update.mutable_session()->set_etag(session.etag());
  update.mutable_update_mask()->add_paths("title");
  Session updated;
  ASSERT_TRUE(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &updated).ok());
  EXPECT_EQ(updated.title(), "Lost Globex: the price story");
  EXPECT_NE(updated.etag(), session.etag());
  // The same etag again is stale now.
  Session out;
  EXPECT_EQ(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &out).error_code(),
            grpc::StatusCode::ABORTED);

  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  Annotation mine;
  ASSERT_TRUE(Annotate(org_["mate"], session, Lesson("first draft"), &mine).ok());
  retro::v1::EditAnnotationRequest edit;
  edit.mutable_annotation()->set_name(mine.name());
  edit.mutable_annotation()->set_text("second draft");
  edit.mutable_annotation()->set_etag(mine.etag());
  edit.mutable_update_mask()->add_paths("text");
  Annotation edited;
  EXPECT_EQ(
      server_.annotations().EditAnnotation(Ctx(org_["rep"]).get(), edit, &edited).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);  // Only the author edits.
  ASSERT_TRUE(server_.annotations().EditAnnotation(Ctx(org_["mate"]).get(), edit, &edited).ok());
  EXPECT_EQ(edited.text(), "second draft");
  EXPECT_EQ(
      server_.annotations().EditAnnotation(Ctx(org_["mate"]).get(), edit, &edited).error_code(),
      grpc::StatusCode::ABORTED);
}

TEST_F(SessionsTest, DotVotingHasALimitAndOneVotePerAnnotation) {
  Session draft;
  draft.set_title("Retro with 2 votes");
  draft.set_votes_per_participant(2);
  Session session = Create(org_["rep"], draft);
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  std::vector<Annotation> annotations(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        Annotate(org_["rep"], session, Lesson("lesson " + std::to_string(i)), &annotations[i])
            .ok());
  }
  auto vote = [&](const std::string& token, const Annotation& a, bool remove = false) {
    retro::v1::VoteAnnotationRequest request;
    request.set_name(a.name());
    request.set_remove(remove);
    Annotation result;
    grpc::Status status = server_.annotations().VoteAnnotation(Ctx(token).get(), request, &result);
    return std::make_pair(status, result);
  };
  auto [s1, v1] = vote(org_["mate"], annotations[0]);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(v1.vote_count(), 1);
  EXPECT_TRUE(v1.voted_by_caller());
  EXPECT_EQ(vote(org_["mate"], annotations[0]).first.error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  ASSERT_TRUE(vote(org_["mate"], annotations[1]).first.ok());
  EXPECT_EQ(vote(org_["mate"], annotations[2]).first.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Someone else has their own votes.
  auto [s2, v2] = vote(org_["other"], annotations[0]);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(v2.vote_count(), 2);
  // Taking one back frees it.
  ASSERT_TRUE(vote(org_["mate"], annotations[1], true).first.ok());
  ASSERT_TRUE(vote(org_["mate"], annotations[2]).first.ok());

  // The limit survives a restart (votes are stored, not only cached).
  server_.Restart();
  EXPECT_EQ(vote(org_["mate"], annotations[1]).first.error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  retro::v1::ListAnnotationsRequest list;
  list.set_parent(session.name());
  retro::v1::ListAnnotationsResponse listed;
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), list, &listed).ok());
  ASSERT_EQ(listed.annotations_size(), 3);
  EXPECT_EQ(listed.annotations(0).vote_count(), 2);
  EXPECT_TRUE(listed.annotations(0).voted_by_caller());
  EXPECT_FALSE(listed.annotations(1).voted_by_caller());
}

// Concurrent writers on one session share batches (group commit): the rules
// must hold exactly as if the requests had come one by one.
TEST_F(SessionsTest, ConcurrentWritersOnOneSessionKeepEveryRule) {
  Session draft;
  draft.set_title("Company-wide loss review");
  draft.set_visibility(retro::v1::ORGANIZATION);
  draft.set_votes_per_participant(3);
  Session session = Create(org_["rep"], draft);
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  std::vector<Annotation> targets(6);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        Annotate(org_["rep"], session, Lesson("target " + std::to_string(i)), &targets[i]).ok());
  }
  const std::vector<std::string> voters = {"admin", "enable", "mate", "other"};
  std::mutex mu;
  std::map<std::string, int> accepted_votes;
  std::map<std::string, std::set<std::string>> names_by_request;  // request id -> names
  std::vector<std::thread> threads;
  for (const std::string& voter : voters) {
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&, voter, i] {
        retro::v1::VoteAnnotationRequest request;
        request.set_name(targets[i].name());
        Annotation result;
        if (server_.annotations().VoteAnnotation(Ctx(org_[voter]).get(), request, &result).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          ++accepted_votes[voter];
        }
      });
    }
  }
  for (int i = 0; i < 8; ++i) {
    for (int copy = 0; copy < 2; ++copy) {  // a retry racing its original
      threads.emplace_back([&, i] {
        Annotation added;
        std::string id = "add-" + std::to_string(i);
        grpc::Status status =
            Annotate(org_["mate"], session, Lesson("concurrent " + std::to_string(i)), &added, id);
        EXPECT_TRUE(status.ok()) << status.error_message();
        std::lock_guard<std::mutex> lock(mu);
        names_by_request[id].insert(added.name());
      });
    }
  }
  for (std::thread& thread : threads) thread.join();

  for (const std::string& voter : voters) EXPECT_EQ(accepted_votes[voter], 3) << voter;
  ASSERT_EQ(names_by_request.size(), 8u);
  for (const auto& [id, names] : names_by_request) EXPECT_EQ(names.size(), 1u) << id;

  retro::v1::ListAnnotationsRequest list;
  list.set_parent(session.name());
  list.set_page_size(100);
  retro::v1::ListAnnotationsResponse listed;
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["rep"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.annotations_size(), 6 + 8);
  int votes = 0;
  for (const Annotation& a : listed.annotations()) votes += a.vote_count();
  EXPECT_EQ(votes, 12);

  // The log is gap-free and ends where the session says.
  retro::v1::GetSessionRequest get;
  get.set_name(session.name());
  ASSERT_TRUE(server_.sessions().GetSession(Ctx(org_["rep"]).get(), get, &out).ok());
  EXPECT_EQ(out.last_sequence(), 2u + 6 + 12 + 8);  // created, started, notes, votes, adds
  // After a restart the vote limits still hold (the batch's votes were stored).
  server_.Restart();
  retro::v1::VoteAnnotationRequest more;
  more.set_name(targets[0].name());
  more.set_remove(false);
  Annotation ignored;
  grpc::Status limited =
      server_.annotations().VoteAnnotation(Ctx(org_["mate"]).get(), more, &ignored);
  EXPECT_TRUE(limited.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
              limited.error_code() == grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(SessionsTest, ModerationOfHiddenNotesNamesNoAuthorAndGroupsStayOneLevel) {
  Session draft;
  draft.set_title("Private writing");
  draft.set_hide_until_reveal(true);
  draft.add_facilitators("mate");
  Session session = Create(org_["rep"], draft);
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  Annotation hidden;
  ASSERT_TRUE(Annotate(org_["other"], session, Lesson("off-topic rant"), &hidden).ok());
  retro::v1::DeleteAnnotationRequest del;
  del.set_name(hidden.name());
  Annotation removed;
  ASSERT_TRUE(server_.annotations().DeleteAnnotation(Ctx(org_["mate"]).get(), del, &removed).ok());
  EXPECT_TRUE(removed.deleted());
  EXPECT_TRUE(removed.author().empty()) << "the moderator learned who wrote it";
  // Revealing the stage does not reveal the deleted note either.
  retro::v1::RevealStageRequest reveal;
  reveal.set_name(session.name());
  ASSERT_TRUE(server_.sessions().RevealStage(Ctx(org_["rep"]).get(), reveal, &out).ok());
  retro::v1::ListAnnotationsRequest list;
  list.set_parent(session.name());
  list.set_show_deleted(true);
  retro::v1::ListAnnotationsResponse listed;
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), list, &listed).ok());
  EXPECT_EQ(listed.annotations_size(), 0);

  Annotation head, member, outer;
  ASSERT_TRUE(Annotate(org_["rep"], session, Lesson("Qualify budget early"), &head).ok());
  ASSERT_TRUE(Annotate(org_["rep"], session, Lesson("Ask about budget"), &member).ok());
  ASSERT_TRUE(Annotate(org_["rep"], session, Lesson("Discovery lessons"), &outer).ok());
  ASSERT_TRUE(server_.sessions().RevealStage(Ctx(org_["rep"]).get(), reveal, &out).ok());
  retro::v1::GroupAnnotationsRequest group;
  group.set_parent(session.name());
  group.set_group(head.name());
  group.add_annotations(member.name());
  retro::v1::GroupAnnotationsResponse grouped;
  ASSERT_TRUE(
      server_.annotations().GroupAnnotations(Ctx(org_["mate"]).get(), group, &grouped).ok());
  EXPECT_EQ(grouped.annotations(0).group(), head.name());
  retro::v1::GroupAnnotationsRequest nested;
  nested.set_parent(session.name());
  nested.set_group(outer.name());
  nested.add_annotations(head.name());
  grpc::Status status =
      server_.annotations().GroupAnnotations(Ctx(org_["mate"]).get(), nested, &grouped);
  EXPECT_EQ(BadRequestField(status), "annotations[0]");
}

TEST_F(SessionsTest, RequestIdsBelongToOneSessionAndTeamsToTheirMembers) {
  Session a = LossReview();
  Session b = LossReview();
  Session out;
  ASSERT_TRUE(Start(org_["rep"], a, &out).ok());
  ASSERT_TRUE(Start(org_["rep"], b, &out).ok());
  Annotation in_a, in_b;
  ASSERT_TRUE(Annotate(org_["rep"], a, Lesson("same id"), &in_a, "req-7").ok());
  ASSERT_TRUE(Annotate(org_["rep"], b, Lesson("same id"), &in_b, "req-7").ok());
  EXPECT_NE(in_a.name(), in_b.name());
  EXPECT_EQ(in_b.name().rfind(b.name(), 0), 0u);

  retro::v1::UpdateSessionRequest update;
  update.mutable_session()->set_name(a.name());
  update.mutable_session()->set_visibility(retro::v1::TEAM);
  update.mutable_session()->set_team_id("west");  // rep is in east.
  update.mutable_update_mask()->add_paths("visibility");
  update.mutable_update_mask()->add_paths("team_id");
  EXPECT_EQ(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  update.mutable_session()->set_team_id("east");
  EXPECT_TRUE(server_.sessions().UpdateSession(Ctx(org_["rep"]).get(), update, &out).ok());
}

TEST_F(SessionsTest, ListsPageWithoutGapsOrDuplicates) {
  Session session = LossReview();
  Session out;
  ASSERT_TRUE(Start(org_["rep"], session, &out).ok());
  for (int i = 0; i < 23; ++i) {
    Annotation a;
    ASSERT_TRUE(Annotate(org_["rep"], session, Lesson("lesson " + std::to_string(i)), &a).ok());
  }
  std::vector<std::string> seen;
  std::string token;
  do {
    retro::v1::ListAnnotationsRequest list;
    list.set_parent(session.name());
    list.set_page_size(5);
    list.set_page_token(token);
    retro::v1::ListAnnotationsResponse page;
    ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), list, &page).ok());
    EXPECT_LE(page.annotations_size(), 5);
    for (const auto& a : page.annotations()) seen.push_back(a.text());
    token = page.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(seen.size(), 23u);
  for (int i = 0; i < 23; ++i) EXPECT_EQ(seen[i], "lesson " + std::to_string(i));

  retro::v1::ListAnnotationsRequest first;
  first.set_parent(session.name());
  first.set_page_size(5);
  retro::v1::ListAnnotationsResponse page;
  ASSERT_TRUE(server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), first, &page).ok());
  retro::v1::ListAnnotationsRequest other_query = first;
  other_query.set_kind(Annotation::QUESTION);
  other_query.set_page_token(page.next_page_token());
  grpc::Status status =
      server_.annotations().ListAnnotations(Ctx(org_["mate"]).get(), other_query, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadRequestField(status), "page_token");
}

}  // namespace
}  // namespace retro
