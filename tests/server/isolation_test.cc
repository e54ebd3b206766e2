// Isolation over a randomized population: several organizations, teams,
// users of every role, TEAM and ORGANIZATION sessions, anonymous notes.
// Every user asks every library RPC (search, suggestions, trends, recurring
// lessons, export, insights, single lessons) and lists sessions and notes:
// nothing comes back from another organization or from a TEAM session the
// user may not see, everything the user may see does, and no anonymous
// note's author reaches anyone but its author.
//
// RETRO_ACCESS_SEED picks the population (a fixed one by default).
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::v1::Annotation;
using retro::v1::Lesson;
using retro::v1::Session;

struct User {
  std::string org;
  std::string id;
  retro::v1::Role role = retro::v1::MEMBER;
  std::set<std::string> teams;
  std::string token;
};

struct PublishedSession {
  std::string org;
  Session session;
  bool published = false;
  std::map<std::string, std::string> note_authors;  // Annotation name -> author.
  std::set<std::string> anonymous;                  // Annotation names.
};

class IsolationTest : public ::testing::Test {
 protected:
  IsolationTest() : library_(retro::v1::LibraryService::NewStub(server_.channel())) {}

  bool MaySee(const User& user, const PublishedSession& s) const {
    if (user.org != s.org) return false;
    const Session& session = s.session;
    if (session.visibility() != retro::v1::TEAM) return true;
    if (user.role == retro::v1::ADMIN || user.role == retro::v1::ENABLEMENT) return true;
    if (user.teams.count(session.team_id())) return true;
    if (session.presenter() == user.id) return true;
    for (const std::string& f : session.facilitators()) {
      if (f == user.id) return true;
    }
    return false;
  }

