#include "services/common/secrets.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
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
  // The per-thread context is reused: a second hash is not the first's.
  EXPECT_EQ(absl::BytesToHexString(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc"), digest);
  EXPECT_TRUE(ConstantTimeEquals("same", "same"));
  EXPECT_FALSE(ConstantTimeEquals("same", "sane"));
  EXPECT_FALSE(ConstantTimeEquals("same", "same-longer"));
}

TEST(SecretsTest, Sha256OnManyThreadsAtOnce) {
  // One digest context per thread: threads never share one.
  const std::string expected = Sha256("abc");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (Sha256("abc") != expected || Sha256("").size() != 32) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(IdsTest, TimeOrderedIdsIncreaseAndMatchIdPattern) {
  FakeClock clock;
  TimeOrderedIdGenerator ids(clock);
  std::string previous = ids.NewId();
  for (int i = 0; i < 50; ++i) {
    if (i % 10 == 0) clock.Advance(absl::Milliseconds(1));
    std::string next = ids.NewId();
    EXPECT_EQ(next.size(), 20u);
    EXPECT_TRUE(std::all_of(next.begin(), next.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    })) << next;
    // Within a millisecond as well as across them.
    EXPECT_GT(next, previous);
    previous = next;
  }
}

TEST(IdsTest, TimeOrderedIdsStayInOrderWhenTheClockGoesBack) {
  FakeClock clock;
  clock.Advance(absl::Seconds(10));
  TimeOrderedIdGenerator ids(clock);
  std::string before = ids.NewId();
  clock.Advance(-absl::Seconds(5));
  std::string after = ids.NewId();
  EXPECT_GT(after, before);
  EXPECT_EQ(after.substr(0, 12), before.substr(0, 12));  // Still the later millisecond.
}

TEST(IdsTest, TimeOrderedIdsStartEachMillisecondAtARandomCounter) {
  FakeClock clock;
  TimeOrderedIdGenerator ids(clock);
  std::vector<uint32_t> starts;
  for (int i = 0; i < 20; ++i) {
    clock.Advance(absl::Milliseconds(1));
    uint32_t start = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(ids.NewId().substr(12), &start));
    EXPECT_LT(start, uint32_t{1} << 31);  // Room to count up.
    starts.push_back(start);
  }
  // Drawn afresh each millisecond, not carried on: 20 draws below 2^31
  // that are equal or consecutive would mean they are not random.
  std::set<uint32_t> distinct(starts.begin(), starts.end());
  EXPECT_EQ(distinct.size(), starts.size());
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_NE(starts[i], starts[i - 1] + 1);
}

TEST(IdsTest, ConcurrentCallersGetDistinctIds) {
  FakeClock clock;  // Frozen: every id falls in the same millisecond.
  TimeOrderedIdGenerator ids(clock);
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& mine : made) {
    threads.emplace_back([&ids, &mine] {
      for (int i = 0; i < 1000; ++i) mine.push_back(ids.NewId());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& mine : made) {
    // Each caller's ids increase in the order it got them.
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(all.size(), 4000u);
}

}  // namespace
}  // namespace retro
