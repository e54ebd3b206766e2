// LessonIndex over a real RocksDB: the parts whose bugs only show with more
// lessons than one posting block holds.
#include "storage/index/lesson_index.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/index/analyzer.h"
#include "storage/index/columns.h"
#include "storage/index/index_keys.h"
#include "storage/index/index_records.pb.h"
#include "storage/testing/fault_injection.h"
#include "tests/testing/temp_dir.h"

namespace retro::index {
namespace {

// A made-up word of letters only, different for every n.
std::string Word(int n) {
  std::string word = "q";
  do {
    word.push_back(static_cast<char>('a' + n % 26));
    n /= 26;
  } while (n > 0);
  return word + "x";
}

class LessonIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = storage::Database::Open({dir_.Join("db"), nullptr, nullptr});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    index_ = std::make_unique<LessonIndex>(*database_);
  }

  void Publish(const std::vector<std::pair<std::string, std::string>>& session_and_text) {
    std::vector<retro::v1::Lesson> lessons;
    for (const auto& [session, text] : session_and_text) {
      retro::v1::Lesson& lesson = lessons.emplace_back();
      lesson.set_text(text);
      lesson.set_session(session);
      lesson.set_visibility(retro::v1::ORGANIZATION);
    }
    ASSERT_TRUE(index_->WriteWithLessons("acme", &lessons, storage::Database::Batch()).ok());
  }

  std::set<std::string> Matches(const std::string& query) {
    SearchOptions options;
    options.query = query;
    options.limit = 10000;
    absl::StatusOr<SearchResults> results = index_->Search("acme", viewer_, options);
    EXPECT_TRUE(results.ok()) << results.status();
    std::set<std::string> texts;
    if (!results.ok()) return texts;
    EXPECT_EQ(results->total, results->hits.size());
    for (const auto& hit : results->hits) texts.insert(hit.lesson.text());
    return texts;
  }

  retro::testing::TempDir dir_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<LessonIndex> index_;
  Viewer viewer_{"u1", {}, true};
};

TEST_F(LessonIndexTest, PhrasesMatchAcrossManyPostingBlocks) {
  // 2,000 lessons with both words, 40 of them in the phrase's order,
  // spread over the term's blocks (128 postings each) and the last one at
  // the very end.
  std::vector<std::pair<std::string, std::string>> lessons;
  std::set<std::string> expected;
  for (int i = 0; i < 2000; ++i) {
    bool phrase = i % 50 == 7 || i == 1999;
    std::string text = phrase ? absl::StrCat("lesson ", i, ": map the procurement process early")
                              : absl::StrCat("lesson ", i, ": process the map of procurement");
    if (phrase) expected.insert(text);
    lessons.emplace_back(absl::StrCat("s", i % 7), text);
  }
  Publish(lessons);
  EXPECT_EQ(Matches("\"procurement process\""), expected);
  EXPECT_EQ(Matches("\"map the procurement process\""), expected);
  EXPECT_EQ(Matches("\"process procurement\"").size(), 0u);
  // Every lesson has both words; the order matters only in quotes.
  EXPECT_EQ(Matches("procurement process").size(), 2000u);
}

