// PostingBlock: up to kBlockSize postings of one term, as stored in the
// "postings" column family under (organization, term, first doc id).
//
// Encoding (all integers LEB128 varints):
//   header: count, last_doc - first_doc, max_tf, min_length
//   doc ids: count deltas (the first is doc - first_doc, i.e. 0)
//   term frequencies: count values
//   positions: for each doc, tf position deltas
// The header is enough to skip a block (its doc range) or bound its best
// BM25 score (max_tf over min_length) without decoding the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace retro::index {

inline constexpr size_t kBlockSize = 128;
// More occurrences of one term in one lesson (at most 4,000 bytes) than
// this can only be corruption.
inline constexpr uint32_t kMaxTf = 100000;

struct Posting {
  uint32_t doc = 0;
  uint32_t tf = 0;
  uint32_t length = 0;  // Of the document, for the block's min_length.
  // Most words occur once or twice in a lesson: a few positions are kept
  // inline, without an allocation (no larger than a std::vector).
  absl::InlinedVector<uint32_t, 4> positions;
};

struct BlockHeader {
  uint32_t count = 0;
  uint32_t first_doc = 0;
  uint32_t last_doc = 0;
  uint32_t max_tf = 0;
  uint32_t min_length = 0;
};

void PutVarint(uint64_t value, std::string* out);
// Reads a varint at *pos; false when truncated or too long.
bool GetVarint(absl::string_view in, size_t* pos, uint64_t* value);

// Encodes postings sorted by doc id (at most kBlockSize).
std::string EncodeBlock(const std::vector<Posting>& postings);
// Decodes the header only; first_doc comes from the key.
bool DecodeBlockHeader(absl::string_view block, uint32_t first_doc, BlockHeader* header);
// Decodes everything; positions only when with_positions. Postings' length
// is left 0 (it lives in the doc values).
bool DecodeBlock(absl::string_view block, uint32_t first_doc, bool with_positions,
                 std::vector<Posting>* postings);

// Decodes doc ids and term frequencies only, appending to docs and tfs:
// what ranking needs, without a Posting (and its positions) per doc.
bool DecodeDocs(absl::string_view block, uint32_t first_doc, std::vector<uint32_t>* docs,
                std::vector<uint32_t>* tfs);

// Decodes everything into flat arrays, appending: doc ids, term
// frequencies, and for each doc the offset in positions of its tf
// positions. What phrases need, without a vector per posting.
bool DecodeFlat(absl::string_view block, uint32_t first_doc, std::vector<uint32_t>* docs,
                std::vector<uint32_t>* tfs, std::vector<uint32_t>* starts,
                std::vector<uint32_t>* positions);

}  // namespace retro::index
