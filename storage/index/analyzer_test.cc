#include "storage/index/analyzer.h"

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
