// The library over loopback: what publishing puts in it, search (BM25,
// phrases, exclusions, prefixes, typos), filters, facets, sorting, paging,
// visibility, and publish atomicity under an injected write failure.
#include <cmath>
#include <map>
#include <set>

#include "gtest/gtest.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "storage/testing/fault_injection.h"
#include "tests/testing/test_server.h"

namespace retro {
namespace {

using retro::testing::BadRequestField;
using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::SearchLessonsRequest;
using retro::v1::SearchLessonsResponse;
using retro::v1::Session;

struct Note {
  std::string user;
  Annotation::Kind kind;
  std::string text;
  bool anonymous = false;
  int votes = 0;
  bool deleted = false;
  std::vector<std::string> tags = {};
};

class LibraryTest : public ::testing::Test {
 protected:
  explicit LibraryTest(server::ServerOptions options = {}) : server_(options) {
    org_ = retro::testing::MakeOrg(server_, "acme");
    library_ = retro::v1::LibraryService::NewStub(server_.channel());
  }

  // Creates, runs and publishes a session with the notes; returns it.
  Session Retro(const std::string& title, retro::v1::Deal deal, std::vector<Note> notes,
                const std::string& team = "", bool publish = true) {
    retro::v1::CreateSessionRequest create;
    create.mutable_session()->set_title(title);
    *create.mutable_session()->mutable_deal() = deal;
    if (!team.empty()) {
      create.mutable_session()->set_team_id(team);
      create.mutable_session()->set_visibility(retro::v1::TEAM);
    }
    create.mutable_session()->set_votes_per_participant(20);
    std::string presenter = team == "west" ? "other" : "rep";
    Session session;
    EXPECT_TRUE(
        server_.sessions().CreateSession(Ctx(org_[presenter]).get(), create, &session).ok());
    retro::v1::StartSessionRequest start;
    start.set_name(session.name());
    EXPECT_TRUE(server_.sessions().StartSession(Ctx(org_[presenter]).get(), start, &session).ok());
    const std::vector<std::string> voters = {"admin", "enable", "rep", "mate", "other"};
    for (const Note& note : notes) {
      retro::v1::AddAnnotationRequest add;
      add.set_parent(session.name());
      add.mutable_annotation()->set_kind(note.kind);
      add.mutable_annotation()->set_text(note.text);
      add.mutable_annotation()->set_anonymous(note.anonymous);
      for (const std::string& tag : note.tags) add.mutable_annotation()->add_tags(tag);
      Annotation annotation;
      EXPECT_TRUE(
          server_.annotations().AddAnnotation(Ctx(org_[note.user]).get(), add, &annotation).ok());
      for (int v = 0; v < note.votes; ++v) {
        retro::v1::VoteAnnotationRequest vote;
        vote.set_name(annotation.name());
        Annotation voted;
        EXPECT_TRUE(
            server_.annotations().VoteAnnotation(Ctx(org_[voters[v]]).get(), vote, &voted).ok());
      }
      if (note.deleted) {
        retro::v1::DeleteAnnotationRequest del;
        del.set_name(annotation.name());
        EXPECT_TRUE(server_.annotations()
                        .DeleteAnnotation(Ctx(org_[note.user]).get(), del, &annotation)
                        .ok());
      }
    }
    retro::v1::EndSessionRequest end;
    end.set_name(session.name());
    EXPECT_TRUE(server_.sessions().EndSession(Ctx(org_[presenter]).get(), end, &session).ok());
    if (publish) {
      server_.clock().Advance(absl::Hours(1));
      retro::v1::PublishSessionRequest pub;
      pub.set_name(session.name());
      grpc::Status status =
          server_.sessions().PublishSession(Ctx(org_[presenter]).get(), pub, &session);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return session;
  }

  static retro::v1::Deal MakeDeal(retro::v1::Outcome outcome, const std::string& competitor,
                                  const std::string& industry, std::vector<std::string> reasons,
                                  int year, int month, int day) {
    retro::v1::Deal deal;
    deal.set_outcome(outcome);
    deal.set_competitor(competitor);
    deal.set_industry(industry);
    deal.set_stage_reached(retro::v1::NEGOTIATION);
    for (const auto& r : reasons) deal.add_reasons(r);
    deal.mutable_close_date()->set_year(year);
    deal.mutable_close_date()->set_month(month);
    deal.mutable_close_date()->set_day(day);
    return deal;
  }

  void PublishCorpus() {
    Retro("Lost Globex", MakeDeal(retro::v1::LOST, "Globex", "Healthcare", {"price"}, 2026, 3, 15),
          {{"rep",
            Annotation::LESSON,
            "Lost on price to a cheaper competitor",
            false,
            2,
            false,
            {"pricing"}},
           {"mate", Annotation::WENT_WRONG, "We discounted too early in the negotiation"},
           {"mate", Annotation::QUESTION, "Why did procurement join so late?"},
           {"mate", Annotation::WENT_WELL, "Strong demo with the clinical team", true},
           {"rep", Annotation::LESSON, "delete me", false, 0, true}});
    retro::v1::Deal initech =
        MakeDeal(retro::v1::WON, "Initech", "Retail", {"relationship"}, 2026, 6, 1);
    initech.set_segment("Enterprise");
    Retro("Won Initech", initech,
          {{"other", Annotation::LESSON, "Executive sponsor made the difference in pricing talks"},
           {"other", Annotation::LESSON, "Multi-thread the account early"}},
          "west");
    Retro("Lost Globex again",
          MakeDeal(retro::v1::LOST, "globex", "healthcare ", {"price", "no_budget"}, 2026, 7, 20),
          {{"rep", Annotation::LESSON,
            "Price objections surfaced late; anchor value before the price conversation"}});
  }

  SearchLessonsResponse Search(const std::string& user, SearchLessonsRequest request,
                               grpc::Status* status_out = nullptr) {
    SearchLessonsResponse response;
    grpc::Status status = library_->SearchLessons(Ctx(org_[user]).get(), request, &response);
    if (status_out) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    return response;
  }
  SearchLessonsResponse Query(const std::string& user, const std::string& query) {
    SearchLessonsRequest request;
    request.set_query(query);
    request.set_page_size(50);
    return Search(user, request);
  }
  static std::set<std::string> Texts(const SearchLessonsResponse& response) {
    std::set<std::string> texts;
    for (const auto& hit : response.hits()) texts.insert(hit.lesson().text());
    return texts;
  }
  static int64_t FacetCount(const SearchLessonsResponse& response, const std::string& field,
                            const std::string& value) {
    for (const auto& facet : response.facets()) {
      if (facet.field() != field) continue;
      for (const auto& count : facet.counts()) {
        if (count.value() == value) return count.count();
      }
    }
    return 0;
  }

  retro::testing::TestServer server_;
  retro::testing::Org org_;
  std::unique_ptr<retro::v1::LibraryService::Stub> library_;
};

TEST_F(LibraryTest, PublishingPutsLessonsNotQuestionsOrDeletedOnesInTheLibrary) {
  PublishCorpus();
  SearchLessonsResponse all = Search("admin", SearchLessonsRequest());
  EXPECT_EQ(all.total_size(), 6);  // 3 + 2 + 1; no question, no deleted lesson.
  std::set<std::string> texts = Texts(all);
  EXPECT_FALSE(texts.count("Why did procurement join so late?"));
  EXPECT_FALSE(texts.count("delete me"));
  for (const auto& hit : all.hits()) {
    const auto& lesson = hit.lesson();
    if (lesson.text() == "Strong demo with the clinical team") {
      EXPECT_TRUE(lesson.author().empty()) << "anonymous author leaked into the library";
      EXPECT_EQ(lesson.kind(), Annotation::WENT_WELL);
    }
    if (lesson.text() == "Lost on price to a cheaper competitor") {
      EXPECT_EQ(lesson.author(), "rep");
      EXPECT_EQ(lesson.vote_count(), 2);
      EXPECT_EQ(lesson.deal().competitor(), "Globex");
      EXPECT_EQ(lesson.session_title(), "Lost Globex");
      retro::v1::GetLessonRequest get;
      get.set_name(lesson.name());
      retro::v1::Lesson fetched;
      ASSERT_TRUE(library_->GetLesson(Ctx(org_["mate"]).get(), get, &fetched).ok());
      EXPECT_EQ(fetched.text(), lesson.text());
    }
  }
}

TEST_F(LibraryTest, TextSearchStemsFoldsAndHighlights) {
  PublishCorpus();
  // "price" meets "Price", "pricing"; rep (east) does not see the west lesson.
  SearchLessonsResponse price = Query("rep", "PRICE");
  EXPECT_EQ(Texts(price),
            (std::set<std::string>{
                "Lost on price to a cheaper competitor",
                "Price objections surfaced late; anchor value before the price conversation"}));
  EXPECT_NE(price.hits(0).snippet().find("<b>"), std::string::npos);
  SearchLessonsResponse admin = Query("admin", "pricing");
  EXPECT_EQ(admin.total_size(), 3);
  // Two words: both must match.
  EXPECT_EQ(Texts(Query("admin", "price competitor")),
            (std::set<std::string>{"Lost on price to a cheaper competitor"}));
  // Accents are ignored both ways.
  EXPECT_EQ(Query("admin", "clínical").total_size(), 1);
}

TEST_F(LibraryTest, PhrasesExclusionsPrefixesAndTypos) {
  PublishCorpus();
  EXPECT_EQ(Texts(Query("admin", "\"anchor value\"")).size(), 1u);
  EXPECT_EQ(Query("admin", "\"value anchor\"").total_size(), 0);
  EXPECT_EQ(Query("admin", "\"executive sponsor\"").total_size(), 1);
  EXPECT_EQ(Texts(Query("admin", "price -objections")),
            (std::set<std::string>{"Lost on price to a cheaper competitor",
                                   "Executive sponsor made the difference in pricing talks"}));
  EXPECT_EQ(Texts(Query("admin", "negoti*")),
            (std::set<std::string>{"We discounted too early in the negotiation"}));
  EXPECT_EQ(Query("admin", "discou*").total_size(), 1);
  // Typos: one edit for 5+ letters, two for 9+; the response says so.
  SearchLessonsResponse typo = Query("admin", "clinicl");
  EXPECT_EQ(typo.total_size(), 1);
  ASSERT_EQ(typo.corrections_size(), 1);
  EXPECT_EQ(typo.corrections(0).original(), "clinicl");
  EXPECT_EQ(typo.corrections(0).corrected(), "clinical");
  EXPECT_EQ(Query("admin", "objectoins").total_size(), 1);
  EXPECT_EQ(Query("admin", "demx").total_size(), 0);  // Too short to correct.
  // Lenient syntax never fails.
  EXPECT_GE(Query("admin", "\"anchor value").total_size(), 1);
  EXPECT_EQ(Query("admin", "- -").total_size(), 6);
}

TEST_F(LibraryTest, FiltersFacetsAndUnknownValues) {
  PublishCorpus();
  auto with = [&](auto set_filter) {
    SearchLessonsRequest request;
    request.set_page_size(50);
    set_filter(request.mutable_filter());
    return Search("admin", request);
  };
  EXPECT_EQ(with([](auto* f) { f->add_outcomes(retro::v1::LOST); }).total_size(), 4);
  EXPECT_EQ(with([](auto* f) { f->add_competitors("GLOBEX"); }).total_size(), 4);
  EXPECT_EQ(with([](auto* f) { f->add_industries("healthcare"); }).total_size(), 4);
  EXPECT_EQ(with([](auto* f) { f->add_reasons("no_budget"); }).total_size(), 1);
  EXPECT_EQ(with([](auto* f) { f->add_kinds(Annotation::WENT_WRONG); }).total_size(), 1);
  EXPECT_EQ(with([](auto* f) { f->add_team_ids("west"); }).total_size(), 2);
  EXPECT_EQ(with([](auto* f) { f->set_min_votes(2); }).total_size(), 1);
  EXPECT_EQ(with([](auto* f) { f->add_stages_reached(retro::v1::NEGOTIATION); }).total_size(), 6);
  EXPECT_EQ(with([](auto* f) {
              f->mutable_close_date_from()->set_year(2026);
              f->mutable_close_date_from()->set_month(6);
              f->mutable_close_date_from()->set_day(1);
              f->mutable_close_date_to()->set_year(2026);
              f->mutable_close_date_to()->set_month(12);
              f->mutable_close_date_to()->set_day(31);
            }).total_size(),
            3);
  EXPECT_EQ(with([](auto* f) { f->add_competitors("Nobody"); }).total_size(), 0);
  EXPECT_EQ(with([](auto* f) { f->add_segments("enterprise"); }).total_size(), 2);
  EXPECT_EQ(with([](auto* f) { f->add_tags("pricing"); }).total_size(), 1);
  EXPECT_EQ(with([](auto* f) {
              f->add_outcomes(retro::v1::LOST);
              f->add_kinds(Annotation::LESSON);
            }).total_size(),
            2);

  SearchLessonsResponse all = with([](auto*) {});
  EXPECT_EQ(FacetCount(all, "outcome", "LOST"), 4);
  EXPECT_EQ(FacetCount(all, "outcome", "WON"), 2);
  EXPECT_EQ(FacetCount(all, "competitor", "globex"), 4);
  EXPECT_EQ(FacetCount(all, "reasons", "price"), 4);
  EXPECT_EQ(FacetCount(all, "kind", "LESSON"), 4);
  // Facets count the whole match set, not the page.
  SearchLessonsRequest small;
  small.set_page_size(1);
  EXPECT_EQ(FacetCount(Search("admin", small), "outcome", "LOST"), 4);

  grpc::Status status;
  SearchLessonsRequest bad;
  bad.mutable_filter()->add_reasons("bad_luck");
  Search("admin", bad, &status);
  EXPECT_EQ(BadRequestField(status), "filter.reasons[0]");
  bad.Clear();
  bad.mutable_filter()->add_outcomes(static_cast<retro::v1::Outcome>(99));
  Search("admin", bad, &status);
  EXPECT_EQ(BadRequestField(status), "filter.outcomes[0]");
  bad.Clear();
  bad.mutable_filter()->add_team_ids("nowhere");
  Search("admin", bad, &status);
  EXPECT_EQ(BadRequestField(status), "filter.team_ids[0]");
  bad.Clear();
  bad.set_query(std::string(1001, 'q'));
  Search("admin", bad, &status);
  EXPECT_EQ(BadRequestField(status), "query");
}

TEST_F(LibraryTest, SortOrdersAndPagingWithoutGapsOrDuplicates) {
  PublishCorpus();
  SearchLessonsRequest newest;
  newest.set_sort(SearchLessonsRequest::NEWEST);
  newest.set_page_size(50);
  SearchLessonsResponse by_time = Search("admin", newest);
  ASSERT_EQ(by_time.hits_size(), 6);
  EXPECT_EQ(by_time.hits(0).lesson().session_title(), "Lost Globex again");
  EXPECT_EQ(by_time.hits(5).lesson().session_title(), "Lost Globex");
  SearchLessonsRequest voted;
  voted.set_sort(SearchLessonsRequest::MOST_VOTED);
  EXPECT_EQ(Search("admin", voted).hits(0).lesson().vote_count(), 2);

  std::vector<std::string> seen;
  SearchLessonsRequest page;
  page.set_page_size(4);
  page.set_sort(SearchLessonsRequest::NEWEST);
  do {
    SearchLessonsResponse response = Search("admin", page);
    for (const auto& hit : response.hits()) seen.push_back(hit.lesson().name());
    page.set_page_token(response.next_page_token());
  } while (!page.page_token().empty());
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(unique.size(), 6u);
  // A token from another query is refused.
  SearchLessonsRequest first;
  first.set_page_size(2);
  SearchLessonsResponse one = Search("admin", first);
  SearchLessonsRequest other;
  other.set_query("price");
  other.set_page_token(one.next_page_token());
  grpc::Status status;
  Search("admin", other, &status);
  EXPECT_EQ(BadRequestField(status), "page_token");
}

TEST_F(LibraryTest, TeamLessonsAreVisibleOnlyToThoseWhoMaySeeTheSession) {
  PublishCorpus();
  EXPECT_EQ(Search("rep", SearchLessonsRequest()).total_size(), 4);
  EXPECT_EQ(Search("other", SearchLessonsRequest()).total_size(), 6);  // West's own.
  EXPECT_EQ(Search("enable", SearchLessonsRequest()).total_size(), 6);
  SearchLessonsResponse west = Query("admin", "multi-thread");
  ASSERT_EQ(west.hits_size(), 1);
  retro::v1::GetLessonRequest get;
  get.set_name(west.hits(0).lesson().name());
  retro::v1::Lesson lesson;
  EXPECT_EQ(library_->GetLesson(Ctx(org_["rep"]).get(), get, &lesson).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(library_->GetLesson(Ctx(org_["other"]).get(), get, &lesson).ok());
  // Another organization sees nothing, even by name.
  retro::testing::Org rival = retro::testing::MakeOrg(server_, "rival");
  SearchLessonsResponse response;
  ASSERT_TRUE(
      library_->SearchLessons(Ctx(rival["admin"]).get(), SearchLessonsRequest(), &response).ok());
  EXPECT_EQ(response.total_size(), 0);
  EXPECT_EQ(library_->GetLesson(Ctx(rival["admin"]).get(), get, &lesson).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(LibraryTest, CorrectionsNeverRevealWordsOfLessonsTheViewerCannotSee) {
  PublishCorpus();  // "Multi-thread the account early" is a west team lesson.
  SearchLessonsResponse outsider = Query("rep", "acount");
  EXPECT_EQ(outsider.total_size(), 0);
  EXPECT_EQ(outsider.corrections_size(), 0);
  SearchLessonsResponse insider = Query("other", "acount");
  EXPECT_EQ(insider.total_size(), 1);
  ASSERT_EQ(insider.corrections_size(), 1);
  EXPECT_EQ(insider.corrections(0).corrected(), "account");
  // A word both as a word and inside a phrase of the same query.
  EXPECT_EQ(Query("admin", "price \"price conversation\"").total_size(), 1);
}

TEST_F(LibraryTest, Bm25ScoresMatchHandComputedValues) {
  Retro("Tiny", retro::v1::Deal(),
        {{"rep", Annotation::LESSON, "price price budget"},
         {"rep", Annotation::LESSON, "price timing"},
         {"rep", Annotation::LESSON, "budget"}});
  SearchLessonsResponse response = Query("rep", "price");
  ASSERT_EQ(response.hits_size(), 2);
  // N = 3, df = 2, lengths 3, 2, 1: average 2.
  double idf = std::log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  double doc1 = idf * (2 * 2.2) / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / 2.0));
  double doc2 = idf * (1 * 2.2) / (1 + 1.2 * (1 - 0.75 + 0.75 * 2 / 2.0));
  EXPECT_EQ(response.hits(0).lesson().text(), "price price budget");
  EXPECT_NEAR(response.hits(0).score(), doc1, 1e-9);
  EXPECT_NEAR(response.hits(1).score(), doc2, 1e-9);
}

TEST_F(LibraryTest, TrendsCountLessonsAndDealsPerPeriodAndMarkLowSamples) {
  PublishCorpus();
  retro::v1::GetTrendsRequest request;
  request.set_dimension(retro::v1::GetTrendsRequest::REASON);
  request.set_period(retro::v1::GetTrendsRequest::QUARTER);
  retro::v1::GetTrendsResponse trends;
  ASSERT_TRUE(library_->GetTrends(Ctx(org_["admin"]).get(), request, &trends).ok());
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> got;
  for (const auto& b : trends.buckets()) {
    got[{b.period(), b.value()}] = {b.lesson_count(), b.deal_count()};
    EXPECT_TRUE(b.low_sample());
  }
  EXPECT_EQ(got[std::make_pair(std::string("2026-Q1"), std::string("price"))],
            std::make_pair(int64_t{3}, int64_t{1}));
  EXPECT_EQ(got[std::make_pair(std::string("2026-Q2"), std::string("relationship"))],
            std::make_pair(int64_t{2}, int64_t{1}));
  EXPECT_EQ(got[std::make_pair(std::string("2026-Q3"), std::string("no_budget"))],
            std::make_pair(int64_t{1}, int64_t{1}));
  // The member does not count what it may not see.
  ASSERT_TRUE(library_->GetTrends(Ctx(org_["rep"]).get(), request, &trends).ok());
  for (const auto& b : trends.buckets()) EXPECT_NE(b.value(), "relationship");

  // Five deals in one month are a finding, not a low sample.
  for (int i = 0; i < 5; ++i) {
    Retro("Timing loss " + std::to_string(i),
          MakeDeal(retro::v1::LOST, "Hooli", "Media", {"timing"}, 2026, 9, 1 + i),
          {{"rep", Annotation::LESSON, "Budget cycle missed " + std::to_string(i)}});
  }
  request.set_period(retro::v1::GetTrendsRequest::MONTH);
  request.set_query("budget");
  ASSERT_TRUE(library_->GetTrends(Ctx(org_["admin"]).get(), request, &trends).ok());
  ASSERT_EQ(trends.buckets_size(), 1);
  EXPECT_EQ(trends.buckets(0).period(), "2026-09");
  EXPECT_EQ(trends.buckets(0).value(), "timing");
  EXPECT_EQ(trends.buckets(0).deal_count(), 5);
  EXPECT_FALSE(trends.buckets(0).low_sample());
}

TEST_F(LibraryTest, SuggestionsFindWhatWasLearnedBefore) {
  PublishCorpus();
  retro::v1::SuggestLessonsRequest request;
  request.set_draft("the competitor was cheaper on price");
  retro::v1::SuggestLessonsResponse response;
  ASSERT_TRUE(library_->SuggestLessons(Ctx(org_["rep"]).get(), request, &response).ok());
  ASSERT_GE(response.lessons_size(), 1);
  EXPECT_EQ(response.lessons(0).lesson().text(), "Lost on price to a cheaper competitor");
  for (const auto& hit : response.lessons()) {
    EXPECT_NE(hit.lesson().team_id(), "west") << "a team lesson leaked into suggestions";
  }
  request.set_draft("");
  ASSERT_TRUE(library_->SuggestLessons(Ctx(org_["rep"]).get(), request, &response).ok());
  EXPECT_EQ(response.lessons_size(), 0);
}

TEST_F(LibraryTest, RecurringLessonsAreNearDuplicatesAcrossThreeOrMoreDeals) {
  const std::vector<std::string> variants = {
      "Engage the economic buyer before the proposal",
      "Engage the economic buyer before the proposal goes out",
      "engage the Economic Buyer before the proposal!",
      "Engage the economic buyer before sending the proposal"};
  const std::vector<std::string> unrelated = {
      "Legal turned the contract around in two days", "Our demo environment crashed twice",
      "Champion left the company mid cycle", "Pilot success criteria were never written"};
  for (size_t i = 0; i < variants.size(); ++i) {
    server_.clock().Advance(absl::Hours(24));
    Retro("Deal " + std::to_string(i),
          MakeDeal(retro::v1::LOST, "Globex", "Retail", {"no_executive_sponsor"}, 2026, 2, 1),
          {{"rep", Annotation::LESSON, variants[i]}, {"rep", Annotation::WENT_WELL, unrelated[i]}});
  }
  // In two deals only: not recurring yet.
  for (int i = 0; i < 2; ++i) {
    Retro("Other deal " + std::to_string(i), retro::v1::Deal(),
          {{"rep", Annotation::LESSON, "Bring security review forward in the cycle"}});
  }
  retro::v1::ListRecurringLessonsRequest request;
  retro::v1::ListRecurringLessonsResponse response;
  ASSERT_TRUE(library_->ListRecurringLessons(Ctx(org_["enable"]).get(), request, &response).ok());
  ASSERT_EQ(response.recurring_size(), 1);
  const auto& recurring = response.recurring(0);
  EXPECT_EQ(recurring.deal_count(), 4);
  EXPECT_EQ(recurring.lesson_count(), 4);
  EXPECT_EQ(recurring.sessions_size(), 4);
  EXPECT_NE(recurring.representative().text().find("conomic"), std::string::npos);
  request.set_min_deals(2);
  grpc::Status status =
      library_->ListRecurringLessons(Ctx(org_["enable"]).get(), request, &response);
  EXPECT_EQ(BadRequestField(status), "min_deals");
}

TEST_F(LibraryTest, SearchInsightsShowFrequentAndFruitlessQueries) {
  PublishCorpus();
  for (int i = 0; i < 3; ++i) Query("rep", "Price");
  for (int i = 0; i < 2; ++i) Query("mate", "unicorn  pricing");
  Query("rep", "unicorns");
  retro::v1::GetSearchInsightsRequest request;
  retro::v1::GetSearchInsightsResponse insights;
  EXPECT_EQ(library_->GetSearchInsights(Ctx(org_["rep"]).get(), request, &insights).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(library_->GetSearchInsights(Ctx(org_["enable"]).get(), request, &insights).ok());
  ASSERT_GE(insights.top_queries_size(), 3);
  EXPECT_EQ(insights.top_queries(0).query(), "price");
  EXPECT_EQ(insights.top_queries(0).count(), 3);
  ASSERT_EQ(insights.zero_result_queries_size(), 2);
  EXPECT_EQ(insights.zero_result_queries(0).query(), "unicorn pricing");
  EXPECT_EQ(insights.zero_result_queries(0).count(), 2);
  // Another organization's searches are not ours.
  retro::testing::Org rival = retro::testing::MakeOrg(server_, "rival");
  ASSERT_TRUE(library_->GetSearchInsights(Ctx(rival["admin"]).get(), request, &insights).ok());
  EXPECT_EQ(insights.top_queries_size(), 0);
}

TEST_F(LibraryTest, ExportStreamsEveryVisibleMatchingLesson) {
  PublishCorpus();
  auto export_all = [&](const std::string& user, retro::v1::ExportLessonsRequest request) {
    auto context = Ctx(org_[user]);
    auto reader = library_->ExportLessons(context.get(), request);
    std::vector<retro::v1::Lesson> lessons;
    retro::v1::Lesson lesson;
    while (reader->Read(&lesson)) lessons.push_back(lesson);
    EXPECT_TRUE(reader->Finish().ok());
    return lessons;
  };
  EXPECT_EQ(export_all("admin", {}).size(), 6u);
  EXPECT_EQ(export_all("rep", {}).size(), 4u);
  retro::v1::ExportLessonsRequest lost;
  lost.mutable_filter()->add_outcomes(retro::v1::LOST);
  lost.set_query("price");
  EXPECT_EQ(export_all("admin", lost).size(), 2u);
}

TEST_F(LibraryTest, ReindexGivesTheSameAnswers) {
  PublishCorpus();
  std::vector<std::string> queries = {"price", "\"anchor value\"", "negoti*", "clinicl", ""};
  auto answers = [&]() {
    std::vector<std::string> out;
    for (const std::string& q : queries) {
      SearchLessonsRequest request;
      request.set_query(q);
      request.set_page_size(50);
      SearchLessonsResponse response = Search("admin", request);
      for (auto& hit : *response.mutable_hits()) hit.mutable_lesson()->clear_publish_time();
      out.push_back(response.SerializeAsString());
    }
    return out;
  };
  std::vector<std::string> before = answers();
  server_.Stop();
  uint64_t last_done = 0, last_total = 0;
  ASSERT_TRUE(
      server::RebuildLibrary(server_.dir().Join("data"), [&](uint64_t done, uint64_t total) {
        last_done = done;
        last_total = total;
      }).ok());
  EXPECT_EQ(last_done, 6u);
  EXPECT_EQ(last_total, 6u);
  server_.Restart();
  library_ = retro::v1::LibraryService::NewStub(server_.channel());
  EXPECT_EQ(answers(), before);
}

class PublishFaultTest : public LibraryTest {
 protected:
  static server::ServerOptions WithFaults() {
    server::ServerOptions options;
    options.env = faults().env();
    return options;
  }
  static storage::FaultInjection& faults() {
    static auto* f = new storage::FaultInjection();
    return *f;
  }
  PublishFaultTest() : LibraryTest(WithFaults()) {}
};

TEST_F(PublishFaultTest, AFailedPublishLeavesNoLessonAndARetryLeavesThemAll) {
  Session session = Retro("Crash while publishing",
                          MakeDeal(retro::v1::LOST, "Globex", "Retail", {"timing"}, 2026, 1, 5),
                          {{"rep", Annotation::LESSON, "Confirm the timeline with procurement"},
                           {"mate", Annotation::WENT_WRONG, "No mutual action plan"},
                           {"mate", Annotation::WENT_WELL, "Quick security review"}},
                          "", /*publish=*/false);
  faults().FailWrites(true);
  retro::v1::PublishSessionRequest publish;
  publish.set_name(session.name());
  Session out;
  grpc::Status status = server_.sessions().PublishSession(Ctx(org_["rep"]).get(), publish, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  faults().FailWrites(false);
  server_.Restart();
  library_ = retro::v1::LibraryService::NewStub(server_.channel());
  EXPECT_EQ(Search("admin", SearchLessonsRequest()).total_size(), 0);
  retro::v1::GetSessionRequest get;
  get.set_name(session.name());
  ASSERT_TRUE(server_.sessions().GetSession(Ctx(org_["rep"]).get(), get, &out).ok());
  EXPECT_EQ(out.state(), retro::v1::REVIEW);

  ASSERT_TRUE(server_.sessions().PublishSession(Ctx(org_["rep"]).get(), publish, &out).ok());
  EXPECT_EQ(Search("admin", SearchLessonsRequest()).total_size(), 3);
  EXPECT_EQ(Query("admin", "procurement").total_size(), 1);
}

}  // namespace
}  // namespace retro