// A phrase decodes a word's positions whole (and caches them) when they
// fit in a sixteenth of the posting cache, else only the blocks of the
// docs that have every word of it: both ways, with and without a filter,
// must find what a scan of the lessons finds.
TEST_F(LessonIndexTest, FilteredPhrasesAgreeWithAScanWhetherPositionsAreDecodedWholeOrNot) {
  std::vector<retro::v1::Lesson> lessons;
  for (int i = 0; i < 3000; ++i) {
    retro::v1::Lesson& lesson = lessons.emplace_back();
    lesson.set_text(i % 3 == 0 ? absl::StrCat("note ", i, ": engage the economic buyer early")
                               : absl::StrCat("note ", i, ": the buyer had no economic case"));
    lesson.set_session(absl::StrCat("s", i % 11));
    lesson.set_visibility(retro::v1::ORGANIZATION);
    lesson.mutable_deal()->set_outcome(i % 5 == 0 ? retro::v1::WON : retro::v1::LOST);
    // A competitor common enough for a bitmap, and a rare one.
    lesson.mutable_deal()->set_competitor(i % 2 ? "Globex" : (i % 97 == 0 ? "Initech" : ""));
  }
  std::vector<retro::v1::Lesson> published = lessons;
  // 16 KiB of cache: a word of 3,000 docs is over a sixteenth, so its
  // positions are read block by block.
  storage::Database& database = *database_;
  LessonIndex small_cache(database, 16 << 10);
  ASSERT_TRUE(index_->WriteWithLessons("acme", &lessons, storage::Database::Batch()).ok());

  struct Case {
    std::string name;
    retro::v1::LessonFilter filter;
    std::function<bool(const retro::v1::Lesson&)> passes;
  };
  std::vector<Case> cases;
  cases.push_back({"unfiltered", {}, [](const retro::v1::Lesson&) { return true; }});
  retro::v1::LessonFilter won;
  won.add_outcomes(retro::v1::WON);
  cases.push_back({"won", won, [](const retro::v1::Lesson& l) {
                     return l.deal().outcome() == retro::v1::WON;
                   }});
  retro::v1::LessonFilter lost_to_globex;
  lost_to_globex.add_outcomes(retro::v1::LOST);
  lost_to_globex.add_competitors("Globex");
  cases.push_back({"lost to Globex", lost_to_globex, [](const retro::v1::Lesson& l) {
                     return l.deal().outcome() == retro::v1::LOST &&
                            l.deal().competitor() == "Globex";
                   }});
  retro::v1::LessonFilter initech;
  initech.add_competitors("Initech");
  cases.push_back({"Initech", initech,
                   [](const retro::v1::Lesson& l) { return l.deal().competitor() == "Initech"; }});
  retro::v1::LessonFilter nobody;
  nobody.add_competitors("Nobody Inc");
  cases.push_back({"nobody", nobody, [](const retro::v1::Lesson&) { return false; }});

  for (LessonIndex* index : {index_.get(), &small_cache}) {
    for (int round = 0; round < 2; ++round) {  // The second from whatever was cached.
      for (const Case& c : cases) {
        std::set<std::string> expected;
        for (const retro::v1::Lesson& l : published) {
          if (c.passes(l) && l.text().find("economic buyer") != std::string::npos) {
            expected.insert(l.text());
          }
        }
        SearchOptions options;
        options.query = "\"economic buyer\"";
        options.filter = c.filter;
        options.limit = 10000;
        absl::StatusOr<SearchResults> results = index->Search("acme", viewer_, options);
        ASSERT_TRUE(results.ok()) << results.status();
        std::set<std::string> got;
        for (const auto& hit : results->hits) got.insert(hit.lesson.text());
        EXPECT_EQ(got, expected) << c.name << (index == &small_cache ? ", small cache" : "");
        EXPECT_EQ(results->total, expected.size()) << c.name;
      }
    }
  }
}

TEST_F(LessonIndexTest, PhrasesOfCommonWordsStayCurrentAsLessonsArrive) {
  // Nearly every lesson has both words, so a phrase decodes (and caches)
  // all their positions; lessons published later must still be found.
  std::vector<std::pair<std::string, std::string>> lessons;
  std::set<std::string> expected;
  auto add = [&](int i) {
    bool phrase = i % 3 == 0;
    std::string text = phrase ? absl::StrCat("note ", i, ": the success criteria were vague")
                              : absl::StrCat("note ", i, ": criteria for success were vague");
    if (phrase) expected.insert(text);
    lessons.emplace_back("s", text);
  };
  for (int i = 0; i < 1500; ++i) add(i);
  Publish(lessons);
  EXPECT_EQ(Matches("\"success criteria\""), expected);
  EXPECT_EQ(Matches("\"success criteria\""), expected);  // From the cache.
  lessons.clear();
  for (int i = 1500; i < 1800; ++i) add(i);
  Publish(lessons);
  EXPECT_EQ(Matches("\"success criteria\""), expected);
  EXPECT_EQ(Matches("\"criteria success\"").size(), 0u);
}

TEST_F(LessonIndexTest, PrefixesAndWordsAgreeWithAScanOfTheLessons) {
  // Many words sharing a prefix (a large union) and words of very
  // different frequency (intersections that skip far ahead).
  std::vector<std::pair<std::string, std::string>> lessons;
  std::vector<std::string> texts;
  for (int i = 0; i < 6000; ++i) {
    std::string text = absl::StrCat("zz", Word(i % 60), " common");
    if (i % 97 == 0) absl::StrAppend(&text, " rareword");
    if (i % 2 == 0) absl::StrAppend(&text, " evenword");
    texts.push_back(text);
    lessons.emplace_back(absl::StrCat("s", i % 11), text);
  }
  Publish(lessons);
  auto expect = [&](auto keep) {
    std::set<std::string> out;
    for (const std::string& text : texts) {
      if (keep(text)) out.insert(text);
    }
    return out;
  };
  auto has = [](const std::string& text, const std::string& word) {
    return (" " + text + " ").find(" " + word + " ") != std::string::npos;
  };
  EXPECT_EQ(Matches("zzq*"), expect([](const std::string&) { return true; }));
  EXPECT_EQ(Matches("rareword common evenword"),
            expect([&](const std::string& t) { return has(t, "rareword") && has(t, "evenword"); }));
  EXPECT_EQ(Matches("evenword -rareword").size(), expect([&](const std::string& t) {
                                                    return has(t, "evenword") &&
                                                           !has(t, "rareword");
                                                  }).size());
}

