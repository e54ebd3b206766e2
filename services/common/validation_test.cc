#include "services/common/validation.h"

#include "gtest/gtest.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/page_token.h"

namespace retro {
namespace {

TEST(ValidationTest, Ids) {
  EXPECT_TRUE(CheckId("id", "acme-2").ok());
  EXPECT_EQ(ViolatedField(CheckId("team_id", "")), "team_id");
  EXPECT_FALSE(CheckId("id", "Acme").ok());
  EXPECT_FALSE(CheckId("id", "a_b").ok());
  EXPECT_FALSE(CheckId("id", std::string(64, 'a')).ok());
  EXPECT_TRUE(CheckId("id", std::string(63, 'a')).ok());
}

TEST(ValidationTest, TextLimitsUtf8AndControlCharacters) {
  EXPECT_TRUE(CheckText("t", "Lost on price\n\tto a cheaper rival — café", 200, false).ok());
  absl::Status too_long = CheckText("annotation.text", std::string(4001, 'x'), 4000, false);
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ViolatedField(too_long), "annotation.text");
  EXPECT_TRUE(CheckText("t", std::string(4000, 'x'), 4000, false).ok());
  EXPECT_FALSE(CheckText("t", std::string("a\0b", 3), 10, false).ok());
  EXPECT_FALSE(CheckText("t", "bell\a", 10, false).ok());
  EXPECT_FALSE(CheckText("t", "\xc3\x28", 10, false).ok());      // Bad continuation.
  EXPECT_FALSE(CheckText("t", "\xc0\xaf", 10, false).ok());      // Overlong.
  EXPECT_FALSE(CheckText("t", "\xed\xa0\x80", 10, false).ok());  // Surrogate.
  EXPECT_FALSE(CheckText("t", "\xc2\x85", 10, false).ok());      // C1 control.
  EXPECT_FALSE(CheckText("t", "", 10, false).ok());
  EXPECT_TRUE(CheckText("t", "", 10, true).ok());
  EXPECT_FALSE(CheckText("t", "two\nlines", 10, false, true).ok());
}

TEST(ValidationTest, Tags) {
  google::protobuf::RepeatedPtrField<std::string> tags;
  for (int i = 0; i < 16; ++i) *tags.Add() = "tag" + std::to_string(i);
  EXPECT_TRUE(CheckTags("annotation.tags", tags).ok());
  *tags.Add() = "one-too-many";
  EXPECT_EQ(ViolatedField(CheckTags("annotation.tags", tags)), "annotation.tags");
  tags.Clear();
  *tags.Add() = std::string(65, 'x');
  EXPECT_EQ(ViolatedField(CheckTags("annotation.tags", tags)), "annotation.tags[0]");
  tags.Clear();
  *tags.Add() = "price";
  *tags.Add() = "price";
  EXPECT_EQ(ViolatedField(CheckTags("annotation.tags", tags)), "annotation.tags[1]");
}

TEST(ValidationTest, RequestIds) {
  EXPECT_TRUE(CheckRequestId("request_id", "").ok());
  EXPECT_TRUE(CheckRequestId("request_id", "3f2b6c1e-8a7d-4f7e-9c1a-1b2c3d4e5f60").ok());
  EXPECT_FALSE(CheckRequestId("request_id", "has space").ok());
  EXPECT_FALSE(CheckRequestId("request_id", std::string(65, 'a')).ok());
}

TEST(NamesTest, ParsesAndRefuses) {
  auto ids = ParseName("name", "sessions/s1/annotations/a-2", {"sessions", "annotations"});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"s1", "a-2"}));
  EXPECT_FALSE(ParseName("name", "sessions/s1", {"sessions", "annotations"}).ok());
  EXPECT_FALSE(ParseName("name", "sessions/S1", {"sessions"}).ok());
  EXPECT_FALSE(ParseName("name", "teams/s1", {"sessions"}).ok());
  EXPECT_FALSE(ParseName("name", "sessions/../x", {"sessions"}).ok());
  EXPECT_EQ(ViolatedField(ParseName("parent", "", {"sessions"}).status()), "parent");
  EXPECT_EQ(AnnotationName("s1", "a1"), "sessions/s1/annotations/a1");
}

TEST(PageTokenTest, RoundTripsAndRefusesOtherQueries) {
  std::string token = EncodePageToken("sessions?state=LIVE", "s-17");
  EXPECT_EQ(*DecodePageToken("sessions?state=LIVE", token), "s-17");
  EXPECT_EQ(ViolatedField(DecodePageToken("sessions?state=DRAFT", token).status()), "page_token");
  EXPECT_FALSE(DecodePageToken("q", "not a token!").ok());
  EXPECT_EQ(*DecodePageToken("q", ""), "");
  EXPECT_EQ(*EffectivePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*EffectivePageSize(5000), kMaxPageSize);
  EXPECT_FALSE(EffectivePageSize(-1).ok());
}

}  // namespace
}  // namespace retro