  void Populate(uint32_t seed) {
    std::mt19937 random(seed);
    const std::vector<std::string> competitors = {"Globex", "Hooli", "Umbrella"};
    const std::vector<std::string> reasons = {"price", "timing", "no_budget",
                                              "competitor_strength"};
    const std::vector<std::string> lessons = {
        "Anchor value before the pricing conversation with procurement",
        "Multi-thread the account before the pricing review",
        "Confirm the budget holder before pricing",
        "The champion left and pricing stalled",
    };
    for (const std::string org : {"acme", "globex", "initech"}) {
      retro::v1::CreateOrganizationRequest create;
      create.set_organization_id(org);
      create.set_admin_user_id("admin");
      retro::v1::CreateOrganizationResponse created;
      ASSERT_TRUE(server_.admin()
                      .CreateOrganization(Ctx(server_.root_token()).get(), create, &created)
                      .ok());
      User admin{org, "admin", retro::v1::ADMIN, {}, created.admin_token()};
      for (int t = 0; t < 3; ++t) {
        retro::v1::CreateTeamRequest team;
        team.set_team_id(absl::StrCat("t", t));
        retro::v1::Team out;
        ASSERT_TRUE(server_.admin().CreateTeam(Ctx(admin.token).get(), team, &out).ok());
      }
      users_.push_back(admin);
      const int people = 6 + random() % 4;
      for (int u = 0; u < people; ++u) {
        User user;
        user.org = org;
        user.id = absl::StrCat("u", u);
        const int dice = random() % 100;
        user.role =
            dice < 70 ? retro::v1::MEMBER : (dice < 85 ? retro::v1::ENABLEMENT : retro::v1::ADMIN);
        user.teams.insert(absl::StrCat("t", random() % 3));
        if (random() % 3 == 0) user.teams.insert(absl::StrCat("t", random() % 3));
        retro::v1::CreateUserRequest request;
        request.set_user_id(user.id);
        request.mutable_user()->set_role(user.role);
        for (const std::string& team : user.teams) request.mutable_user()->add_team_ids(team);
        retro::v1::User out;
        ASSERT_TRUE(server_.admin().CreateUser(Ctx(admin.token).get(), request, &out).ok());
        retro::v1::IssueTokenRequest issue;
        issue.set_user("users/" + user.id);
        retro::v1::IssueTokenResponse token;
        ASSERT_TRUE(server_.admin().IssueToken(Ctx(admin.token).get(), issue, &token).ok());
        user.token = token.secret();
        users_.push_back(user);
      }
      std::vector<const User*> members;
      for (const User& user : users_) {
        if (user.org == org && user.role == retro::v1::MEMBER) members.push_back(&user);
      }
      if (members.empty()) continue;
      for (int s = 0; s < 10; ++s) {
        const User& presenter = *members[random() % members.size()];
        const User& helper = *members[random() % members.size()];
        retro::v1::CreateSessionRequest request;
        Session& wanted = *request.mutable_session();
        wanted.set_title(absl::StrCat("Review ", org, " ", s));
        if (random() % 2) {
          wanted.set_visibility(retro::v1::TEAM);
          wanted.set_team_id(*presenter.teams.begin());
        }
        if (helper.id != presenter.id && random() % 3 == 0) wanted.add_facilitators(helper.id);
        wanted.mutable_deal()->set_outcome(random() % 3 ? retro::v1::LOST : retro::v1::WON);
        wanted.mutable_deal()->set_competitor(competitors[random() % competitors.size()]);
        wanted.mutable_deal()->add_reasons(reasons[random() % reasons.size()]);
        wanted.mutable_deal()->mutable_close_date()->set_year(2026);
        wanted.mutable_deal()->mutable_close_date()->set_month(1 + random() % 12);
        wanted.mutable_deal()->mutable_close_date()->set_day(1 + random() % 28);
        PublishedSession published;
        published.org = org;
        grpc::Status status = server_.sessions().CreateSession(Ctx(presenter.token).get(), request,
                                                               &published.session);
        ASSERT_TRUE(status.ok()) << status.error_message();
        const std::string name = published.session.name();
        retro::v1::StartSessionRequest start;
        start.set_name(name);
        ASSERT_TRUE(server_.sessions()
                        .StartSession(Ctx(presenter.token).get(), start, &published.session)
                        .ok());
        std::vector<const User*> authors = {&presenter};
        for (const std::string& f : published.session.facilitators()) {
          for (const User& user : users_) {
            if (user.org == org && user.id == f) authors.push_back(&user);
          }
        }
        for (int n = 0; n < 3; ++n) {
          const User& author = *authors[random() % authors.size()];
          retro::v1::AddAnnotationRequest add;
          add.set_parent(name);
          add.mutable_annotation()->set_kind(n == 0 ? Annotation::LESSON : Annotation::WENT_WRONG);
          add.mutable_annotation()->set_text(
              absl::StrCat(lessons[random() % lessons.size()], " (", org, " ", s, "-", n, ")"));
          const bool anonymous = random() % 3 == 0;
          add.mutable_annotation()->set_anonymous(anonymous);
          Annotation note;
          ASSERT_TRUE(
              server_.annotations().AddAnnotation(Ctx(author.token).get(), add, &note).ok());
          published.note_authors[note.name()] = author.id;
          if (anonymous) published.anonymous.insert(note.name());
        }
        if (random() % 5 != 0) {
          retro::v1::EndSessionRequest end;
          end.set_name(name);
          ASSERT_TRUE(server_.sessions()
                          .EndSession(Ctx(presenter.token).get(), end, &published.session)
                          .ok());
          retro::v1::PublishSessionRequest publish;
          publish.set_name(name);
          ASSERT_TRUE(server_.sessions()
                          .PublishSession(Ctx(presenter.token).get(), publish, &published.session)
                          .ok());
          published.published = true;
        }
        sessions_[name] = published;
      }
    }
  }

  // Fails unless the lesson is one the user may see, and it hides the
  // author of an anonymous note. Returns the lesson's session.
  std::string CheckLesson(const User& user, const Lesson& lesson, const std::string& rpc) {
    auto it = sessions_.find(lesson.session());
    if (it == sessions_.end()) {
      ADD_FAILURE() << rpc << " gave " << user.org << "/" << user.id << " a lesson of unknown "
                    << lesson.session();
      return "";
    }
    EXPECT_TRUE(it->second.published) << rpc << ": a lesson of an unpublished session";
    EXPECT_TRUE(MaySee(user, it->second))
        << rpc << " leaked " << it->second.org << "'s " << lesson.session() << " ("
        << (it->second.session.visibility() == retro::v1::TEAM ? "team " : "org ")
        << it->second.session.team_id() << ") to " << user.org << "/" << user.id;
    if (it->second.anonymous.count(lesson.annotation())) {
      EXPECT_EQ(lesson.author(), "") << rpc << " revealed an anonymous author";
    }
    return lesson.session();
  }