// Facets, totals and visibility must come out the same whichever way a
// query's matches are counted: record by record (few matches) or value by
// value against a bitmap (many). Both are checked against a plain scan.
TEST_F(LessonIndexTest, FacetsAndVisibilityAgreeWithAScanForFewAndManyMatches) {
  const retro::v1::Outcome outcomes[] = {retro::v1::WON, retro::v1::LOST, retro::v1::NO_DECISION};
  std::vector<retro::v1::Lesson> lessons;
  for (int i = 0; i < 12000; ++i) {
    retro::v1::Lesson& lesson = lessons.emplace_back();
    lesson.set_text(absl::StrCat("common ", i % 100 == 1 ? "rare " : "", Word(i % 300)));
    lesson.set_session(absl::StrCat("s", i / 4));
    lesson.set_team_id(absl::StrCat("team-", i % 7));
    lesson.set_visibility(i % 3 == 0 ? retro::v1::TEAM : retro::v1::ORGANIZATION);
    lesson.set_presenter(absl::StrCat("user-", i % 41));
    lesson.set_vote_count(i % 13);
    lesson.set_kind(i % 2 ? retro::v1::Annotation::LESSON : retro::v1::Annotation::WENT_WRONG);
    lesson.mutable_deal()->set_outcome(outcomes[i % 3]);
    // A long tail of competitors (lists) and a few common ones (bitmaps).
    lesson.mutable_deal()->set_competitor(i % 2 ? "Globex" : absl::StrCat("Rival ", i % 997));
    lesson.mutable_deal()->set_industry(i % 5 ? "Healthcare" : "Retail");
    lesson.mutable_deal()->add_reasons(i % 4 ? "price" : "timing");
    if (i % 6 == 0) lesson.mutable_deal()->add_reasons("price");  // Twice: counted once.
    lesson.add_tags(absl::StrCat("tag-", i % 3));
  }
  std::vector<retro::v1::Lesson> published = lessons;
  ASSERT_TRUE(index_->WriteWithLessons("acme", &lessons, storage::Database::Batch()).ok());

  Viewer viewer{"user-5", {"team-2"}, false};
  auto visible = [&](const retro::v1::Lesson& l) {
    return l.visibility() != retro::v1::TEAM || l.team_id() == "team-2" ||
           l.presenter() == "user-5";
  };
  // Unfiltered, and filtered on fields with and without inverted values.
  retro::v1::LessonFilter lost_to_globex;
  lost_to_globex.add_outcomes(retro::v1::LOST);
  lost_to_globex.add_competitors("globex ");
  lost_to_globex.add_reasons("price");
  lost_to_globex.set_min_votes(3);
  auto passes = [](const retro::v1::Lesson& l, bool filtered) {
    if (!filtered) return true;
    const auto& reasons = l.deal().reasons();
    return l.deal().outcome() == retro::v1::LOST && l.deal().competitor() == "Globex" &&
           std::find(reasons.begin(), reasons.end(), "price") != reasons.end() &&
           l.vote_count() >= 3;
  };
  for (const auto& query : std::vector<std::pair<std::string, bool>>{
           {"common", false}, {"rare", false}, {"common", true}, {"rare", true}}) {
    // Named copies: a lambda cannot capture a structured binding in C++17.
    const std::string& word = query.first;
    const bool filtered = query.second;
    std::map<std::string, std::map<std::string, int64_t>> expected;
    uint64_t total = 0;
    auto matches = [&](const retro::v1::Lesson& l) {
      return visible(l) && l.text().find(word) != std::string::npos && passes(l, filtered);
    };
    for (const retro::v1::Lesson& l : published) {
      if (!matches(l)) continue;
      ++total;
      expected["outcome"][retro::v1::Outcome_Name(l.deal().outcome())]++;
      expected["competitor"][absl::AsciiStrToLower(l.deal().competitor())]++;
      expected["industry"][absl::AsciiStrToLower(l.deal().industry())]++;
      expected["kind"][retro::v1::Annotation::Kind_Name(l.kind())]++;
      std::set<std::string> reasons(l.deal().reasons().begin(), l.deal().reasons().end());
      for (const std::string& r : reasons) expected["reasons"][r]++;
      for (const std::string& t : l.tags()) expected["tags"][t]++;
    }
    SearchOptions options;
    options.query = word;
    if (filtered) options.filter = lost_to_globex;
    absl::StatusOr<SearchResults> results = index_->Search("acme", viewer, options);
    ASSERT_TRUE(results.ok()) << results.status();
    EXPECT_EQ(results->total, total) << word << filtered;
    for (const retro::v1::Facet& facet : results->facets) {
      if (facet.field() == "stage_reached") continue;
      std::vector<std::pair<int64_t, std::string>> want;
      for (const auto& [value, n] : expected[facet.field()]) want.emplace_back(-n, value);
      std::sort(want.begin(), want.end());
      ASSERT_EQ(facet.counts_size(), static_cast<int>(std::min<size_t>(want.size(), 20)))
          << word << " " << facet.field();
      for (int i = 0; i < facet.counts_size(); ++i) {
        EXPECT_EQ(facet.counts(i).value(), want[i].second) << word << " " << facet.field();
        EXPECT_EQ(facet.counts(i).count(), -want[i].first) << word << " " << facet.field();
      }
    }
    // The best hits are visible, best first, and the best has the most
    // votes (the same words, and the shortest text, score the same).
    ASSERT_FALSE(results->hits.empty());
    int32_t most_votes = 0;
    for (const retro::v1::Lesson& l : published) {
      if (matches(l)) most_votes = std::max(most_votes, l.vote_count());
    }
    EXPECT_EQ(results->hits.front().lesson.vote_count(), most_votes) << word;
    for (size_t i = 0; i < results->hits.size(); ++i) {
      EXPECT_TRUE(visible(results->hits[i].lesson)) << results->hits[i].lesson.name();
      if (i > 0) {
        EXPECT_LE(results->hits[i].score, results->hits[i - 1].score);
      }
    }
  }
  // Suggestions pass the same visibility: a third of these lessons are
  // TEAM lessons the viewer may not see, some of them the best matches.
  absl::StatusOr<std::vector<SearchResults::Hit>> suggested =
      index_->Suggest("acme", viewer, "rare common", 50);
  ASSERT_TRUE(suggested.ok()) << suggested.status();
  ASSERT_EQ(suggested->size(), 50u);
  for (const auto& hit : *suggested) EXPECT_TRUE(visible(hit.lesson)) << hit.lesson.name();
}

