#include "storage/index/lesson_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "storage/index/analyzer.h"
#include "storage/index/columns.h"
#include "storage/index/index_keys.h"
#include "storage/index/posting_block.h"
#include "storage/keys.h"
#include "storage/record_io.h"
#include "storage/status_macros.h"

namespace retro::index {

using storage::Database;
using storage::Table;

uint32_t Dictionary::Intern(const std::string& value) {
  if (value.empty()) return 0;
  auto [it, inserted] = ids_.try_emplace(value, static_cast<uint32_t>(strings_.size()));
  if (inserted) strings_.push_back(value);
  return it->second;
}

uint32_t Dictionary::Find(const std::string& value) const {
  auto it = ids_.find(value);
  return it == ids_.end() ? 0 : it->second;
}

std::string NormalizeFacetValue(const std::string& value) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
}

bool ValueDocs::Add(uint32_t doc, uint32_t next_doc) {
  if (is_bitmap()) {
    const size_t word = doc >> 6;
    if (word >= bits.size()) bits.resize(word + 1, 0);
    const uint64_t bit = uint64_t{1} << (doc & 63);
    if ((bits[word] & bit) == 0) ++count;
    bits[word] |= bit;
    return false;
  }
  if (!docs.empty() && docs.back() == doc) return false;
  docs.push_back(doc);
  ++count;
  // A bitmap over next_doc docs takes next_doc / 8 bytes, the list 4 a doc.
  if (docs.size() < 64 || docs.size() * 32 < next_doc) return false;
  bits.assign(next_doc / 64 + 1, 0);
  for (uint32_t d : docs) bits[d >> 6] |= uint64_t{1} << (d & 63);
  std::vector<uint32_t>().swap(docs);
  return true;
}

void LessonIndex::Columns::AddValue(ValueField field, uint32_t id, uint32_t doc) {
  if (id == 0) return;  // No value: never counted, never visible by it.
  std::vector<ValueDocs>& by_id = value_docs[field];
  if (id >= by_id.size()) by_id.resize(id + 1);
  ValueDocs& values = by_id[id];
  const uint64_t before = values.count;
  const bool was_bitmap = values.is_bitmap();
  const bool promoted = values.Add(doc, next_doc());
  if (field == kTeamValues) return;
  if (promoted) {
    ++bitmap_values;
    list_docs -= before;  // The list's docs but this one, which were counted.
  } else if (!was_bitmap && values.count > before) {
    ++list_docs;
  }
}

void LessonIndex::Columns::Append(const DocValues& values) {
  DocColumn doc;
  doc.length = values.length();
  doc.outcome = static_cast<int8_t>(values.outcome());
  doc.stage_reached = static_cast<int8_t>(values.stage_reached());
  doc.kind = static_cast<int8_t>(values.kind());
  doc.visibility = static_cast<int8_t>(values.visibility());
  doc.votes = values.votes();
  doc.team = dictionary.Intern(values.team_id());
  doc.competitor = dictionary.Intern(values.competitor());
  doc.industry = dictionary.Intern(values.industry());
  DocColdColumn& cold_doc = cold.emplace_back();
  cold_doc.close_day = values.close_day();
  cold_doc.publish_micros = values.publish_micros();
  cold_doc.segment = dictionary.Intern(values.segment());
  cold_doc.session = people.Intern(values.session_id());
  doc.pool_begin = static_cast<uint32_t>(pool.size());
  auto add = [&](const google::protobuf::RepeatedPtrField<std::string>& values, Dictionary& from,
                 uint8_t* count) {
    size_t n = std::min<size_t>(values.size(), 255);
    for (size_t i = 0; i < n; ++i) pool.push_back(from.Intern(values[i]));
    *count = static_cast<uint8_t>(n);
  };
  add(values.reasons(), dictionary, &doc.reasons);
  add(values.tags(), dictionary, &doc.tags);
  add(values.drivers(), people, &doc.drivers);
  const uint32_t id = next_doc();
  auto enum_value = [](int8_t value) { return value > 0 && value < 16 ? value : 0; };
  AddValue(kOutcomeValues, enum_value(doc.outcome), id);
  AddValue(kStageValues, enum_value(doc.stage_reached), id);
  AddValue(kKindValues, enum_value(doc.kind), id);
  AddValue(kCompetitorValues, doc.competitor, id);
  AddValue(kIndustryValues, doc.industry, id);
  AddValue(kTeamValues, doc.team, id);
  for (uint8_t i = 0; i < doc.reasons; ++i) AddValue(kReasonValues, pool[doc.pool_begin + i], id);
  for (uint8_t i = 0; i < doc.tags; ++i) {
    AddValue(kTagValues, pool[doc.pool_begin + doc.reasons + i], id);
  }
  for (uint8_t i = 0; i < doc.drivers; ++i) {
    std::vector<uint32_t>& docs = driven[pool[doc.pool_begin + doc.reasons + doc.tags + i]];
    if (docs.empty() || docs.back() != id) docs.push_back(id);
  }
  if (doc.visibility != retro::v1::TEAM) visible_to_all.Add(id, id + 1);
  bm25.push_back({doc.length, doc.votes});
  const std::string& low16 = values.minhash_low16();
  for (int i = 0; i < kMinHashes; ++i) {
    uint16_t h = 0xffff;
    if (low16.size() == 2 * kMinHashes) {
      h = static_cast<uint16_t>(static_cast<uint8_t>(low16[2 * i]) |
                                static_cast<uint8_t>(low16[2 * i + 1]) << 8);
    } else if (i < values.minhash_size()) {
      h = static_cast<uint16_t>(values.minhash(i));
    }
    minhash.push_back(h);
  }
  docs.push_back(doc);
}

