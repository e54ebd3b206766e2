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

  // The flat form holds the same, appended after what was there.
  std::vector<uint32_t> docs{1}, tfs{1}, starts{0}, positions{9};
  ASSERT_TRUE(DecodeFlat(block, 1000, &docs, &tfs, &starts, &positions));
  ASSERT_EQ(docs.size(), postings.size() + 1);
  for (size_t i = 0; i < postings.size(); ++i) {
    EXPECT_EQ(docs[i + 1], postings[i].doc);
    EXPECT_EQ(tfs[i + 1], postings[i].tf);
    std::vector<uint32_t> own(positions.begin() + starts[i + 1],
                              positions.begin() + starts[i + 1] + tfs[i + 1]);
    EXPECT_EQ(own,
              std::vector<uint32_t>(postings[i].positions.begin(), postings[i].positions.end()));
  }
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
    std::vector<uint32_t> docs, tfs, starts, positions;
    EXPECT_FALSE(DecodeFlat(block.substr(0, cut), 5, &docs, &tfs, &starts, &positions)) << cut;
  }
  out.clear();
  EXPECT_FALSE(DecodeBlock(std::string(20, '\xff'), 5, true, &out));
}

TEST(PostingBlockTest, RefusesBlocksThatDisagreeWithTheirHeaderOrWrapAround) {
  auto block = [](std::vector<uint64_t> varints) {
    std::string out;
    for (uint64_t v : varints) PutVarint(v, &out);
    return out;
  };
  std::vector<Posting> out;
  std::vector<uint32_t> docs, tfs;
  // count 1, span 0, max_tf 7, min_length 17, doc delta 0, tf 7, then
  // positions whose deltas wrap around 2^64 (found by record_fuzz).
  const std::string wrapped =
      block({1, 0, 7, 17, 0, 7, 4, 50, 51, 108, 0x8000000000000001ull, 17, 108});
  EXPECT_FALSE(DecodeBlock(wrapped, 0, true, &out));
  // Positions that do not rise.
  EXPECT_FALSE(DecodeBlock(block({1, 0, 2, 1, 0, 2, 5, 0}), 0, true, &out));
  // Two docs, the second not after the first.
  EXPECT_FALSE(DecodeDocs(block({2, 3, 1, 1, 0, 0, 1, 1}), 0, &docs, &tfs));
  // The last doc is not the header's.
  EXPECT_FALSE(DecodeDocs(block({2, 3, 1, 1, 0, 2, 1, 1}), 0, &docs, &tfs));
  // A tf above the header's max_tf.
  EXPECT_FALSE(DecodeDocs(block({1, 0, 1, 1, 0, 2}), 0, &docs, &tfs));
  // More docs than the span can hold.
  EXPECT_FALSE(DecodeDocs(block({3, 1, 1, 1, 0, 1, 1, 1, 1, 1}), 0, &docs, &tfs));
  // And a block as written still decodes.
  docs.clear();
  tfs.clear();
  EXPECT_TRUE(DecodeDocs(block({2, 3, 1, 1, 0, 3, 1, 1}), 10, &docs, &tfs));
  EXPECT_EQ(docs, (std::vector<uint32_t>{10, 13}));
}

}  // namespace
}  // namespace retro::index
