#include "services/common/secrets.h"

#include <set>

#include "gtest/gtest.h"
#include "services/common/ids.h"

namespace retro {
namespace {

TEST(SecretsTest, TokensAreRandomAndParseBack) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    TokenParts parts{RandomTokenId(), RandomSecret()};
    EXPECT_EQ(parts.secret.size(), 43u);  // 32 bytes, base64url, no padding.
    std::string token = FormatToken(parts);
    EXPECT_TRUE(seen.insert(token).second);
    auto parsed = ParseToken(token);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->token_id, parts.token_id);
    EXPECT_EQ(parsed->secret, parts.secret);
  }
  EXPECT_FALSE(ParseToken("Bearer abc").has_value());
  EXPECT_FALSE(ParseToken("rt_XYZ").has_value());
}

TEST(SecretsTest, Sha256KnownAnswerAndConstantTimeEquals) {
  std::string digest = Sha256("abc");
  ASSERT_EQ(digest.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(digest[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(digest[31]), 0xad);
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "sane"));
  EXPECT_FALSE(ConstantTimeEquals("same", "same-longer"));
}

TEST(IdsTest, TimeOrderedIdsIncreaseAndMatchIdPattern) {
  FakeClock clock;
  TimeOrderedIdGenerator ids(clock);
  std::string previous = ids.NewId();
  for (int i = 0; i < 50; ++i) {
    if (i % 10 == 0) clock.Advance(absl::Milliseconds(1));
    std::string next = ids.NewId();
    EXPECT_EQ(next.size(), 20u);
    if (i % 10 == 0) {
      EXPECT_GT(next, previous);
    }
    previous = next;
  }
}

}  // namespace
}  // namespace retro