  retro::testing::TestServer server_;
  std::unique_ptr<retro::v1::LibraryService::Stub> library_;
  std::vector<User> users_;
  std::map<std::string, PublishedSession> sessions_;
};

TEST_F(IsolationTest, NobodySeesAnotherOrganizationsOrAHiddenTeamsLessons) {
  const char* seed_text = std::getenv("RETRO_ACCESS_SEED");
  const uint32_t seed = seed_text ? std::strtoul(seed_text, nullptr, 10) : 20261123;
  std::cout << "isolation: seed " << seed << " (RETRO_ACCESS_SEED)\n";
  Populate(seed);
  ASSERT_FALSE(HasFailure());

  // Each organization's enablement and admins search for a word of their
  // own, so the insights have something to leak.
  for (const User& user : users_) {
    retro::v1::SearchLessonsRequest search;
    search.set_query(absl::StrCat("pricing secret", user.org));
    retro::v1::SearchLessonsResponse response;
    ASSERT_TRUE(library_->SearchLessons(Ctx(user.token).get(), search, &response).ok());
  }

  int checked = 0;
  int64_t answers = 0;  // Lessons, suggestions, recurring groups and deals checked.
  std::set<std::string> lesson_names;
  for (const User& user : users_) {
    std::set<std::string> expected;  // Sessions with lessons the user may see.
    for (const auto& [name, s] : sessions_) {
      if (s.published && MaySee(user, s)) expected.insert(name);
    }
    const std::string who = user.org + "/" + user.id;

    // Export: exactly what the user may see, three lessons a session.
    std::map<std::string, int> exported;
    {
      retro::v1::ExportLessonsRequest request;
      auto context = Ctx(user.token);
      auto reader = library_->ExportLessons(context.get(), request);
      Lesson lesson;
      while (reader->Read(&lesson)) {
        ++exported[CheckLesson(user, lesson, "ExportLessons")];
        lesson_names.insert(lesson.name());
      }
      ASSERT_TRUE(reader->Finish().ok());
    }
    std::set<std::string> exported_sessions;
    for (const auto& [session, count] : exported) {
      exported_sessions.insert(session);
      EXPECT_EQ(count, 3) << who << " " << session;
    }
    EXPECT_EQ(exported_sessions, expected) << who;

    // Search: the same set, counted whole.
    retro::v1::SearchLessonsRequest search;
    search.set_query("pricing");
    search.set_page_size(1000);
    retro::v1::SearchLessonsResponse found;
    ASSERT_TRUE(library_->SearchLessons(Ctx(user.token).get(), search, &found).ok());
    EXPECT_EQ(found.total_size(), static_cast<int64_t>(3 * expected.size())) << who;
    for (const auto& hit : found.hits()) CheckLesson(user, hit.lesson(), "SearchLessons");
    for (const auto& facet : found.facets()) {
      for (const auto& count : facet.counts()) {
        EXPECT_LE(count.count(), found.total_size()) << who << " facet " << facet.field();
      }
    }

    // Suggestions and recurring lessons: only what the user may see.
    retro::v1::SuggestLessonsRequest suggest;
    suggest.set_draft("anchor value before the pricing conversation");
    suggest.set_max_results(50);
    retro::v1::SuggestLessonsResponse suggested;
    ASSERT_TRUE(library_->SuggestLessons(Ctx(user.token).get(), suggest, &suggested).ok());
    for (const auto& hit : suggested.lessons()) CheckLesson(user, hit.lesson(), "SuggestLessons");
    answers += found.hits_size() + suggested.lessons_size();
    retro::v1::ListRecurringLessonsRequest recurring;
    recurring.set_min_deals(3);
    retro::v1::ListRecurringLessonsResponse recurs;
    ASSERT_TRUE(library_->ListRecurringLessons(Ctx(user.token).get(), recurring, &recurs).ok());
    answers += recurs.recurring_size();
    for (const auto& r : recurs.recurring()) {
      CheckLesson(user, r.representative(), "ListRecurringLessons");
      for (const Lesson& lesson : r.lessons()) CheckLesson(user, lesson, "ListRecurringLessons");
      for (const std::string& session : r.sessions()) {
        EXPECT_TRUE(expected.count(session)) << who << ": recurring names " << session;
      }
    }

    // Trends count exactly the deals the user may see.
    retro::v1::GetTrendsRequest trends;
    trends.set_dimension(retro::v1::GetTrendsRequest::OUTCOME);
    retro::v1::GetTrendsResponse buckets;
    ASSERT_TRUE(library_->GetTrends(Ctx(user.token).get(), trends, &buckets).ok());
    int64_t deals = 0;
    for (const auto& bucket : buckets.buckets()) deals += bucket.deal_count();
    EXPECT_EQ(deals, static_cast<int64_t>(expected.size())) << who;
    answers += deals;

    // Insights: the organization's own queries only.
    retro::v1::GetSearchInsightsRequest insights;
    retro::v1::GetSearchInsightsResponse top;
    grpc::Status status = library_->GetSearchInsights(Ctx(user.token).get(), insights, &top);
    if (user.role == retro::v1::MEMBER) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << who;
    } else {
      ASSERT_TRUE(status.ok()) << who << ": " << status.error_message();
      for (const auto& query : top.top_queries()) {
        for (const char* org : {"acme", "globex", "initech"}) {
          if (org != user.org) {
            EXPECT_EQ(query.query().find(org), std::string::npos)
                << who << " sees another organization's query: " << query.query();
          }
        }
      }
    }

    // Sessions and their notes: listed exactly as visible, anonymous
    // authors hidden from everyone but themselves.
    retro::v1::ListSessionsRequest list;
    list.set_page_size(1000);
    retro::v1::ListSessionsResponse listed;
    ASSERT_TRUE(server_.sessions().ListSessions(Ctx(user.token).get(), list, &listed).ok());
    std::set<std::string> listed_names, visible_names;
    for (const Session& s : listed.sessions()) listed_names.insert(s.name());
    for (const auto& [name, s] : sessions_) {
      if (MaySee(user, s)) visible_names.insert(name);
    }
    EXPECT_EQ(listed_names, visible_names) << who;
    for (const auto& [name, s] : sessions_) {
      retro::v1::ListAnnotationsRequest notes;
      notes.set_parent(name);
      retro::v1::ListAnnotationsResponse page;
      status = server_.annotations().ListAnnotations(Ctx(user.token).get(), notes, &page);
      if (!MaySee(user, s)) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << who << " " << name;
        continue;
      }
      ASSERT_TRUE(status.ok()) << who << " " << name << ": " << status.error_message();
      for (const Annotation& note : page.annotations()) {
        if (s.anonymous.count(note.name()) && s.note_authors.at(note.name()) != user.id) {
          EXPECT_EQ(note.author(), "") << who << " learns who wrote an anonymous note";
        }
      }
    }
    ++checked;
  }

  // Any lesson name asked for by anyone: found only where it may be seen.
  for (const User& user : users_) {
    for (const std::string& name : lesson_names) {
      retro::v1::GetLessonRequest get;
      get.set_name(name);
      Lesson lesson;
      grpc::Status status = library_->GetLesson(Ctx(user.token).get(), get, &lesson);
      if (status.ok()) {
        CheckLesson(user, lesson, "GetLesson");
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
      }
    }
  }

  // Live events: a watcher who is not the author never learns who wrote an
  // anonymous note.
  for (const auto& [name, s] : sessions_) {
    if (s.anonymous.empty()) continue;
    for (const User& user : users_) {
      bool wrote_anonymously = false;
      for (const std::string& note : s.anonymous) {
        wrote_anonymously |= s.note_authors.at(note) == user.id;
      }
      if (!MaySee(user, s) || wrote_anonymously) continue;
      retro::testing::Watcher watcher(server_.channel(), user.token, name, 0);
      ASSERT_TRUE(watcher.WaitForEvents(s.session.last_sequence()));
      for (const auto& event : watcher.events()) {
        if (!event.has_annotation()) continue;
        const std::string& note = event.annotation().name();
        if (s.anonymous.count(note) && s.note_authors.at(note) != user.id) {
          EXPECT_EQ(event.annotation().author(), "") << "a live event revealed an author";
        }
      }
      break;  // One viewer a session keeps the test short.
    }
  }
  std::cout << "isolation: " << users_.size() << " users in 3 organizations, " << sessions_.size()
            << " sessions, " << lesson_names.size() << " lesson names, " << checked
            << " users checked against every library RPC, " << answers
            << " answers (hits, suggestions, recurring groups, deals) checked\n";
}

}  // namespace
}  // namespace retro