namespace {

// Below this many lessons a batch is analysed on the calling thread: a
// published session's few dozen lessons are not worth a thread.
constexpr size_t kParallelAnalysisMinLessons = 1000;

uint64_t Fnv1a(absl::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

namespace {

// One lesson's part of an indexed batch, built on an analysis thread.
struct LessonPart {
  // Its distinct terms, in order of first occurrence, each with its
  // posting and the written form of that first occurrence. The postings'
  // doc is the lesson's place in the batch until GatherTerms gives them
  // their doc ids.
  std::vector<std::pair<std::string, Posting>> terms;
  std::vector<std::string> first_forms;
  uint32_t length = 0;
  std::string doc_values;
};

// What a share of a batch's terms adds to the index: each term's TermInfo
// and its posting blocks, as (key, value) to put.
struct TermWrites {
  std::vector<std::pair<std::string, std::string>> terms;
  std::vector<std::pair<std::string, std::string>> blocks;
  // Each term's posting prefix and its last block's place in blocks.
  std::vector<std::pair<std::string, size_t>> last_blocks;
};

// What the index writes in flight put, read before RocksDB; null when
// none can be in flight.
struct PendingReads {
  const PendingIndexValues* terms = nullptr;
  const PendingIndexValues* last_blocks = nullptr;
};

const PendingIndexValue* FindPending(const PendingIndexValues* values, const std::string& key) {
  if (values == nullptr) return nullptr;
  auto it = values->find(key);
  return it == values->end() ? nullptr : &it->second;
}

// Gathers the postings of the terms in share (of shares, by hash) from
// every part, in doc order (taking them from the parts, parts[i] as doc
// docs[i]), and encodes them: each term's last stored block is filled
// before new ones start. Reads the database and pending only, so shares
// may run on different threads.
absl::Status GatherTerms(Database& database, const PendingReads& pending, const std::string& org_id,
                         const std::vector<uint32_t>& docs, std::vector<LessonPart>& parts,
                         size_t share, size_t shares, TermWrites* out) {
  absl::flat_hash_map<std::string, std::vector<Posting>> postings;
  absl::flat_hash_map<std::string, std::string> display;
  const absl::Hash<absl::string_view> hash;
  for (LessonPart& part : parts) {
    for (size_t t = 0; t < part.terms.size(); ++t) {
      auto& [term, posting] = part.terms[t];
      if (shares > 1 && hash(term) % shares != share) continue;
      auto [it, added] = postings.try_emplace(term);
      // The written form of the term's first occurrence, for corrections.
      if (added) display.try_emplace(term, std::move(part.first_forms[t]));
      it->second.push_back(std::move(posting));
      it->second.back().doc = docs[it->second.back().doc];
    }
  }
  for (auto& [term, added] : postings) {
    std::string term_key = keys::Term(org_id, term);
    TermInfo info;
    if (const PendingIndexValue* pending_info = FindPending(pending.terms, term_key)) {
      if (!info.ParseFromString(pending_info->value)) {
        return absl::InternalError(absl::StrCat("unreadable pending term '", term, "'"));
      }
    } else {
      ASSIGN_OR_RETURN(std::optional<TermInfo> info_record,
                       storage::GetRecord<TermInfo>(database, Table::kTerms, term_key));
      info = info_record.value_or(TermInfo());
    }
    info.set_doc_freq(info.doc_freq() + added.size());
    if (info.display().empty()) info.set_display(display[term]);
    out->terms.emplace_back(std::move(term_key), info.SerializeAsString());

    // Fill the term's last block before starting new ones.
    std::vector<Posting> pending_postings;
    std::string prefix = keys::PostingPrefix(org_id, term);
    std::optional<std::string> last_key;
    std::optional<std::string> block;
    if (const PendingIndexValue* pending_block = FindPending(pending.last_blocks, prefix)) {
      last_key = pending_block->key;
      block = pending_block->value;
    } else {
      ASSIGN_OR_RETURN(last_key, database.LastKeyWithPrefix(Table::kPostings, prefix));
      if (last_key) {
        ASSIGN_OR_RETURN(block, database.Get(Table::kPostings, *last_key));
      }
    }
    if (last_key) {
      uint32_t first_doc = keys::BlockFirstDoc(*last_key);
      BlockHeader header;
      if (!block || !DecodeBlockHeader(*block, first_doc, &header)) {
        return absl::DataLossError(absl::StrCat("unreadable posting block of '", term, "'"));
      }
      if (header.count < kBlockSize) {
        if (!DecodeBlock(*block, first_doc, /*with_positions=*/true, &pending_postings)) {
          return absl::DataLossError(absl::StrCat("unreadable posting block of '", term, "'"));
        }
        for (Posting& p : pending_postings) p.length = header.min_length;
      }
    }
    for (Posting& p : added) pending_postings.push_back(std::move(p));
    for (size_t begin = 0; begin < pending_postings.size(); begin += kBlockSize) {
      size_t end = std::min(pending_postings.size(), begin + kBlockSize);
      std::vector<Posting> chunk(std::make_move_iterator(pending_postings.begin() + begin),
                                 std::make_move_iterator(pending_postings.begin() + end));
      out->blocks.emplace_back(keys::Posting(org_id, term, chunk.front().doc), EncodeBlock(chunk));
    }
    out->last_blocks.emplace_back(std::move(prefix), out->blocks.size() - 1);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<IndexStats>> ReadIndexStats(Database& database,
                                                         const std::string& org_id, bool* legacy) {
  // The old place first: the write that moves the totals adds the new key
  // and deletes the old one atomically, so whenever it lands between the
  // two reads, one of them still sees a copy (reading the new place first
  // could miss both).
  ASSIGN_OR_RETURN(
      std::optional<IndexStats> old_place,
      storage::GetRecord<IndexStats>(database, Table::kDocValues, keys::Stats(org_id)));
  if (legacy != nullptr) *legacy = old_place.has_value();
  ASSIGN_OR_RETURN(
      std::optional<IndexStats> stats,
      storage::GetRecord<IndexStats>(database, Table::kIndexStats, keys::Stats(org_id)));
  return stats ? stats : old_place;
}

std::vector<uint32_t> MinHashOf(const std::vector<std::string>& terms) {
  return MinHashOf(std::vector<absl::string_view>(terms.begin(), terms.end()));
}

namespace {

// Lowers each signature[i] to the i-th hash of every term (SplitMix of the
// term's base hash, offset per i). The kMinHashes lanes are independent,
// so the compiler runs them as vectors where it may use AVX-512's 64-bit
// multiply: the loop is built twice, and LowerToHashes picks the build
// the CPU can run.
__attribute__((always_inline)) inline void LowerToHashesLoop(const uint64_t* bases, size_t count,
                                                             uint32_t* signature) {
  for (size_t t = 0; t < count; ++t) {
    for (int i = 0; i < kMinHashes; ++i) {
      uint32_t h = static_cast<uint32_t>(
          SplitMix(bases[t] + static_cast<uint64_t>(i) * 0x632be59bd9b4e019ull));
      signature[i] = signature[i] < h ? signature[i] : h;
    }
  }
}

void LowerToHashesGeneric(const uint64_t* bases, size_t count, uint32_t* signature) {
  LowerToHashesLoop(bases, count, signature);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512dq"))) void LowerToHashesAvx512(const uint64_t* bases,
                                                                     size_t count,
                                                                     uint32_t* signature) {
  LowerToHashesLoop(bases, count, signature);
}
#endif

void LowerToHashes(const uint64_t* bases, size_t count, uint32_t* signature) {
  using Lower = void (*)(const uint64_t*, size_t, uint32_t*);
  static const Lower lower = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) {
      return &LowerToHashesAvx512;
    }
#endif
    return &LowerToHashesGeneric;
  }();
  lower(bases, count, signature);
}

}  // namespace

std::vector<uint32_t> MinHashOf(const std::vector<absl::string_view>& terms) {
  std::vector<uint64_t> bases;
  bases.reserve(terms.size());
  for (absl::string_view term : terms) bases.push_back(Fnv1a(term));
  std::vector<uint32_t> signature(kMinHashes, 0xffffffffu);
  LowerToHashes(bases.data(), bases.size(), signature.data());
  return signature;
}

void* AllocateLarge(size_t bytes, size_t alignment) {
  constexpr size_t kHugePage = size_t{2} << 20;
  // Also tells GCC that the rounded size below cannot pass the largest
  // object (-Walloc-size-larger-than sees vector growth paths otherwise).
  if (bytes > static_cast<size_t>(PTRDIFF_MAX) - kHugePage) throw std::bad_alloc();
  const bool huge = bytes >= kHugePage;
  alignment = huge ? kHugePage : std::max(alignment, alignof(std::max_align_t));
  // aligned_alloc wants a size that is a multiple of the alignment.
  const size_t rounded = (std::max<size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
  void* memory = std::aligned_alloc(alignment, rounded);
  if (memory == nullptr) throw std::bad_alloc();
  // Advice only: without huge pages (disabled, or none free) the memory
  // works the same, with more TLB misses.
  if (huge) madvise(memory, rounded, MADV_HUGEPAGE);
  return memory;
}

void FreeLarge(void* memory) { std::free(memory); }

std::shared_ptr<const DecodedPostings> PostingCache::Get(const std::string& key,
                                                         uint64_t doc_freq) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.postings->doc_freq != doc_freq) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.position);
  return it->second.postings;
}

void PostingCache::Put(const std::string& key, std::shared_ptr<const DecodedPostings> postings) {
  size_t size = postings->bytes() + key.size() + 64;
  if (size > budget_) return;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    bytes_ -= it->second.postings->bytes() + key.size() + 64;
    lru_.erase(it->second.position);
    entries_.erase(it);
  }
  while (bytes_ + size > budget_ && !lru_.empty()) {
    auto last = entries_.find(lru_.back());
    bytes_ -= last->second.postings->bytes() + last->first.size() + 64;
    entries_.erase(last);
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_[key] = Entry{std::move(postings), lru_.begin()};
  bytes_ += size;
}

LessonIndex::LessonIndex(Database& database, size_t posting_cache_bytes)
    : database_(database), posting_cache_(std::make_unique<PostingCache>(posting_cache_bytes)) {}
LessonIndex::~LessonIndex() = default;

LessonIndex::OrgState& LessonIndex::StateFor(const std::string& org_id) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<OrgState>& state = orgs_[org_id];
  if (!state) state = std::make_unique<OrgState>();
  return *state;
}

