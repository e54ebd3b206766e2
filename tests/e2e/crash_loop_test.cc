// The crash loop: 32 concurrent writers (annotations, votes, edits and whole
// publish cycles) against the real retrod, which is SIGKILLed at a random
// moment, restarted on the same data directory and checked, again and again.
//
// After every restart:
//   - every acknowledged write is there (annotations, their latest
//     acknowledged edit, votes, published sessions);
//   - a write whose outcome the writer never learned is there entirely or
//     not at all: every session's state is exactly the fold of its event
//     log, and the log is gap-free from 1;
//   - the library holds exactly the lessons of the published sessions.
//
// RETRO_CRASH_KILLS sets the number of kills (3 by default, 20 in the long
// run: tests/reliability/run), RETRO_CRASH_SEED the random seed.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "retro/v1/library_service.grpc.pb.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"
#include "tests/testing/watcher.h"

namespace retro {
namespace {

using retro::testing::Ctx;
using retro::testing::EnvInt;
using retro::testing::ReadTrimmed;
using retro::v1::Annotation;
using retro::v1::Session;

constexpr int kWriters = 32;
constexpr int kPublishers = 4;  // Writers 0..3 run whole publish cycles.
constexpr int kSharedSessions = 4;

struct Stubs {
  explicit Stubs(std::shared_ptr<grpc::Channel> c)
      : channel(std::move(c)),
        admin(retro::v1::AdminService::NewStub(channel)),
        sessions(retro::v1::SessionService::NewStub(channel)),
        annotations(retro::v1::AnnotationService::NewStub(channel)),
        library(retro::v1::LibraryService::NewStub(channel)) {}
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<retro::v1::AdminService::Stub> admin;
  std::unique_ptr<retro::v1::SessionService::Stub> sessions;
  std::unique_ptr<retro::v1::AnnotationService::Stub> annotations;
  std::unique_ptr<retro::v1::LibraryService::Stub> library;
};

std::unique_ptr<grpc::ClientContext> ShortCtx(const std::string& token) {
  auto context = Ctx(token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// What the writers were told, across every round. Texts carry a version:
// "w3 n17 v2" is writer 3's 17th annotation after its second edit.
struct Ledger {
  struct Note {
    int writer = 0;
    int acked_version = -1;  // -1: the add itself is not known to be stored.
    int tried_version = 0;   // The highest version ever sent.
  };
  absl::Mutex mu;
  std::map<std::string, Note> notes ABSL_GUARDED_BY(mu);  // By annotation name.
  std::map<std::string, std::set<int>> acked_votes ABSL_GUARDED_BY(mu);
  std::map<std::string, std::set<int>> tried_votes ABSL_GUARDED_BY(mu);
  std::set<std::string> acked_adds ABSL_GUARDED_BY(mu);  // Base texts.
  std::set<std::string> published ABSL_GUARDED_BY(mu);   // Session names.
  std::vector<std::string> votable ABSL_GUARDED_BY(mu);  // Names in shared sessions.
  int64_t acknowledged ABSL_GUARDED_BY(mu) = 0;
  int64_t unknown ABSL_GUARDED_BY(mu) = 0;
  int64_t refused ABSL_GUARDED_BY(mu) = 0;
};

bool Unknown(const grpc::Status& status) {
  // The server died under the call (or never answered): it may or may not
  // have been applied.
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
         status.error_code() == grpc::StatusCode::CANCELLED ||
         status.error_code() == grpc::StatusCode::INTERNAL;
}

class CrashLoop {
 public:
  CrashLoop(std::vector<std::string> tokens, std::vector<std::string> shared, Ledger& ledger)
      : tokens_(std::move(tokens)), shared_(std::move(shared)), ledger_(ledger) {}

  // Runs the writers against address until stop is set.
  void Run(const std::string& address, const std::atomic<bool>& stop, uint32_t seed) {
    // Writers spread over a few connections, as many clients would be.
    std::vector<std::unique_ptr<Stubs>> pool;
    for (int i = 0; i < 4; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.channel_id", i);  // Distinct connections.
      pool.push_back(std::make_unique<Stubs>(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] { Write(*pool[w % pool.size()], w, stop, seed + w); });
    }
    for (auto& t : threads) t.join();
  }

 private:
  void Count(const grpc::Status& status) {
    absl::MutexLock lock(&ledger_.mu);
    if (status.ok()) {
      ++ledger_.acknowledged;
    } else if (Unknown(status)) {
      ++ledger_.unknown;
    } else {
      if (ledger_.refused++ < 5) std::cout << "refused: " << status.error_message() << "\n";
    }
  }

  void Write(Stubs& stubs, int w, const std::atomic<bool>& stop, uint32_t seed) {
    std::mt19937 random(seed);
    while (!stop.load()) {
      const int dice = random() % 100;
      if (w < kPublishers && dice < 10) {
        PublishCycle(stubs, w, random, stop);
      } else if (dice < 60) {
        AddNote(stubs, w, shared_[random() % shared_.size()], random);
      } else if (dice < 80) {
        Vote(stubs, w, random);
      } else {
        Edit(stubs, w, random);
      }
    }
  }

  // Adds an annotation; returns its name when acknowledged.
  std::string AddNote(Stubs& stubs, int w, const std::string& session, std::mt19937& random,
                      bool votable = true) {
    const int n = next_note_[w]++;
    const std::string base = absl::StrCat("w", w, " n", n);
    retro::v1::AddAnnotationRequest add;
    add.set_parent(session);
    add.set_request_id(absl::StrCat("add-", w, "-", n));
    add.mutable_annotation()->set_kind(random() % 2 ? Annotation::LESSON : Annotation::WENT_WRONG);
    add.mutable_annotation()->set_text(base + " v0");
    Annotation out;
    grpc::Status status = stubs.annotations->AddAnnotation(ShortCtx(tokens_[w]).get(), add, &out);
    Count(status);
    if (!status.ok()) return "";
    absl::MutexLock lock(&ledger_.mu);
    ledger_.acked_adds.insert(base);
    Ledger::Note& note = ledger_.notes[out.name()];
    note.writer = w;
    note.acked_version = 0;
    if (votable) ledger_.votable.push_back(out.name());
    mine_[w].emplace_back(out.name(), base);
    return out.name();
  }

  void Vote(Stubs& stubs, int w, std::mt19937& random) {
    std::string name;
    {
      absl::MutexLock lock(&ledger_.mu);
      if (ledger_.votable.empty()) return;
      name = ledger_.votable[random() % ledger_.votable.size()];
      if (ledger_.tried_votes[name].count(w)) return;  // One vote each.
      ledger_.tried_votes[name].insert(w);
    }
    retro::v1::VoteAnnotationRequest vote;
    vote.set_name(name);
    vote.set_request_id(absl::StrCat("vote-", w, "-", next_vote_[w]++));
    Annotation out;
    grpc::Status status = stubs.annotations->VoteAnnotation(ShortCtx(tokens_[w]).get(), vote, &out);
    Count(status);
    if (!status.ok()) return;
    absl::MutexLock lock(&ledger_.mu);
    ledger_.acked_votes[name].insert(w);
  }

  void Edit(Stubs& stubs, int w, std::mt19937& random) {
    if (mine_[w].empty()) return;
    const auto& [name, base] = mine_[w][random() % mine_[w].size()];
    int version;
    {
      absl::MutexLock lock(&ledger_.mu);
      Ledger::Note& note = ledger_.notes[name];
      version = ++note.tried_version;
    }
    retro::v1::EditAnnotationRequest edit;
    edit.mutable_annotation()->set_name(name);
    edit.mutable_annotation()->set_text(absl::StrCat(base, " v", version));
    edit.mutable_update_mask()->add_paths("text");
    Annotation out;
    grpc::Status status = stubs.annotations->EditAnnotation(ShortCtx(tokens_[w]).get(), edit, &out);
    Count(status);
    if (!status.ok()) return;
    absl::MutexLock lock(&ledger_.mu);
    Ledger::Note& note = ledger_.notes[name];
    note.acked_version = std::max(note.acked_version, version);
  }

  // Creates, runs, ends and publishes a session of the writer's own.
  void PublishCycle(Stubs& stubs, int w, std::mt19937& random, const std::atomic<bool>& stop) {
    const std::string& token = tokens_[w];
    retro::v1::CreateSessionRequest create;
    create.set_request_id(absl::StrCat("create-", w, "-", cycles_[w]++));
    create.mutable_session()->set_title(absl::StrCat("Loss review ", w, "-", cycles_[w]));
    create.mutable_session()->mutable_deal()->set_outcome(retro::v1::LOST);
    Session session;
    grpc::Status status = stubs.sessions->CreateSession(ShortCtx(token).get(), create, &session);
    Count(status);
    if (!status.ok() || stop.load()) return;
    retro::v1::StartSessionRequest start;
    start.set_name(session.name());
    status = stubs.sessions->StartSession(ShortCtx(token).get(), start, &session);
    Count(status);
    if (!status.ok()) return;
    for (int i = 0; i < 3; ++i) {
      if (AddNote(stubs, w, session.name(), random, /*votable=*/false).empty()) return;
    }
    retro::v1::EndSessionRequest end;
    end.set_name(session.name());
    status = stubs.sessions->EndSession(ShortCtx(token).get(), end, &session);
    Count(status);
    if (!status.ok()) return;
    retro::v1::PublishSessionRequest publish;
    publish.set_name(session.name());
    publish.set_request_id(absl::StrCat("publish-", w, "-", cycles_[w]));
    status = stubs.sessions->PublishSession(ShortCtx(token).get(), publish, &session);
    Count(status);
    if (!status.ok()) return;
    absl::MutexLock lock(&ledger_.mu);
    ledger_.published.insert(session.name());
  }

  const std::vector<std::string> tokens_;
  const std::vector<std::string> shared_;
  Ledger& ledger_;
  // Per writer; each writer thread touches only its own slot.
  int next_note_[kWriters] = {};
  int cycles_[kWriters] = {};
  int next_vote_[kWriters] = {};
  // The writer's acknowledged annotations: name and base text.
  std::vector<std::pair<std::string, std::string>> mine_[kWriters];
};

// "w3 n17 v2" -> ("w3 n17", 2).
std::pair<std::string, int> SplitVersion(const std::string& text) {
  size_t v = text.rfind(" v");
  if (v == std::string::npos) return {text, -1};
  return {text.substr(0, v), std::atoi(text.c_str() + v + 2)};
}

class CrashLoopTest : public ::testing::Test {
 protected:
  CrashLoopTest()
      : retrod_(RETROD_PATH, dir_.Join("data"), dir_.Join("root_token"), dir_.Join("retrod.log")) {}

  // Every session of the organization, as the admin sees them.
  std::vector<Session> AllSessions(Stubs& stubs) {
    std::vector<Session> all;
    std::string page_token;
    do {
      retro::v1::ListSessionsRequest list;
      list.set_page_size(1000);
      list.set_page_token(page_token);
      retro::v1::ListSessionsResponse page;
      grpc::Status status = stubs.sessions->ListSessions(Ctx(admin_).get(), list, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      all.insert(all.end(), page.sessions().begin(), page.sessions().end());
      page_token = page.next_page_token();
    } while (!page_token.empty());
    return all;
  }
  std::map<std::string, Annotation> Annotations(Stubs& stubs, const std::string& session) {
    std::map<std::string, Annotation> out;
    std::string page_token;
    do {
      retro::v1::ListAnnotationsRequest list;
      list.set_parent(session);
      list.set_page_size(1000);
      list.set_page_token(page_token);
      retro::v1::ListAnnotationsResponse page;
      grpc::Status status = stubs.annotations->ListAnnotations(Ctx(admin_).get(), list, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const Annotation& a : page.annotations()) out[a.name()] = a;
      page_token = page.next_page_token();
    } while (!page_token.empty());
    return out;
  }

  // Checks everything promised after a restart; returns the writes checked.
  int64_t Check(Stubs& stubs, Ledger& ledger) {
    int64_t checked = 0;
    std::map<std::string, Annotation> stored;
    std::set<std::string> published_now;
    std::map<std::string, std::set<std::string>> expected_lessons;  // Session -> annotations.
    for (const Session& session : AllSessions(stubs)) {
      std::map<std::string, Annotation> notes = Annotations(stubs, session.name());
      // The log is gap-free, and folding it gives exactly the stored state.
      retro::testing::Watcher watcher(stubs.channel, admin_, session.name(), 0);
      EXPECT_TRUE(watcher.WaitForEvents(session.last_sequence())) << session.name();
      watcher.Cancel();
      std::map<std::string, Annotation> folded;
      Session folded_session;
      uint64_t expected_sequence = 1;
      for (const retro::v1::SessionEvent& event : watcher.events()) {
        if (event.sequence() == 0) continue;  // Presence.
        EXPECT_EQ(event.sequence(), expected_sequence++) << session.name();
        if (event.has_annotation()) folded[event.annotation().name()] = event.annotation();
        if (event.has_session()) folded_session = event.session();
      }
      EXPECT_EQ(expected_sequence - 1, session.last_sequence()) << session.name();
      EXPECT_EQ(folded_session.state(), session.state()) << session.name();
      EXPECT_EQ(folded.size(), notes.size()) << session.name();
      for (const auto& [name, note] : notes) {
        auto it = folded.find(name);
        if (it == folded.end()) {
          ADD_FAILURE() << name << " is stored but not in its session's log";
          continue;
        }
        EXPECT_EQ(it->second.text(), note.text()) << name;
        EXPECT_EQ(it->second.vote_count(), note.vote_count()) << name;
        if (session.state() == retro::v1::PUBLISHED && !note.deleted() &&
            note.kind() != Annotation::QUESTION) {
          expected_lessons[session.name()].insert(name);
        }
      }
      if (session.state() == retro::v1::PUBLISHED) published_now.insert(session.name());
      stored.insert(notes.begin(), notes.end());
    }

    absl::MutexLock lock(&ledger.mu);
    // Every acknowledged add is stored; learn the names of those whose add
    // was acknowledged before a kill but whose name we know.
    std::set<std::string> stored_bases;
    for (const auto& [name, note] : stored) {
      stored_bases.insert(SplitVersion(note.text()).first);
    }
    for (const std::string& base : ledger.acked_adds) {
      EXPECT_TRUE(stored_bases.count(base)) << "acknowledged but lost: " << base;
      ++checked;
    }
    for (const auto& [name, note] : ledger.notes) {
      if (note.acked_version < 0) continue;
      auto it = stored.find(name);
      if (it == stored.end()) {
        ADD_FAILURE() << "acknowledged but lost: " << name;
        continue;
      }
      int version = SplitVersion(it->second.text()).second;
      EXPECT_GE(version, note.acked_version) << name << ": an acknowledged edit was lost";
      EXPECT_LE(version, note.tried_version) << name << ": a version nobody sent";
      checked += note.acked_version;
      const int acked_votes = ledger.acked_votes.count(name) ? ledger.acked_votes[name].size() : 0;
      const int tried_votes = ledger.tried_votes.count(name) ? ledger.tried_votes[name].size() : 0;
      EXPECT_GE(it->second.vote_count(), acked_votes) << name << ": an acknowledged vote was lost";
      EXPECT_LE(it->second.vote_count(), tried_votes) << name << ": a vote nobody cast";
      checked += acked_votes;
    }
    for (const std::string& session : ledger.published) {
      EXPECT_TRUE(published_now.count(session)) << "acknowledged publish lost: " << session;
      ++checked;
    }

    // The library holds exactly the published sessions' lessons.
    std::map<std::string, std::set<std::string>> lessons;
    retro::v1::ExportLessonsRequest request;
    auto context = Ctx(admin_);
    auto reader = stubs.library->ExportLessons(context.get(), request);
    retro::v1::Lesson lesson;
    while (reader->Read(&lesson)) lessons[lesson.session()].insert(lesson.annotation());
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(lessons, expected_lessons);
    lessons_checked_ = 0;
    for (const auto& [session, names] : lessons) lessons_checked_ += names.size();
    return checked;
  }

  retro::testing::TempDir dir_;
  retro::testing::RetrodProcess retrod_;
  std::string admin_;
  size_t lessons_checked_ = 0;
};

TEST_F(CrashLoopTest, EveryAcknowledgedWriteSurvivesRepeatedSigkills) {
  const int kills = EnvInt("RETRO_CRASH_KILLS", 3);
  const uint32_t seed = EnvInt("RETRO_CRASH_SEED", static_cast<int>(std::random_device()() >> 1));
  std::cout << "crash loop: seed " << seed << " (RETRO_CRASH_SEED), " << kills << " kills\n";
  std::mt19937 random(seed);

  std::string error;
  ASSERT_TRUE(retrod_.Start(&error)) << error;
  const std::string root = ReadTrimmed(dir_.Join("root_token"));
  std::vector<std::string> tokens;
  std::vector<std::string> shared;
  {
    Stubs stubs(grpc::CreateChannel(retrod_.address(), grpc::InsecureChannelCredentials()));
    retro::v1::CreateOrganizationRequest org;
    org.set_organization_id("acme");
    org.set_admin_user_id("admin");
    retro::v1::CreateOrganizationResponse created;
    ASSERT_TRUE(stubs.admin->CreateOrganization(Ctx(root).get(), org, &created).ok());
    admin_ = created.admin_token();
    for (int w = 0; w < kWriters; ++w) {
      retro::v1::CreateUserRequest user;
      user.set_user_id(absl::StrCat("writer", w));
      user.mutable_user()->set_role(retro::v1::MEMBER);
      retro::v1::User out;
      ASSERT_TRUE(stubs.admin->CreateUser(Ctx(admin_).get(), user, &out).ok());
      retro::v1::IssueTokenRequest issue;
      issue.set_user(absl::StrCat("users/writer", w));
      retro::v1::IssueTokenResponse token;
      ASSERT_TRUE(stubs.admin->IssueToken(Ctx(admin_).get(), issue, &token).ok());
      tokens.push_back(token.secret());
    }
    for (int s = 0; s < kSharedSessions; ++s) {
      retro::v1::CreateSessionRequest create;
      create.mutable_session()->set_title(absl::StrCat("Company-wide loss review ", s));
      create.mutable_session()->set_votes_per_participant(100);
      Session session;
      grpc::Status status = stubs.sessions->CreateSession(Ctx(admin_).get(), create, &session);
      ASSERT_TRUE(status.ok()) << status.error_message();
      retro::v1::StartSessionRequest start;
      start.set_name(session.name());
      ASSERT_TRUE(stubs.sessions->StartSession(Ctx(admin_).get(), start, &session).ok());
      shared.push_back(session.name());
    }
  }

  Ledger ledger;
  CrashLoop loop(tokens, shared, ledger);
  int64_t checked = 0;
  for (int round = 0; round < kills; ++round) {
    std::atomic<bool> stop{false};
    std::thread writers([&] { loop.Run(retrod_.address(), stop, random()); });
    std::this_thread::sleep_for(std::chrono::milliseconds(400 + random() % 1200));
    retrod_.Kill();
    stop.store(true);
    writers.join();

    ASSERT_TRUE(retrod_.Start(&error)) << error;
    Stubs stubs(grpc::CreateChannel(retrod_.address(), grpc::InsecureChannelCredentials()));
    checked = Check(stubs, ledger);
    if (HasFailure()) break;
  }
  absl::MutexLock lock(&ledger.mu);
  std::cout << "crash loop: " << kills << " SIGKILLs survived, " << ledger.acknowledged
            << " writes acknowledged, " << ledger.unknown << " cut off by a kill, "
            << ledger.refused << " refused; " << checked
            << " acknowledged writes checked after the last restart; " << ledger.published.size()
            << " sessions published with " << lessons_checked_ << " lessons in the library, "
            << (HasFailure() ? "SOME LOST" : "none lost") << "\n";
  EXPECT_GT(ledger.acknowledged, 100);
}

}  // namespace
}  // namespace retro
