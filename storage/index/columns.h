// LessonIndex::Columns: an organization's doc values in memory, columnar
// and dictionary-encoded (about 60 bytes a lesson), for filters, facets,
// visibility and ranking over whole match sets. Internal to storage/index.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/database.h"
#include "storage/index/index_records.pb.h"
#include "storage/index/lesson_index.h"
#include "storage/index/write_pipeline.h"

namespace retro::index {

// Strings to small ids and back; id 0 is "".
class Dictionary {
 public:
  Dictionary() { strings_.push_back(""); }
  uint32_t Intern(const std::string& value);
  // 0 when absent (or empty).
  uint32_t Find(const std::string& value) const;
  const std::string& Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::vector<std::string> strings_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
};

// What search reads of every match (visibility, filters, facets, BM25),
// in one 32-byte, aligned record: two to a cache line, none across two.
struct alignas(32) DocColumn {
  uint32_t length = 0;
  int8_t outcome = 0;
  int8_t stage_reached = 0;
  int8_t kind = 0;
  int8_t visibility = 0;
  // Counts of the ranges in Columns::pool: reasons, then tags, then drivers.
  uint8_t reasons = 0;
  uint8_t tags = 0;
  uint8_t drivers = 0;
  int32_t votes = 0;
  uint32_t team = 0;
  uint32_t competitor = 0;
  uint32_t industry = 0;
  uint32_t pool_begin = 0;
};
static_assert(sizeof(DocColumn) == 32, "two doc columns to a cache line");

// What only some filters, sorts, trends and recurring lessons read.
struct DocColdColumn {
  int64_t publish_micros = 0;
  int32_t close_day = 0;
  uint32_t segment = 0;
  uint32_t session = 0;
};

// Memory for large arrays read at random (the doc values of a match set):
// 2 MiB-aligned and marked for transparent huge pages, so that a query
// touching a hundred thousand docs spread over a million does not miss the
// TLB on each (a page walk per doc, dearer still under virtualization).
// Small arrays come from aligned_alloc too.
void* AllocateLarge(size_t bytes, size_t alignment);
void FreeLarge(void* memory);

template <typename T>
struct LargeArrayAllocator {
  using value_type = T;
  LargeArrayAllocator() = default;
  template <typename U>
  LargeArrayAllocator(const LargeArrayAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(AllocateLarge(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, size_t) { FreeLarge(p); }
  template <typename U>
  bool operator==(const LargeArrayAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const LargeArrayAllocator<U>&) const {
    return false;
  }
};

template <typename T>
using LargeArray = std::vector<T, LargeArrayAllocator<T>>;

// The docs having one value of one field, ascending: a list while the
// value is rare, a bitmap (bit d for doc d) once it is frequent, when the
// bitmap is no larger than the list would be.
struct ValueDocs {
  std::vector<uint32_t> docs;  // While a list.
  LargeArray<uint64_t> bits;   // Once a bitmap.
  uint64_t count = 0;

  bool is_bitmap() const { return !bits.empty(); }
  // Adds doc (not below any added before; again is a no-op). Returns true
  // when this turned the list into a bitmap.
  bool Add(uint32_t doc, uint32_t next_doc);
};

// Fields whose values have ValueDocs. Enum fields are indexed by value
// (1 to 15; others are not counted as facets), the others by dictionary id.
enum ValueField : int {
  kOutcomeValues,
  kStageValues,
  kKindValues,
  kCompetitorValues,
  kIndustryValues,
  kReasonValues,
  kTagValues,
  kTeamValues,  // Visibility only, not a facet.
  kValueFields
};

struct LengthAndVotes {
  uint32_t length = 0;
  int32_t votes = 0;
};

struct LessonIndex::Columns {
  // Docs are numbered from 1; docs[doc - 1], cold[doc - 1].
  LargeArray<DocColumn> docs;
  LargeArray<DocColdColumn> cold;
  LargeArray<uint32_t> pool;
  // kMinHashes per doc, doc - 1 first: the low 16 bits of each minimum.
  LargeArray<uint16_t> minhash;
  // Facet and filter values (teams, competitors, reasons, tags...): few.
  Dictionary dictionary;
  // Sessions and user ids: many, never counted as facets.
  Dictionary people;

  // The same values inverted, for queries with many matches: facets
  // counted a value at a time against a bitmap of the matches, and
  // visibility as a bitmap, instead of reading every match's record.
  std::array<std::vector<ValueDocs>, kValueFields> value_docs;
  ValueDocs visible_to_all;  // Docs not restricted to a TEAM.
  // Docs by presenter or facilitator (people id).
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> driven;
  // Length and votes of each doc (doc - 1 first), for BM25 without the
  // record: side by side, as every match of a large match set needs both.
  LargeArray<LengthAndVotes> bm25;
  // Of the facet fields (not teams): values that are bitmaps, and docs in
  // the lists of the others. What counting every facet value costs.
  uint64_t bitmap_values = 0;
  uint64_t list_docs = 0;

  uint32_t next_doc() const { return static_cast<uint32_t>(docs.size()) + 1; }
  void Append(const DocValues& values);
  const DocColumn& Doc(uint32_t doc) const { return docs[doc - 1]; }
  const DocColdColumn& Cold(uint32_t doc) const { return cold[doc - 1]; }

 private:
  void AddValue(ValueField field, uint32_t id, uint32_t doc);
};

// A value an index write in flight puts (see OrgState), by key.
struct PendingIndexValue {
  uint64_t ticket = 0;  // Of the write that puts it.
  std::string key;
  std::string value;
};
using PendingIndexValues = absl::flat_hash_map<std::string, PendingIndexValue>;

// One organization's index: its doc values in memory, and its writes.
//
// Writes are pipelined (WritePipeline): each is built under write_mu (doc
// ids, postings merged into each term's last block, totals), then written
// in its turn without the lock, so the next write is built while the one
// before it syncs. A write being built must see what the writes in flight
// put in terms, postings and index_stats: until they are done, those
// values are read from pending_*, not RocksDB.
struct LessonIndex::OrgState {
  absl::Mutex write_mu;  // Serializes the building of index writes.
  WritePipeline pipeline;
  // Term key -> TermInfo; posting prefix -> the term's last block (key and
  // value); the totals.
  PendingIndexValues pending_terms ABSL_GUARDED_BY(write_mu);
  PendingIndexValues pending_last_blocks ABSL_GUARDED_BY(write_mu);
  std::optional<PendingIndexValue> pending_stats ABSL_GUARDED_BY(write_mu);
  // The pipeline's failures when the pending values were built.
  uint64_t pending_failures ABSL_GUARDED_BY(write_mu) = 0;

  absl::Mutex columns_mu;
  Columns columns ABSL_GUARDED_BY(columns_mu);
};

// Decoded postings of one term of one organization: doc ids and term
// frequencies, and the positions too when with_positions (doc i's are
// positions[starts[i]], tfs[i] of them).
struct DecodedPostings {
  uint64_t doc_freq = 0;  // The term's document frequency when decoded.
  bool with_positions = false;
  std::vector<uint32_t> docs;
  std::vector<uint32_t> tfs;
  std::vector<uint32_t> starts;
  std::vector<uint32_t> positions;

  size_t bytes() const {
    return (docs.size() + tfs.size() + starts.size() + positions.size()) * sizeof(uint32_t);
  }
};

// PostingCache: decoded postings of recently queried terms, within a byte
// budget (least recently used out first). Postings only grow, so an entry is
// current exactly while the term's document frequency is unchanged. An
// entry with positions serves doc-list lookups too. Thread-safe.
class PostingCache {
 public:
  explicit PostingCache(size_t budget_bytes) : budget_(budget_bytes) {}
  // The entry if it is still current for doc_freq.
  std::shared_ptr<const DecodedPostings> Get(const std::string& key, uint64_t doc_freq);
  void Put(const std::string& key, std::shared_ptr<const DecodedPostings> postings);
  size_t budget() const { return budget_; }

 private:
  struct Entry {
    std::shared_ptr<const DecodedPostings> postings;
    std::list<std::string>::iterator position;
  };
  const size_t budget_;
  absl::Mutex mu_;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // Most recent first.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// An organization's index totals (BM25's corpus statistics and the next
// doc id), rewritten with every indexed batch. They live in their own
// column family: in doc_values, which they shared until 2026-12-01, the
// one key rewritten by every batch made each of its files overlap all the
// others, so none could move down a level without being rewritten and
// recompressed. An index written before then has them in doc_values,
// where they are read (and *legacy set) until the next write moves them.
absl::StatusOr<std::optional<IndexStats>> ReadIndexStats(storage::Database& database,
                                                         const std::string& org_id,
                                                         bool* legacy = nullptr);

// The MinHash signature of a set of terms (deterministic across runs).
std::vector<uint32_t> MinHashOf(const std::vector<std::string>& terms);
std::vector<uint32_t> MinHashOf(const std::vector<absl::string_view>& terms);

// Lower-cased, trimmed form of free-text facet values (competitor,
// industry, segment) so that "Healthcare" and "healthcare " agree.
std::string NormalizeFacetValue(const std::string& value);

}  // namespace retro::index