namespace {

int32_t CloseDay(const retro::v1::Date& date) {
  if (date.year() == 0) return 0;
  absl::CivilDay day(date.year(), date.month(), date.day());
  return static_cast<int32_t>(day - absl::CivilDay(1970, 1, 1));
}

DocValues ValuesOf(const retro::v1::Lesson& lesson, uint32_t length,
                   const std::vector<std::string>& drivers) {
  DocValues values;
  values.set_length(length);
  values.set_outcome(lesson.deal().outcome());
  values.set_stage_reached(lesson.deal().stage_reached());
  values.set_kind(lesson.kind());
  values.set_visibility(lesson.visibility());
  values.set_votes(lesson.vote_count());
  values.set_close_day(CloseDay(lesson.deal().close_date()));
  values.set_publish_micros(lesson.publish_time().seconds() * 1000000 +
                            lesson.publish_time().nanos() / 1000);
  values.set_team_id(lesson.team_id());
  values.set_competitor(NormalizeFacetValue(lesson.deal().competitor()));
  values.set_industry(NormalizeFacetValue(lesson.deal().industry()));
  values.set_segment(NormalizeFacetValue(lesson.deal().segment()));
  values.set_session_id(lesson.session());
  for (const std::string& reason : lesson.deal().reasons()) values.add_reasons(reason);
  if (!lesson.deal().primary_reason().empty() &&
      std::find(lesson.deal().reasons().begin(), lesson.deal().reasons().end(),
                lesson.deal().primary_reason()) == lesson.deal().reasons().end()) {
    values.add_reasons(lesson.deal().primary_reason());
  }
  for (const std::string& tag : lesson.tags()) values.add_tags(tag);
  for (const std::string& driver : drivers) values.add_drivers(driver);
  return values;
}

}  // namespace

