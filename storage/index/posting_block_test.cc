#include "storage/index/posting_block.h"

#include "gtest/gtest.h"

namespace retro::index {
namespace {

TEST(PostingBlockTest, RoundTripsDocsFrequenciesAndPositions) {
  std::vector<Posting> postings;
  for (uint32_t i = 0; i < kBlockSize; ++i) {
    Posting p;
    p.doc = 1000 + i * 7;
    p.tf = 1 + i % 3;
    p.length = 10 + i % 5;
    for (uint32_t k = 0; k < p.tf; ++k) p.positions.push_back(k * 4 + i % 2);
    postings.push_back(p);
  }
  std::string block = EncodeBlock(postings);
  BlockHeader header;
  ASSERT_TRUE(DecodeBlockHeader(block, 1000, &header));
  EXPECT_EQ(header.count, kBlockSize);
  EXPECT_EQ(header.last_doc, postings.back().doc);
  EXPECT_EQ(header.max_tf, 3u);
  EXPECT_EQ(header.min_length, 10u);
  std::vector<Posting> decoded;
  ASSERT_TRUE(DecodeBlock(block, 1000, true, &decoded));
  ASSERT_EQ(decoded.size(), postings.size());
  for (size_t i = 0; i < decoded.size(); ++i) {
    EXPECT_EQ(decoded[i].doc, postings[i].doc);
    EXPECT_EQ(decoded[i].tf, postings[i].tf);
    EXPECT_EQ(decoded[i].positions, postings[i].positions);
  }
  // Compact: small deltas take a byte each.
  EXPECT_LT(block.size(), kBlockSize * 6);
}

TEST(PostingBlockTest, RefusesTruncatedAndGarbageBlocks) {
  std::vector<Posting> postings(3);
  for (uint32_t i = 0; i < 3; ++i) {
    postings[i].doc = 5 + i;
    postings[i].tf = 1;
    postings[i].positions = {i};
  }
  std::string block = EncodeBlock(postings);
  std::vector<Posting> out;
  for (size_t cut = 0; cut < block.size(); ++cut) {
    out.clear();
    EXPECT_FALSE(DecodeBlock(block.substr(0, cut), 5, true, &out)) << cut;
  }
  out.clear();
  EXPECT_FALSE(DecodeBlock(std::string(20, '\xff'), 5, true, &out));
}

}  // namespace
}  // namespace retro::index