// Suggestions reuse their thread's arrays from one draft to the next: a
// thread that suggested for other drafts (and searched) must answer as a
// fresh one does, best first, at most as many as asked.
TEST_F(LessonIndexTest, SuggestionsDoNotDependOnWhatTheThreadDidBefore) {
  std::vector<std::pair<std::string, std::string>> lessons;
  for (int i = 0; i < 3000; ++i) {
    lessons.emplace_back(absl::StrCat("sessions/s", i % 40),
                         absl::StrCat(Word(i % 7), " ", Word(100 + i % 11), " ", Word(200 + i % 13),
                                      " ", Word(300 + i % 17), " ", Word(i)));
  }
  Publish(lessons);
  const std::vector<std::string> drafts = {
      absl::StrCat(Word(1), " ", Word(101), " ", Word(205)),
      absl::StrCat(Word(3), " ", Word(310), " ", Word(77)),
      absl::StrCat(Word(1), " ", Word(2), " ", Word(3), " ", Word(104), " ", Word(212)),
  };
  auto suggest = [&](const std::string& draft, size_t max_results) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<SearchResults::Hit>> hits =
        index_->Suggest("acme", viewer_, draft, max_results);
    EXPECT_TRUE(hits.ok()) << hits.status();
    if (!hits.ok()) return out;
    EXPECT_LE(hits->size(), max_results);
    for (size_t i = 0; i < hits->size(); ++i) {
      if (i > 0) {
        EXPECT_GE((*hits)[i - 1].score, (*hits)[i].score);
      }
      out.push_back(absl::StrCat((*hits)[i].lesson.name(), " ", (*hits)[i].score));
    }
    return out;
  };
  // Each on a thread of its own, which has kept nothing.
  std::vector<std::vector<std::string>> fresh(drafts.size());
  for (size_t d = 0; d < drafts.size(); ++d) {
    std::thread([&, d] { fresh[d] = suggest(drafts[d], 25); }).join();
    ASSERT_EQ(fresh[d].size(), 25u);
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t d = 0; d < drafts.size(); ++d) {
      EXPECT_EQ(suggest(drafts[d], 25), fresh[d]) << drafts[d];
      Matches(Word(2));  // A search in between, on the same thread.
    }
  }
  EXPECT_EQ(suggest(drafts[0], 3),
            std::vector<std::string>(fresh[0].begin(), fresh[0].begin() + 3));
}

