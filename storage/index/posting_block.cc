#include "storage/index/posting_block.h"

#include <algorithm>
#include <functional>
#include <limits>

namespace retro::index {

void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool GetVarint(absl::string_view in, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *pos < in.size(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(in[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

std::string EncodeBlock(const std::vector<Posting>& postings) {
  std::string out;
  if (postings.empty()) return out;
  uint32_t first = postings.front().doc;
  uint32_t max_tf = 0;
  uint32_t min_length = std::numeric_limits<uint32_t>::max();
  for (const Posting& p : postings) {
    max_tf = std::max(max_tf, p.tf);
    min_length = std::min(min_length, p.length);
  }
  PutVarint(postings.size(), &out);
  PutVarint(postings.back().doc - first, &out);
  PutVarint(max_tf, &out);
  PutVarint(min_length, &out);
  uint32_t previous = first;
  for (const Posting& p : postings) {
    PutVarint(p.doc - previous, &out);
    previous = p.doc;
  }
  for (const Posting& p : postings) PutVarint(p.tf, &out);
  for (const Posting& p : postings) {
    uint32_t last = 0;
    for (uint32_t position : p.positions) {
      PutVarint(position - last, &out);
      last = position;
    }
  }
  return out;
}

namespace {

bool ReadHeader(absl::string_view block, size_t* pos, uint32_t first_doc, BlockHeader* header) {
  constexpr uint64_t kMax32 = std::numeric_limits<uint32_t>::max();
  uint64_t count, span, max_tf, min_length;
  if (!GetVarint(block, pos, &count) || !GetVarint(block, pos, &span) ||
      !GetVarint(block, pos, &max_tf) || !GetVarint(block, pos, &min_length)) {
    return false;
  }
  if (count == 0 || count > kBlockSize || span > kMax32 - first_doc || span + 1 < count ||
      max_tf == 0 || max_tf > kMaxTf || min_length > kMax32) {
    return false;
  }
  header->count = static_cast<uint32_t>(count);
  header->first_doc = first_doc;
  header->last_doc = first_doc + static_cast<uint32_t>(span);
  header->max_tf = static_cast<uint32_t>(max_tf);
  header->min_length = static_cast<uint32_t>(min_length);
  return true;
}

// Reads the doc ids and term frequencies after the header, checking them
// against it: the first doc is first_doc, each later one greater than the
// last, the last one last_doc, every tf in 1..max_tf. A corrupt block is
// refused rather than decoded into wrong, wrapped or unsorted values.
template <typename OnDoc, typename OnTf>
bool ReadDocsAndTfs(absl::string_view block, size_t* pos, const BlockHeader& header,
                    const OnDoc& on_doc, const OnTf& on_tf) {
  uint32_t doc = header.first_doc;
  for (uint32_t i = 0; i < header.count; ++i) {
    uint64_t delta;
    if (!GetVarint(block, pos, &delta)) return false;
    if ((i == 0) != (delta == 0) || delta > header.last_doc - doc) return false;
    doc += static_cast<uint32_t>(delta);
    on_doc(i, doc);
  }
  if (doc != header.last_doc) return false;
  for (uint32_t i = 0; i < header.count; ++i) {
    uint64_t tf;
    if (!GetVarint(block, pos, &tf) || tf == 0 || tf > header.max_tf) return false;
    on_tf(i, static_cast<uint32_t>(tf));
  }
  return true;
}

// Reads tf positions (delta-coded) into out.
bool ReadPositions(absl::string_view block, size_t* pos, uint32_t tf, uint32_t* out) {
  uint64_t position = 0;
  for (uint32_t k = 0; k < tf; ++k) {
    uint64_t delta;
    if (!GetVarint(block, pos, &delta)) return false;
    // Positions rise strictly (the first may be 0) and fit in 32 bits.
    if ((k > 0 && delta == 0) || delta > std::numeric_limits<uint32_t>::max() - position) {
      return false;
    }
    position += delta;
    out[k] = static_cast<uint32_t>(position);
  }
  return true;
}

}  // namespace

bool DecodeBlockHeader(absl::string_view block, uint32_t first_doc, BlockHeader* header) {
  size_t pos = 0;
  return ReadHeader(block, &pos, first_doc, header);
}

bool DecodeBlock(absl::string_view block, uint32_t first_doc, bool with_positions,
                 std::vector<Posting>* postings) {
  size_t pos = 0;
  BlockHeader header;
  if (!ReadHeader(block, &pos, first_doc, &header)) return false;
  size_t base = postings->size();
  postings->resize(base + header.count);
  if (!ReadDocsAndTfs(
          block, &pos, header, [&](uint32_t i, uint32_t doc) { (*postings)[base + i].doc = doc; },
          [&](uint32_t i, uint32_t tf) { (*postings)[base + i].tf = tf; })) {
    return false;
  }
  if (!with_positions) return true;
  for (uint32_t i = 0; i < header.count; ++i) {
    Posting& p = (*postings)[base + i];
    p.positions.resize(p.tf);
    if (!ReadPositions(block, &pos, p.tf, p.positions.data())) return false;
  }
  return pos == block.size();
}

bool DecodeFlat(absl::string_view block, uint32_t first_doc, std::vector<uint32_t>* docs,
                std::vector<uint32_t>* tfs, std::vector<uint32_t>* starts,
                std::vector<uint32_t>* positions) {
  size_t pos = 0;
  BlockHeader header;
  if (!ReadHeader(block, &pos, first_doc, &header)) return false;
  const size_t base = docs->size();
  if (!ReadDocsAndTfs(
          block, &pos, header, [&](uint32_t, uint32_t doc) { docs->push_back(doc); },
          [&](uint32_t, uint32_t tf) { tfs->push_back(tf); })) {
    return false;
  }
  for (size_t i = base; i < docs->size(); ++i) {
    starts->push_back(static_cast<uint32_t>(positions->size()));
    const size_t at = positions->size();
    positions->resize(at + (*tfs)[i]);
    if (!ReadPositions(block, &pos, (*tfs)[i], positions->data() + at)) return false;
  }
  return pos == block.size();
}

bool DecodeDocs(absl::string_view block, uint32_t first_doc, std::vector<uint32_t>* docs,
                std::vector<uint32_t>* tfs) {
  size_t pos = 0;
  BlockHeader header;
  if (!ReadHeader(block, &pos, first_doc, &header)) return false;
  return ReadDocsAndTfs(
      block, &pos, header, [&](uint32_t, uint32_t doc) { docs->push_back(doc); },
      [&](uint32_t, uint32_t tf) { tfs->push_back(tf); });
}

}  // namespace retro::index