struct LessonIndex::AnalyzedLessons {
  std::vector<LessonPart> parts;
  // Each lesson serialized without its name, when asked for.
  std::vector<std::string> unnamed;
};

void LessonIndex::AnalyzeLessons(const std::vector<const retro::v1::Lesson*>& lessons,
                                 bool serialize_unnamed, AnalyzedLessons* analyzed) {
  const Analyzer& analyzer = Analyzer::English();
  // Each lesson's own part: its words (word breaks, case folding,
  // Snowball), its postings, its doc values record and, for a new lesson,
  // its stored form. This is most of indexing's CPU and needs nothing from
  // the other lessons or the index, so a large batch (a rebuild, a bulk
  // import) does it on two threads, and none of it holds the write lock.
  analyzed->parts.assign(lessons.size(), LessonPart());
  analyzed->unnamed.assign(serialize_unnamed ? lessons.size() : 0, std::string());
  auto analyze = [&](size_t begin, size_t end) {
    absl::flat_hash_map<absl::string_view, size_t> by_term;  // Index in part.terms.
    std::vector<absl::string_view> terms;
    for (size_t i = begin; i < end; ++i) {
      const retro::v1::Lesson& lesson = *lessons[i];
      LessonPart& part = analyzed->parts[i];
      const std::vector<Token> tokens = analyzer.Analyze(lesson.text());
      part.length = static_cast<uint32_t>(tokens.size());
      part.terms.reserve(tokens.size());
      part.first_forms.reserve(tokens.size());
      by_term.clear();
      for (const Token& token : tokens) {
        auto [it, added] = by_term.try_emplace(token.term, part.terms.size());
        if (added) {
          Posting& posting = part.terms.emplace_back(token.term, Posting()).second;
          posting.doc = static_cast<uint32_t>(i);
          posting.length = part.length;
          part.first_forms.push_back(token.folded);
        }
        Posting& posting = part.terms[it->second].second;
        ++posting.tf;
        posting.positions.push_back(token.position);
      }
      std::vector<std::string> drivers(lesson.facilitators().begin(), lesson.facilitators().end());
      if (!lesson.presenter().empty()) drivers.push_back(lesson.presenter());
      DocValues values = ValuesOf(lesson, part.length, drivers);
      terms.clear();
      for (const auto& [term, posting] : part.terms) terms.push_back(term);
      std::string low16;
      for (uint32_t h : MinHashOf(terms)) {
        low16.push_back(static_cast<char>(h & 0xff));
        low16.push_back(static_cast<char>((h >> 8) & 0xff));
      }
      values.set_minhash_low16(std::move(low16));
      part.doc_values = values.SerializeAsString();
      if (serialize_unnamed) analyzed->unnamed[i] = lesson.SerializeAsString();
    }
  };
  if (lessons.size() >= kParallelAnalysisMinLessons) {
    const size_t half = lessons.size() / 2;
    std::thread helper(analyze, half, lessons.size());
    analyze(0, half);
    helper.join();
  } else {
    analyze(0, lessons.size());
  }
}