// A lesson's score must not depend on how its query's matches were found:
// many matches are found through bitmaps (and scored by their rank in
// one), while a filter on segment, which has no bitmap, reads each match's
// record. And a phrase scores as its words do without the quotes.
TEST_F(LessonIndexTest, ScoresAgreeWhicheverWayTheMatchesAreFound) {
  std::vector<retro::v1::Lesson> lessons;
  for (int i = 0; i < 8000; ++i) {
    retro::v1::Lesson& lesson = lessons.emplace_back();
    // Each text is unique (Word(1000 + i)); lengths, word frequencies and
    // votes vary; a third have the words but not as the phrase.
    std::string text = absl::StrCat("zz", Word(i % 40), " ", Word(1000 + i), " ",
                                    i % 3 == 0 ? "beta alpha" : "alpha beta");
    for (int k = 0; k < i % 4; ++k) absl::StrAppend(&text, " alpha");
    for (int k = 0; k < i % 7; ++k) absl::StrAppend(&text, " ", Word(k));
    if (i % 5 == 0) absl::StrAppend(&text, " zz", Word(i % 40));
    lesson.set_text(text);
    lesson.set_session(absl::StrCat("s", i / 4));
    lesson.set_visibility(retro::v1::ORGANIZATION);
    lesson.set_vote_count(i % 6);
    lesson.mutable_deal()->set_segment("Enterprise");
  }
  ASSERT_TRUE(index_->WriteWithLessons("acme", &lessons, storage::Database::Batch()).ok());

  auto scores = [&](const std::string& query, bool filtered) {
    SearchOptions options;
    options.query = query;
    options.limit = 10000;
    if (filtered) options.filter.add_segments("enterprise");
    absl::StatusOr<SearchResults> results = index_->Search("acme", viewer_, options);
    EXPECT_TRUE(results.ok()) << results.status();
    std::map<std::string, double> by_text;
    if (!results.ok()) return by_text;
    EXPECT_EQ(results->hits.size(), results->total);
    for (const auto& hit : results->hits) by_text[hit.lesson.text()] = hit.score;
    return by_text;
  };
  // The last: a common word beside a rare one (scored by seeking, not by
  // rank), and a phrase of a word with itself.
  for (const std::string query :
       {"zzq*", "alpha beta", "\"alpha beta\"", "alpha -zzqax", "zzqbx alpha", "\"alpha alpha\""}) {
    std::map<std::string, double> through_bitmaps = scores(query, false);
    std::map<std::string, double> record_by_record = scores(query, true);
    ASSERT_EQ(through_bitmaps.size(), record_by_record.size()) << query;
    EXPECT_GT(through_bitmaps.size(), 150u) << query;
    for (const auto& [text, score] : through_bitmaps) {
      ASSERT_EQ(record_by_record.count(text), 1u) << query << ": " << text;
      EXPECT_DOUBLE_EQ(score, record_by_record[text]) << query << ": " << text;
    }
  }
  std::map<std::string, double> phrase = scores("\"alpha beta\"", false);
  std::map<std::string, double> words = scores("alpha beta", false);
  EXPECT_EQ(phrase.size(), 8000u - 8000u / 3 - 1);
  for (const auto& [text, score] : phrase) {
    EXPECT_NE(text.find("alpha beta"), std::string::npos) << text;
    EXPECT_DOUBLE_EQ(score, words[text]) << text;
  }
}

