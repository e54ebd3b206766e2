#include "storage/index/analyzer.h"

#include <random>

#include "gtest/gtest.h"
#include "storage/index/query.h"

namespace retro::index {
namespace {

std::vector<std::string> Terms(absl::string_view text) {
  std::vector<std::string> terms;
  for (const Token& t : Analyzer::English().Analyze(text)) terms.push_back(t.term);
  return terms;
}

TEST(AnalyzerTest, BreaksFoldsStripsAccentsAndStems) {
  EXPECT_EQ(Terms("Pricing was PRICED too high"),
            (std::vector<std::string>{"price", "price", "too", "high"}));
  EXPECT_EQ(Terms("Café résumé NAÏVE"), (std::vector<std::string>{"cafe", "resum", "naiv"}));
  EXPECT_EQ(Terms("negotiations, negotiated; negotiating!"),
            (std::vector<std::string>{"negoti", "negoti", "negoti"}));
  // Apostrophes, straight or curly, stay inside the word.
  EXPECT_EQ(Terms("the customer's CFO"), Terms("the customer’s CFO"));
  EXPECT_EQ(Terms("2026 budget"), (std::vector<std::string>{"2026", "budget"}));
}

TEST(AnalyzerTest, StopWordsDropButKeepTheirPositionsAndOffsets) {
  std::string text = "Lost the deal to a rival";
  std::vector<Token> tokens = Analyzer::English().Analyze(text);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0].term, "lost");
  EXPECT_EQ(tokens[1].term, "deal");
  EXPECT_EQ(tokens[1].position, 2u);
  EXPECT_EQ(tokens[2].term, "rival");
  EXPECT_EQ(tokens[2].position, 5u);
  EXPECT_EQ(text.substr(tokens[2].begin, tokens[2].end - tokens[2].begin), "rival");
  // Byte offsets survive multi-byte characters.
  std::string accented = "Él négocie";
  std::vector<Token> t2 = Analyzer::English().Analyze(accented);
  ASSERT_EQ(t2.size(), 2u);
  EXPECT_EQ(accented.substr(t2[1].begin, t2[1].end - t2[1].begin), "négocie");
}

std::string Show(absl::string_view text, const analyzer_internal::Spans& spans) {
  std::string out;
  for (const auto& [begin, end] : spans) {
    out += "[" + std::string(text.substr(begin, end - begin)) + "]";
  }
  return out;
}

// The ASCII path replaces ICU for most lessons: it must find exactly the
// words ICU finds, on the cases the rules single out and on random text
// over every ASCII character.
TEST(AnalyzerTest, AsciiWordBreaksAgreeWithIcu) {
  using analyzer_internal::AsciiWordSpans;
  using analyzer_internal::IcuWordSpans;
  analyzer_internal::Spans ascii, icu;
  for (absl::string_view text :
       {"can't", "e.g. U.S.A.", "3.5 1,000 1;2 1:2 v2.0", "a.1 1.a a..b a.", "x:y a_b __ _ a_ _1",
        "'quoted' \"double\" don''t", "end.\r\nnext\tword", "1.5.7 a.b.c a1.5 1a.b",
        "ask@acme.com @ a@ @1 1@2 a@b.c", "1.5.7.9.11,13;15 a.b.c.d.e.f_g1.2"}) {
    ASSERT_TRUE(AsciiWordSpans(text, &ascii));
    IcuWordSpans(text, &icu);
    EXPECT_EQ(Show(text, ascii), Show(text, icu)) << text;
    EXPECT_EQ(ascii, icu) << text;  // The byte offsets too, for highlighting.
  }
  EXPECT_EQ(Show("can't e.g. 1,000 x:y", (AsciiWordSpans("can't e.g. 1,000 x:y", &ascii), ascii)),
            "[can't][e.g][1,000][x][y]");

  std::mt19937 random(20261201);
  const std::string rule_characters = "aZq09_.',;:@\"- \t\r\n";
  std::uniform_int_distribution<int> length(0, 24), any(0, 127), pick(0, 9);
  std::uniform_int_distribution<size_t> rule(0, rule_characters.size() - 1);
  for (int i = 0; i < 100000; ++i) {
    std::string text;
    for (int n = length(random); n > 0; --n) {
      text.push_back(pick(random) < 7 ? rule_characters[rule(random)]
                                      : static_cast<char>(any(random)));
    }
    ASSERT_TRUE(AsciiWordSpans(text, &ascii));
    IcuWordSpans(text, &icu);
    ASSERT_EQ(Show(text, ascii), Show(text, icu)) << "text: '" << text << "'";
    ASSERT_EQ(ascii, icu) << "text: '" << text << "'";
    // One byte past ASCII anywhere, in the 8-byte chunks or the tail,
    // sends the text to ICU.
    if (!text.empty()) {
      std::string other = text;
      other[std::uniform_int_distribution<size_t>(0, text.size() - 1)(random)] =
          static_cast<char>(0x80 + any(random));
      ASSERT_FALSE(AsciiWordSpans(other, &ascii)) << "text: '" << other << "'";
    }
  }

  // Anything else goes to ICU.
  EXPECT_FALSE(AsciiWordSpans("caf\xC3\xA9", &ascii));
  EXPECT_FALSE(AsciiWordSpans("a long enough ascii prefix, then caf\xC3\xA9", &ascii));
}

TEST(QueryTest, PhrasesExclusionsPrefixesAndLenientSyntax) {
  ParsedQuery q = ParseQuery("price \"executive sponsor\" -discount negoti*", Analyzer::English());
  ASSERT_EQ(q.clauses.size(), 4u);
  EXPECT_EQ(q.clauses[0].terms, (std::vector<std::string>{"price"}));
  EXPECT_TRUE(q.clauses[1].phrase);
  EXPECT_EQ(q.clauses[1].terms, (std::vector<std::string>{"execut", "sponsor"}));
  EXPECT_TRUE(q.clauses[2].excluded);
  EXPECT_TRUE(q.clauses[3].prefix);
  EXPECT_EQ(q.clauses[3].words[0], "negoti");

  ParsedQuery gap = ParseQuery("\"lost to a rival\"", Analyzer::English());
  ASSERT_EQ(gap.clauses.size(), 1u);
  EXPECT_EQ(gap.clauses[0].offsets, (std::vector<uint32_t>{0, 3}));

  // Unbalanced quote, lone dash, lone star, only stop words: no error.
  EXPECT_EQ(ParseQuery("\"budget holder", Analyzer::English()).clauses.size(), 1u);
  EXPECT_EQ(ParseQuery("- price", Analyzer::English()).clauses.size(), 1u);
  EXPECT_FALSE(ParseQuery("- price", Analyzer::English()).clauses[0].excluded);
  EXPECT_TRUE(ParseQuery("* the of", Analyzer::English()).clauses.empty());
  EXPECT_TRUE(ParseQuery("", Analyzer::English()).clauses.empty());
}

}  // namespace
}  // namespace retro::index