absl::Status LessonIndex::IndexAnalyzed(const std::string& org_id,
                                        const std::vector<uint32_t>& docs,
                                        AnalyzedLessons& analyzed, IndexStats* stats,
                                        Database::Batch& batch, OrgState* pipeline,
                                        uint64_t ticket) {
  std::vector<LessonPart>& parts = analyzed.parts;
  for (size_t i = 0; i < docs.size(); ++i) {
    LessonPart& part = parts[i];
    stats->set_doc_count(stats->doc_count() + 1);
    stats->set_total_length(stats->total_length() + part.length);
    stats->set_next_doc(std::max(stats->next_doc(), docs[i] + 1));
    batch.Put(Table::kDocValues, keys::Doc(org_id, docs[i]), std::move(part.doc_values));
  }
  // The postings by term: a large batch's terms in two shares, gathered
  // and encoded on two threads.
  const size_t shares = docs.size() >= kParallelAnalysisMinLessons ? 2 : 1;
  std::vector<TermWrites> writes(shares);
  std::vector<absl::Status> gathered(shares);
  PendingReads pending;
  if (pipeline != nullptr) {
    pipeline->write_mu.AssertHeld();
    pending.terms = &pipeline->pending_terms;
    pending.last_blocks = &pipeline->pending_last_blocks;
  }
  auto gather = [&](size_t share) {
    gathered[share] =
        GatherTerms(database_, pending, org_id, docs, parts, share, shares, &writes[share]);
  };
  if (shares > 1) {
    std::thread helper(gather, 1);
    gather(0);
    helper.join();
  } else {
    gather(0);
  }
  for (size_t share = 0; share < shares; ++share) RETURN_IF_ERROR(gathered[share]);
  std::string stats_value = stats->SerializeAsString();
  // For the writes built while this one is in flight: copies, taken
  // before the values move into the batch.
  if (pipeline != nullptr) {
    for (TermWrites& share : writes) {
      for (const auto& [key, value] : share.terms) {
        pipeline->pending_terms[key] = PendingIndexValue{ticket, key, value};
      }
      for (const auto& [prefix, last] : share.last_blocks) {
        const auto& [key, value] = share.blocks[last];
        pipeline->pending_last_blocks[prefix] = PendingIndexValue{ticket, key, value};
      }
    }
    pipeline->pending_stats = PendingIndexValue{ticket, keys::Stats(org_id), stats_value};
  }
  for (TermWrites& share : writes) {
    for (auto& [key, value] : share.terms) {
      batch.Put(Table::kTerms, std::move(key), std::move(value));
    }
    for (auto& [key, value] : share.blocks) {
      batch.Put(Table::kPostings, std::move(key), std::move(value));
    }
  }
  batch.Put(Table::kIndexStats, keys::Stats(org_id), std::move(stats_value));
  return absl::OkStatus();
}