// A lesson is stored as its name in front of the rest of it, serialized
// before the name was known: the stored bytes must be exactly the named
// lesson's, for batches analyzed on one thread and on two.
TEST_F(LessonIndexTest, StoredLessonsAreExactlyTheNamedLessons) {
  std::vector<retro::v1::Lesson> written;
  for (int batch_size : {3, 1500}) {
    std::vector<retro::v1::Lesson> lessons;
    for (int i = 0; i < batch_size; ++i) {
      retro::v1::Lesson& lesson = lessons.emplace_back();
      lesson.set_name("lessons/ignored");  // Replaced by the index's name.
      lesson.set_session(absl::StrCat("sessions/s", i % 7));
      lesson.set_text(absl::StrCat("Lost to ", Word(i), " on price; the CFO’s budget moved"));
      lesson.add_tags("pricing");
      lesson.set_vote_count(i);
      lesson.mutable_deal()->set_outcome(retro::v1::LOST);
      lesson.mutable_deal()->set_competitor("Rival Co");
      lesson.mutable_publish_time()->set_seconds(1700000000 + i);
      lesson.set_visibility(retro::v1::ORGANIZATION);
      lesson.set_presenter("u1");
      lesson.add_facilitators("u2");
    }
    ASSERT_TRUE(index_->WriteWithLessons("acme", &lessons, storage::Database::Batch()).ok());
    for (retro::v1::Lesson& lesson : lessons) written.push_back(std::move(lesson));
  }
  std::vector<std::string> stored;
  ASSERT_TRUE(database_
                  ->Scan(storage::Table::kLessons, keys::DocPrefix("acme"), "",
                         [&](absl::string_view, absl::string_view value) {
                           stored.emplace_back(value);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(stored.size(), written.size());
  for (size_t i = 0; i < written.size(); ++i) {
    EXPECT_EQ(written[i].name(), absl::StrCat("lessons/", i + 1));
    ASSERT_EQ(stored[i], written[i].SerializeAsString()) << written[i].name();
  }
}

// Writers of one organization analyze their lessons at the same time and
// take turns only to write: every lesson gets its own doc, and every one
// is found.
TEST_F(LessonIndexTest, ConcurrentWritersOfOneOrganizationLoseNothing) {
  constexpr int kWriters = 4, kBatches = 2, kBatchSize = 1100;  // Fewer than 10,000 in all.
  std::vector<std::thread> writers;
  std::vector<absl::Status> statuses(kWriters);
  std::vector<std::vector<std::string>> names(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches && statuses[w].ok(); ++b) {
        std::vector<retro::v1::Lesson> lessons;
        for (int i = 0; i < kBatchSize; ++i) {
          retro::v1::Lesson& lesson = lessons.emplace_back();
          lesson.set_text(
              absl::StrCat("shared words and writer", w, " ", Word(b * kBatchSize + i)));
          lesson.set_visibility(retro::v1::ORGANIZATION);
        }
        statuses[w] = index_->WriteWithLessons("acme", &lessons, storage::Database::Batch());
        for (const retro::v1::Lesson& lesson : lessons) names[w].push_back(lesson.name());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  std::set<std::string> all;
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_TRUE(statuses[w].ok()) << statuses[w];
    all.insert(names[w].begin(), names[w].end());
    EXPECT_EQ(Matches(absl::StrCat("writer", w)).size(), size_t{kBatches * kBatchSize});
  }
  EXPECT_EQ(all.size(), size_t{kWriters * kBatches * kBatchSize});
  EXPECT_EQ(Matches("\"shared words\"").size(), size_t{kWriters * kBatches * kBatchSize});
  for (int n = 0; n < kBatches * kBatchSize; n += 997) EXPECT_EQ(Matches(Word(n)).size(), 4u);
}

// Index writes on a slow disk, for the write pipeline: the next write is
// built while the one before it syncs.
class PipelinedIndexWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = storage::Database::Open({dir_.Join("db"), faults_.env(), nullptr});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    index_ = std::make_unique<LessonIndex>(*database_);
  }

  // n lessons: "shared words", the tag, and a word of their own.
  static std::vector<retro::v1::Lesson> Lessons(const std::string& tag, int first, int n) {
    std::vector<retro::v1::Lesson> lessons;
    for (int i = first; i < first + n; ++i) {
      retro::v1::Lesson& lesson = lessons.emplace_back();
      lesson.set_text(absl::StrCat("shared words ", tag, " ", Word(i)));
      lesson.set_visibility(retro::v1::ORGANIZATION);
    }
    return lessons;
  }

  absl::Status Write(std::vector<retro::v1::Lesson> lessons) {
    return index_->WriteWithLessons("acme", &lessons, storage::Database::Batch());
  }

  // How many lessons match, checking that every match can be shown.
  size_t Count(const std::string& query) {
    SearchOptions options;
    options.query = query;
    options.limit = 100000;
    absl::StatusOr<SearchResults> results = index_->Search("acme", Viewer{"u1", {}, true}, options);
    EXPECT_TRUE(results.ok()) << query << ": " << results.status();
    if (!results.ok()) return 0;
    EXPECT_EQ(results->total, results->hits.size()) << query;
    return results->hits.size();
  }

  retro::testing::TempDir dir_;
  storage::FaultInjection faults_;  // Outlives the database.
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<LessonIndex> index_;
};

// Writers whose writes wait on slow syncs build theirs on the postings,
// terms and totals of the writes still in flight: every lesson is found
// once, by its own word and by the words every lesson shares, the shared
// words' postings span every write (their last blocks were filled by
// writes that were not yet written when the next one was built), and
// their document frequency counts every lesson. Batches of 1,000 have
// their terms gathered on two threads.
TEST_F(PipelinedIndexWriteTest, WritesBuiltWhileEarlierOnesSyncLoseNothing) {
  faults_.DelaySyncs(30);
  constexpr int kWriters = 4, kBatches = 2, kBatchSize = 1000;
  std::vector<std::thread> writers;
  std::vector<absl::Status> statuses(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int b = 0; b < kBatches && statuses[w].ok(); ++b) {
        statuses[w] =
            Write(Lessons(absl::StrCat("writer", w), (w * kBatches + b) * kBatchSize, kBatchSize));
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  faults_.DelaySyncs(0);
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_TRUE(statuses[w].ok()) << statuses[w];
    EXPECT_EQ(Count(absl::StrCat("writer", w)), size_t{kBatches * kBatchSize});
  }
  constexpr size_t kAll = kWriters * kBatches * kBatchSize;
  EXPECT_EQ(Count("\"shared words\""), kAll);
  for (int n = 0; n < static_cast<int>(kAll); n += 331) EXPECT_EQ(Count(Word(n)), 1u) << n;
  const std::string shared = Analyzer::English().Analyze("shared").at(0).term;
  absl::StatusOr<std::optional<std::string>> info =
      database_->Get(storage::Table::kTerms, keys::Term("acme", shared));
  ASSERT_TRUE(info.ok() && info->has_value()) << shared;
  TermInfo term;
  ASSERT_TRUE(term.ParseFromString(**info));
  EXPECT_EQ(term.doc_freq(), kAll);
  // The totals moved on with every write: the next lesson is the next doc.
  std::vector<retro::v1::Lesson> next = Lessons("last", 1000000, 1);
  ASSERT_TRUE(index_->WriteWithLessons("acme", &next, storage::Database::Batch()).ok());
  EXPECT_EQ(next[0].name(), absl::StrCat("lessons/", kAll + 1));
}

// A write that fails on the disk while the next one is built on it: the
// next one fails too (the database also refuses writes just after a disk
// failure; WritePipelineTest covers the pipeline's own part), nothing of
// either is found, and the write after them, built afresh once the disk is
// back, is found whole, as is everything written before.
TEST_F(PipelinedIndexWriteTest, AWriteBuiltOnAFailedOneFailsToo) {
  ASSERT_TRUE(Write(Lessons("earlierbatch", 0, 200)).ok());
  faults_.DelaySyncs(1500);
  absl::Status first, second;
  std::thread first_writer([&] { first = Write(Lessons("failingbatch", 200, 200)); });
  // The first write is in its slow sync; the second is built on it and
  // waits for its turn; then the disk fails under the first.
  absl::SleepFor(absl::Milliseconds(300));
  std::thread second_writer([&] { second = Write(Lessons("pipelinedbatch", 400, 200)); });
  absl::SleepFor(absl::Milliseconds(300));
  faults_.Inject(storage::FaultInjection::Fault::kIoError);
  first_writer.join();
  second_writer.join();
  faults_.DelaySyncs(0);
  faults_.Inject(storage::FaultInjection::Fault::kNone);

  EXPECT_FALSE(first.ok());
  // Built before the failure (the usual case), the second write failed
  // with it; built after, it stands on its own.
  if (!second.ok()) {
    EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable) << second;
  }
  // Writes resume once the database retries its disk (a few seconds).
  absl::Status after;
  for (absl::Time give_up = absl::Now() + absl::Seconds(60); absl::Now() < give_up;
       absl::SleepFor(absl::Milliseconds(100))) {
    after = Write(Lessons("laterbatch", 600, 200));
    if (after.ok()) break;
  }
  ASSERT_TRUE(after.ok()) << after;

  const size_t second_found = second.ok() ? 200 : 0;
  EXPECT_EQ(Count("earlierbatch"), 200u);
  EXPECT_EQ(Count("failingbatch"), 0u);
  EXPECT_EQ(Count("pipelinedbatch"), second_found);
  EXPECT_EQ(Count("laterbatch"), 200u);
  EXPECT_EQ(Count("\"shared words\""), 400u + second_found);
  for (int n = 0; n < 800; n += 37) {
    const bool written = n < 200 || n >= 600 || (n >= 400 && second.ok());
    EXPECT_EQ(Count(Word(n)), written ? 1u : 0u) << n;
  }
}

