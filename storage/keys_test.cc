#include "storage/keys.h"

#include "gtest/gtest.h"

namespace retro::storage::keys {
namespace {

TEST(KeysTest, EventKeysSortBySequence) {
  std::string a = Event("acme", "s1", 9);
  std::string b = Event("acme", "s1", 10);
  std::string c = Event("acme", "s1", 256);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(EventSequence(c), 256u);
  EXPECT_EQ(EventSequence(Event("acme", "s1", ~0ull)), ~0ull);
}

TEST(KeysTest, OneSessionPrefixNeverCoversAnother) {
  std::string prefix = SessionChildPrefix("acme", "s1");
  EXPECT_NE(Child("acme", "s1", "a").rfind(prefix, 0), std::string::npos);
  EXPECT_EQ(Child("acme", "s10", "a").rfind(prefix, 0), std::string::npos);
  EXPECT_EQ(Child("acme-2", "s1", "a").rfind(SessionPrefix("acme"), 0), std::string::npos);
}

TEST(KeysTest, PrefixEnd) {
  EXPECT_EQ(PrefixEnd("ab"), "ac");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff", 1)), "");
}

}  // namespace
}  // namespace retro::storage::keys
