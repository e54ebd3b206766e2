// libFuzzer target: the decoding of every kind of stored record, from
// corrupt bytes: posting blocks (our varint format), page tokens, event
// keys, and the protobuf records of the data directory. Decoding may
// refuse, never crash; what it accepts must survive an encode/decode
// round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "retro/v1/library_service.pb.h"
#include "retro/v1/resources.pb.h"
#include "services/common/page_token.h"
#include "storage/index/index_records.pb.h"
#include "storage/index/posting_block.h"
#include "storage/keys.h"
#include "storage/records.pb.h"

namespace {

bool SamePostings(const std::vector<retro::index::Posting>& a,
                  const std::vector<retro::index::Posting>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].doc != b[i].doc || a[i].tf != b[i].tf || a[i].positions != b[i].positions) {
      return false;
    }
  }
  return true;
}

void Blocks(absl::string_view bytes, uint32_t first_doc) {
  retro::index::BlockHeader header;
  (void)retro::index::DecodeBlockHeader(bytes, first_doc, &header);
  std::vector<uint32_t> docs, tfs;
  (void)retro::index::DecodeDocs(bytes, first_doc, &docs, &tfs);
  std::vector<retro::index::Posting> postings;
  if (!retro::index::DecodeBlock(bytes, first_doc, /*with_positions=*/true, &postings)) return;
  if (postings.empty() || postings.size() > retro::index::kBlockSize) return;
  for (size_t i = 1; i < postings.size(); ++i) {
    if (postings[i].doc <= postings[i - 1].doc) return;  // Not a block we would write.
  }
  for (const auto& p : postings) {
    if (p.tf != p.positions.size()) return;
  }
  std::vector<retro::index::Posting> again;
  const std::string encoded = retro::index::EncodeBlock(postings);
  if (!retro::index::DecodeBlock(encoded, postings.front().doc, true, &again)) std::abort();
  if (!SamePostings(postings, again)) std::abort();
}

template <typename Message>
void Parse(absl::string_view bytes) {
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  Message again;
  if (!again.ParseFromString(message.SerializeAsString())) std::abort();
}

}  // namespace

// Corrupt strings make protobuf log a line each; the fuzzer's output is for
// its own progress.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t kind = data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (kind % 14) {
    case 0:
      Blocks(bytes, 0);
      break;
    case 1:
      Blocks(bytes, data[1] * 1000u);
      break;
    case 2: {
      auto last = retro::DecodePageToken("fingerprint", bytes);
      if (last.ok() && !last->empty()) {
        auto again =
            retro::DecodePageToken("fingerprint", retro::EncodePageToken("fingerprint", *last));
        if (!again.ok() || *again != *last) std::abort();
      }
      break;
    }
    case 3:
      (void)retro::storage::keys::EventSequence(bytes);
      break;
    case 4:
      Parse<retro::storage::TokenRecord>(bytes);
      break;
    case 5:
      Parse<retro::storage::RequestRecord>(bytes);
      break;
    case 6:
      Parse<retro::index::IndexStats>(bytes);
      break;
    case 7:
      Parse<retro::index::TermInfo>(bytes);
      break;
    case 8:
      Parse<retro::index::DocValues>(bytes);
      break;
    case 9:
      Parse<retro::v1::Session>(bytes);
      break;
    case 10:
      Parse<retro::v1::Annotation>(bytes);
      break;
    case 11:
      Parse<retro::v1::Lesson>(bytes);
      break;
    case 12:
      Parse<retro::v1::SessionEvent>(bytes);
      break;
    case 13:
      Parse<retro::v1::ActionItem>(bytes);
      break;
  }
  return 0;
}