// Signatures are stored, so every build on every CPU must compute the same
// ones: MinHashOf (vectorized where the CPU allows) against the definition.
TEST(MinHashTest, SignaturesAreTheDefinedHashesOnEveryPath) {
  auto splitmix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  auto fnv1a = [](absl::string_view text) {
    uint64_t hash = 1469598103934665603ull;
    for (char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    return hash;
  };
  for (int size : {0, 1, 7, 16, 17, 40, 333}) {
    std::vector<std::string> terms;
    for (int i = 0; i < size; ++i) terms.push_back(Word(i * 7919 + size));
    std::vector<uint32_t> expected(kMinHashes, 0xffffffffu);
    for (const std::string& term : terms) {
      for (int i = 0; i < kMinHashes; ++i) {
        expected[i] = std::min(
            expected[i], static_cast<uint32_t>(splitmix(fnv1a(term) + i * 0x632be59bd9b4e019ull)));
      }
    }
    EXPECT_EQ(MinHashOf(terms), expected) << size << " terms";
  }
}

TEST_F(LessonIndexTest, RecurringLessonsClusterNearDuplicatesFromDistinctDeals) {
  std::vector<std::pair<std::string, std::string>> lessons;
  // The same lesson, worded nearly alike, in five deals.
  for (int deal = 0; deal < 5; ++deal) {
    lessons.emplace_back(
        absl::StrCat("deal", deal),
        absl::StrCat("Engage the economic buyer before the technical evaluation starts",
                     deal % 2 ? " again" : ""));
  }
  // Unrelated lessons, each in a deal of its own and with words of its own.
  for (int i = 0; i < 300; ++i) {
    std::string text;
    for (int w = 0; w < 8; ++w) absl::StrAppend(&text, Word(i * 8 + w), " ");
    lessons.emplace_back(absl::StrCat("other", i), text);
  }
  Publish(lessons);
  RecurringOptions options;
  options.min_deals = 3;
  absl::StatusOr<std::vector<retro::v1::RecurringLesson>> recurring =
      index_->Recurring("acme", viewer_, options);
  ASSERT_TRUE(recurring.ok()) << recurring.status();
  ASSERT_EQ(recurring->size(), 1u);
  EXPECT_EQ((*recurring)[0].deal_count(), 5);
}

// Indexes written before 2026-12-01 keep their totals in doc_values: they
// are read there, and the next write moves them to index_stats.
TEST_F(LessonIndexTest, TotalsWrittenInTheOldPlaceAreReadAndMoved) {
  Publish({{"s1", "pricing objection handled late"}, {"s2", "pricing page confused buyers"}});
  const std::string key = keys::Stats("acme");
  auto stats = database_->Get(storage::Table::kIndexStats, key);
  ASSERT_TRUE(stats.ok() && stats->has_value());
  storage::Database::Batch to_old_place;
  to_old_place.Put(storage::Table::kDocValues, key, **stats);
  to_old_place.Delete(storage::Table::kIndexStats, key);
  ASSERT_TRUE(database_->Write(to_old_place).ok());

  // A fresh index (a restarted server) over the old layout.
  index_ = std::make_unique<LessonIndex>(*database_);
  EXPECT_EQ(Matches("pricing").size(), 2u);
  Publish({{"s3", "pricing discount came too early"}});
  EXPECT_EQ(Matches("pricing").size(), 3u);
  auto moved = database_->Get(storage::Table::kIndexStats, key);
  ASSERT_TRUE(moved.ok() && moved->has_value());
  IndexStats totals;
  ASSERT_TRUE(totals.ParseFromString(**moved));
  EXPECT_EQ(totals.doc_count(), 3u);
  EXPECT_EQ(totals.next_doc(), 4u);
  auto old_place = database_->Get(storage::Table::kDocValues, key);
  ASSERT_TRUE(old_place.ok());
  EXPECT_FALSE(old_place->has_value());
}

}  // namespace
}  // namespace retro::index