absl::Status LessonIndex::WriteWithLessons(const std::string& org_id,
                                           std::vector<retro::v1::Lesson>* lessons,
                                           Database::Batch batch) {
  // The analysis and the serialization first, outside the organization's
  // write lock, so that writers of one organization overlap them with each
  // other's builds and syncs. The lessons' names wait for their doc ids.
  std::vector<const retro::v1::Lesson*> pointers;
  pointers.reserve(lessons->size());
  for (retro::v1::Lesson& lesson : *lessons) {
    lesson.clear_name();
    pointers.push_back(&lesson);
  }
  AnalyzedLessons analyzed;
  AnalyzeLessons(pointers, /*serialize_unnamed=*/true, &analyzed);

  OrgState& state = StateFor(org_id);
  // Should anything below throw (bad_alloc, a thread that cannot start),
  // the ticket still ends its turn, as a failure (what its build left
  // pending may be half done), or every later write of the organization
  // would wait for it forever.
  struct TurnGuard {
    WritePipeline* pipeline = nullptr;
    uint64_t ticket = 0;
    ~TurnGuard() {
      if (pipeline == nullptr) return;
      pipeline->AwaitTurn(ticket);
      pipeline->Done(ticket, /*failed=*/true);
    }
  } guard;
  absl::Status built;
  {
    absl::MutexLock write_lock(&state.write_mu);
    guard.ticket = StartPipelinedWrite(state);
    guard.pipeline = &state.pipeline;
    built = BuildWrite(org_id, state, guard.ticket, analyzed, lessons, batch);
  }
  // Built or not, the write takes its turn, so that the ones after it
  // have theirs.
  absl::Status written = WriteInTurn(state, guard.ticket, built.ok() ? &batch : nullptr);
  guard.pipeline = nullptr;
  // What this write left pending is in RocksDB now: unless another write
  // is being built (it drops what is done as it starts), drop it here, so
  // that an organization's last write does not keep its copies.
  if (state.write_mu.TryLock()) {
    const WritePipeline::Begun progress = state.pipeline.Progress();
    DropDonePending(state, progress.done_below, progress.failures);
    state.write_mu.Unlock();
  }
  return built.ok() ? written : built;
}

