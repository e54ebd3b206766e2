// LessonIndex over a real RocksDB: the parts whose bugs only show with more
// lessons than one posting block holds.
#include "storage/index/lesson_index.h"

#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
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

}  // namespace
}  // namespace retro::index