uint64_t LessonIndex::StartPipelinedWrite(OrgState& state) {
  const WritePipeline::Begun begun = state.pipeline.Begin();
  DropDonePending(state, begun.done_below, begun.failures);
  return begun.ticket;
}

void LessonIndex::DropDonePending(OrgState& state, uint64_t done_below, uint64_t failures) {
  if (state.pending_failures != failures) {
    // A write failed: what is pending may be built on it, and the writes
    // that put it fail in their turn.
    state.pending_terms.clear();
    state.pending_last_blocks.clear();
    state.pending_stats.reset();
    state.pending_failures = failures;
  }
  // What the writes that are done put is in RocksDB (or nowhere): read it
  // there. A value that a later write puts again carries that write's
  // ticket, and stays.
  auto done = [&](const auto& entry) { return entry.second.ticket < done_below; };
  absl::erase_if(state.pending_terms, done);
  absl::erase_if(state.pending_last_blocks, done);
  if (state.pending_stats && state.pending_stats->ticket < done_below) {
    state.pending_stats.reset();
  }
}

absl::Status LessonIndex::WriteInTurn(OrgState& state, uint64_t ticket,
                                      const Database::Batch* batch) {
  const bool sound = state.pipeline.AwaitTurn(ticket);
  absl::Status written;
  if (batch != nullptr) {
    written = sound ? database_.Write(*batch)
                    : absl::UnavailableError(
                          "an earlier write to the library's index failed, and this one was "
                          "built on it; nothing of it was written: retry");
  }
  state.pipeline.Done(ticket, /*failed=*/batch != nullptr && sound && !written.ok());
  return written;
}

absl::Status LessonIndex::BuildWrite(const std::string& org_id, OrgState& state, uint64_t ticket,
                                     AnalyzedLessons& analyzed,
                                     std::vector<retro::v1::Lesson>* lessons,
                                     Database::Batch& batch) {
  static_assert(retro::v1::Lesson::kNameFieldNumber == 1,
                "the stored lesson is its name, then the rest, serialized in field order");
  constexpr char kLessonNameTag = (retro::v1::Lesson::kNameFieldNumber << 3) | 2;  // Bytes.
  IndexStats stats;
  if (state.pending_stats) {
    // A write in flight moves the totals on (and out of the old place).
    if (!stats.ParseFromString(state.pending_stats->value)) {
      return absl::InternalError("unreadable pending index totals");
    }
  } else {
    bool legacy_stats = false;
    ASSIGN_OR_RETURN(std::optional<IndexStats> stored,
                     ReadIndexStats(database_, org_id, &legacy_stats));
    // Moved out of doc_values (see ReadIndexStats) by this write.
    if (legacy_stats) batch.Delete(Table::kDocValues, keys::Stats(org_id));
    stats = stored.value_or(IndexStats());
  }
  if (stats.next_doc() == 0) stats.set_next_doc(1);
  std::vector<uint32_t> docs;
  docs.reserve(lessons->size());
  uint32_t doc = stats.next_doc();
  for (size_t i = 0; i < lessons->size(); ++i) {
    retro::v1::Lesson& lesson = (*lessons)[i];
    lesson.set_name(absl::StrCat("lessons/", doc));
    // Fields serialize in number order, so the name (field 1) in front of
    // the rest is exactly the whole lesson serialized.
    const std::string& rest = analyzed.unnamed[i];
    std::string stored_lesson;
    stored_lesson.reserve(1 + 5 + lesson.name().size() + rest.size());
    stored_lesson.push_back(kLessonNameTag);
    PutVarint(lesson.name().size(), &stored_lesson);
    stored_lesson += lesson.name();
    stored_lesson += rest;
    batch.Put(Table::kLessons, keys::Doc(org_id, doc), std::move(stored_lesson));
    docs.push_back(doc++);
  }
  return IndexAnalyzed(org_id, docs, analyzed, &stats, batch, &state, ticket);
}

absl::Status LessonIndex::Rebuild(const std::function<void(uint64_t, uint64_t)>& progress) {
  // Which organizations have lessons, and how many in all.
  std::map<std::string, uint64_t> orgs;
  uint64_t total = 0;
  RETURN_IF_ERROR(
      database_.Scan(Table::kLessons, "", "", [&](absl::string_view key, absl::string_view) {
        ++orgs[std::string(key.substr(0, key.find('\0')))];
        ++total;
        return true;
      }));
  uint64_t done = 0;
  progress(done, total);
  for (const auto& entry : orgs) {
    // Not a structured binding: lambdas below capture it, which C++17
    // allows only for plain variables.
    const std::string& org_id = entry.first;
    OrgState& state = StateFor(org_id);
    absl::MutexLock write_lock(&state.write_mu);
    // The writes in flight go first; no more begin while the lock is held,
    // and what they left pending is all done.
    state.pipeline.Drain();
    const WritePipeline::Begun drained = state.pipeline.Progress();
    DropDonePending(state, drained.done_below, drained.failures);
    Database::Batch clear;
    std::string begin = keys::TermPrefix(org_id);
    std::string end = storage::keys::PrefixEnd(begin);
    clear.DeleteRange(Table::kPostings, begin, end);
    clear.DeleteRange(Table::kTerms, begin, end);
    clear.DeleteRange(Table::kDocValues, begin, end);
    clear.Delete(Table::kIndexStats, keys::Stats(org_id));
    RETURN_IF_ERROR(database_.Write(clear));
    {
      absl::MutexLock lock(&state.columns_mu);
      state.columns = Columns();
    }
    IndexStats stats;
    stats.set_next_doc(1);
    std::vector<retro::v1::Lesson> chunk;
    absl::Status chunk_status;
    auto flush = [&]() -> absl::Status {
      if (chunk.empty()) return absl::OkStatus();
      std::vector<uint32_t> docs;
      std::vector<const retro::v1::Lesson*> pointers;
      for (const retro::v1::Lesson& lesson : chunk) {
        uint32_t doc = 0;
        absl::string_view id = absl::string_view(lesson.name()).substr(sizeof("lessons/") - 1);
        for (char c : id) doc = doc * 10 + static_cast<uint32_t>(c - '0');
        docs.push_back(doc);
        pointers.push_back(&lesson);
      }
      AnalyzedLessons analyzed;
      AnalyzeLessons(pointers, /*serialize_unnamed=*/false, &analyzed);
      Database::Batch batch;
      RETURN_IF_ERROR(IndexAnalyzed(org_id, docs, analyzed, &stats, batch));
      RETURN_IF_ERROR(database_.Write(batch));
      done += chunk.size();
      progress(done, total);
      chunk.clear();
      return absl::OkStatus();
    };
    // Keys end in a binary doc id: scan raw, not with ScanRecords.
    RETURN_IF_ERROR(
        database_.Scan(Table::kLessons, keys::DocPrefix(org_id), "",
                       [&](absl::string_view, absl::string_view value) {
                         retro::v1::Lesson& lesson = chunk.emplace_back();
                         if (!lesson.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                           chunk_status = absl::DataLossError("unreadable lesson");
                           return false;
                         }
                         if (chunk.size() >= 5000) {
                           chunk_status = flush();
                           if (!chunk_status.ok()) return false;
                         }
                         return true;
                       }));
    RETURN_IF_ERROR(chunk_status);
    RETURN_IF_ERROR(flush());
  }
  return absl::OkStatus();
}

absl::Status LessonIndex::Refresh(const std::string& org_id, OrgState& state) {
  ASSIGN_OR_RETURN(std::optional<IndexStats> stats, ReadIndexStats(database_, org_id));
  uint32_t next_doc = stats ? stats->next_doc() : 1;
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    if (state.columns.next_doc() >= next_doc) return absl::OkStatus();
  }
  absl::MutexLock lock(&state.columns_mu);
  uint32_t from = state.columns.next_doc();
  if (from >= next_doc) return absl::OkStatus();
  absl::Status parse_status;
  RETURN_IF_ERROR(database_.Scan(
      Table::kDocValues, keys::DocPrefix(org_id), from > 1 ? keys::Doc(org_id, from - 1) : "",
      [&](absl::string_view key, absl::string_view value) {
        uint32_t doc = keys::DocOf(key);
        if (doc >= next_doc) return false;
        if (doc != state.columns.next_doc()) {
          parse_status = absl::DataLossError(absl::StrCat("doc values skip doc ", doc));
          return false;
        }
        DocValues values;
        if (!values.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_status = absl::DataLossError(absl::StrCat("unreadable doc values of ", doc));
          return false;
        }
        state.columns.Append(values);
        return true;
      }));
  return parse_status;
}

}  // namespace retro::index
