// LessonIndex::Search and GetLesson: query execution over the stored
// postings and the in-memory doc values.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <type_traits>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "storage/index/analyzer.h"
#include "storage/index/columns.h"
#include "storage/index/index_keys.h"
#include "storage/index/lesson_index.h"
#include "storage/index/posting_block.h"
#include "storage/index/query.h"
#include "storage/record_io.h"
#include "storage/status_macros.h"

namespace retro::index {

using storage::Database;
using storage::Table;

namespace {

constexpr size_t kMaxPrefixExpansions = 64;
constexpr size_t kSnippetBytes = 240;
// BM25 by rank in the match bitmap visits every posting of a term (a few
// nanoseconds each); seeking each match in the postings costs a search per
// match. Rank wins unless the term has many more docs than the matches
// (a common word beside a rare one).
constexpr size_t kRankScoringMaxRatio = 8;

// An allocator whose vectors leave the elements they grow by
// uninitialized, for arrays that are sized and then filled by index: for
// a common word's hundreds of thousands of matches, zeroing them first
// (and faulting their pages in to do it) was a tenth of the query.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) {}  // NOLINT: as std::allocator.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible<U>::value) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
template <typename T>
using FilledVector = std::vector<T, UninitializedAllocator<T>>;

// A term's postings for one query: docs ascending, with their term
// frequencies; positions only for the docs a phrase's words all share.
struct TermPostings {
  std::string term;
  double idf = 0;
  std::shared_ptr<const DecodedPostings> decoded;

  const std::vector<uint32_t>& docs() const { return decoded->docs; }
  const std::vector<uint32_t>& tfs() const { return decoded->tfs; }
};

// Docs that match one clause, with the terms that matched (for scoring).
struct ClauseMatch {
  // The docs matched, ascending: a clause of one term (a word, a
  // corrected word, a prefix with one expansion) has its postings' own list
  // (the largest lists are a word's, and not copied); others', in docs.
  const std::vector<uint32_t>& matched() const { return one_term ? *one_term : docs; }
  std::vector<uint32_t> docs;
  const std::vector<uint32_t>* one_term = nullptr;
  std::vector<const TermPostings*> terms;
  // A phrase's only: term_tfs[i][j] is the frequency of terms[i] in
  // docs[j], found while matching positions, so that scoring need not
  // look each match up again in every word's postings.
  std::vector<std::vector<uint32_t>> term_tfs;
};

size_t EditDistance(absl::string_view a, absl::string_view b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    size_t best = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

// 1 + kVoteBoost * ln(1 + votes), from a table for the usual counts.
double VoteBoost(int32_t votes) {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (size_t v = 0; v < t.size(); ++v)
      t[v] = 1 + kVoteBoost * std::log1p(static_cast<double>(v));
    return t;
  }();
  if (votes <= 0) return 1.0;
  if (votes < static_cast<int32_t>(table.size())) return table[votes];
  return 1 + kVoteBoost * std::log1p(static_cast<double>(votes));
}

// The first index at or after from whose doc is not below target (or
// docs.size()). Gallops: exponential steps, then a binary search, so
// walking a long list in big strides costs log of the stride, not the
// stride, and small steps stay cheap.
inline size_t Seek(const uint32_t* docs, size_t n, size_t from, uint32_t target) {
  // Walking two lists of similar sizes, the target is usually a step or
  // two away.
  for (int steps = 0; steps < 4; ++steps, ++from) {
    if (from >= n || docs[from] >= target) return from;
  }
  size_t below = from - 1;  // docs[below] < target.
  size_t step = 1;
  while (below + step < n && docs[below + step] < target) {
    below += step;
    step *= 2;
  }
  const size_t end = std::min(n, below + step + 1);
  return static_cast<size_t>(std::lower_bound(docs + below + 1, docs + end, target) - docs);
}

inline size_t Seek(const std::vector<uint32_t>& docs, size_t from, uint32_t target) {
  return Seek(docs.data(), docs.size(), from, target);
}

// The docs of the shorter list that the longer one has, seeking in the
// longer: proportional to the shorter list when the two differ a lot.
std::vector<uint32_t> Intersect(const std::vector<uint32_t>& shorter,
                                const std::vector<uint32_t>& longer) {
  std::vector<uint32_t> out;
  if (longer.size() / 16 < shorter.size()) {  // Similar sizes: a plain merge.
    std::set_intersection(shorter.begin(), shorter.end(), longer.begin(), longer.end(),
                          std::back_inserter(out));
    return out;
  }
  size_t at = 0;
  for (uint32_t doc : shorter) {
    at = Seek(longer, at, doc);
    if (at == longer.size()) break;
    if (longer[at] == doc) out.push_back(doc);
  }
  return out;
}

// The union of sorted lists, sorted, without duplicates. Large unions go
// through a bitmap over the doc ids: linear, where sorting is not.
std::vector<uint32_t> Union(const std::vector<const std::vector<uint32_t>*>& lists) {
  size_t total = 0;
  uint32_t max_doc = 0;
  for (const auto* list : lists) {
    total += list->size();
    if (!list->empty()) max_doc = std::max(max_doc, list->back());
  }
  std::vector<uint32_t> out;
  if (lists.size() == 1) return *lists[0];
  if (total < 4096 || total * 16 < max_doc / 64) {
    out.reserve(total);
    for (const auto* list : lists) out.insert(out.end(), list->begin(), list->end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  std::vector<uint64_t> bits(max_doc / 64 + 1);
  for (const auto* list : lists) {
    for (uint32_t doc : *list) bits[doc >> 6] |= uint64_t{1} << (doc & 63);
  }
  out.reserve(total);
  for (size_t word = 0; word < bits.size(); ++word) {
    for (uint64_t w = bits[word]; w != 0; w &= w - 1) {
      out.push_back(static_cast<uint32_t>(word * 64 + __builtin_ctzll(w)));
    }
  }
  return out;
}

// The docs in every one of the sorted lists (at least one), shortest list
// first so the running intersection is small from the start.
std::vector<uint32_t> IntersectAll(std::vector<const std::vector<uint32_t>*> lists) {
  std::sort(lists.begin(), lists.end(),
            [](const auto* a, const auto* b) { return a->size() < b->size(); });
  std::vector<uint32_t> docs = *lists[0];
  for (size_t i = 1; i < lists.size() && !docs.empty(); ++i) docs = Intersect(docs, *lists[i]);
  return docs;
}

class QueryRun {
 public:
  QueryRun(Database& database, PostingCache& cache, const std::string& org, uint64_t doc_count,
           double avg_length)
      : database_(database),
        cache_(cache),
        org_(org),
        doc_count_(doc_count),
        avg_length_(avg_length) {}

  // The term's doc ids and frequencies (cached per query and across
  // queries); null when not in the index.
  absl::StatusOr<const TermPostings*> Load(const std::string& term) {
    auto it = loaded_.find(term);
    if (it != loaded_.end()) return it->second.get();
    ASSIGN_OR_RETURN(
        std::optional<TermInfo> info,
        storage::GetRecord<TermInfo>(database_, Table::kTerms, keys::Term(org_, term)));
    if (!info || info->doc_freq() == 0) return nullptr;
    auto postings = std::make_unique<TermPostings>();
    postings->term = term;
    double df = static_cast<double>(info->doc_freq());
    postings->idf = std::log(1.0 + (static_cast<double>(doc_count_) - df + 0.5) / (df + 0.5));
    std::string cache_key = keys::Term(org_, term);
    postings->decoded = cache_.Get(cache_key, info->doc_freq());
    if (postings->decoded == nullptr) {
      auto decoded = std::make_shared<DecodedPostings>();
      decoded->doc_freq = info->doc_freq();
      bool corrupt = false;
      RETURN_IF_ERROR(database_.Scan(Table::kPostings, keys::PostingPrefix(org_, term), "",
                                     [&](absl::string_view key, absl::string_view value) {
                                       corrupt = !DecodeDocs(value, keys::BlockFirstDoc(key),
                                                             &decoded->docs, &decoded->tfs);
                                       return !corrupt;
                                     }));
      if (corrupt) return absl::DataLossError(absl::StrCat("unreadable postings of '", term, "'"));
      postings->decoded = decoded;
      cache_.Put(cache_key, std::move(decoded));
    }
    const TermPostings* raw = postings.get();
    loaded_[term] = std::move(postings);
    return raw;
  }

  // The term's postings with their positions, for a phrase whose words
  // are all in docs (ascending). When docs are a good part of the term's,
  // or the whole term decoded would take at most a sixteenth of the cache,
  // all of them are decoded and cached: the next phrase with the word (the
  // common words of phrases come back, "economic buyer", "champion's
  // influence") reads no block. Otherwise only the blocks holding one of
  // docs are: the others are skipped on their header, so a phrase pays for
  // the docs that have all its words, not for every doc with its commonest
  // word.
  absl::StatusOr<std::shared_ptr<const DecodedPostings>> Positions(
      const TermPostings& term, const std::vector<uint32_t>& docs) {
    if (term.decoded->with_positions) return term.decoded;
    const std::string cache_key = keys::Term(org_, term.term);
    if (auto cached = cache_.Get(cache_key, term.decoded->doc_freq);
        cached != nullptr && cached->with_positions) {
      return cached;
    }
    // Docs, frequencies and starts, and a position or so each.
    const size_t full_bytes = term.docs().size() * 4 * sizeof(uint32_t);
    const bool all = docs.size() * 4 >= term.docs().size() || full_bytes <= cache_.budget() / 16;
    auto out = std::make_shared<DecodedPostings>();
    out->doc_freq = term.decoded->doc_freq;
    out->with_positions = true;
    bool corrupt = false;
    RETURN_IF_ERROR(database_.Scan(Table::kPostings, keys::PostingPrefix(org_, term.term), "",
                                   [&](absl::string_view key, absl::string_view value) {
                                     const uint32_t first_doc = keys::BlockFirstDoc(key);
                                     if (!all) {
                                       BlockHeader header;
                                       if (!DecodeBlockHeader(value, first_doc, &header)) {
                                         corrupt = true;
                                         return false;
                                       }
                                       auto next = std::lower_bound(docs.begin(), docs.end(),
                                                                    header.first_doc);
                                       if (next == docs.end())
                                         return false;  // Past the last doc wanted.
                                       if (*next > header.last_doc)
                                         return true;  // None of them in this block.
                                     }
                                     corrupt = !DecodeFlat(value, first_doc, &out->docs, &out->tfs,
                                                           &out->starts, &out->positions);
                                     return !corrupt;
                                   }));
    if (corrupt) {
      return absl::DataLossError(absl::StrCat("unreadable postings of '", term.term, "'"));
    }
    if (all) cache_.Put(cache_key, out);
    return out;
  }

  // The term's postings with positions if they are at hand whole (read
  // with positions earlier, by this query or a recent one); null if not.
  std::shared_ptr<const DecodedPostings> CachedPositions(const TermPostings& term) {
    if (term.decoded->with_positions) return term.decoded;
    auto cached = cache_.Get(keys::Term(org_, term.term), term.decoded->doc_freq);
    return cached != nullptr && cached->with_positions ? cached : nullptr;
  }

  // Dictionary terms starting with prefix, most frequent first.
  absl::StatusOr<std::vector<std::string>> Expand(const std::string& prefix) {
    std::vector<std::pair<uint64_t, std::string>> found;
    std::string key_prefix = keys::Term(org_, prefix);
    size_t skip = keys::TermPrefix(org_).size();
    RETURN_IF_ERROR(database_.Scan(
        Table::kTerms, key_prefix, "", [&](absl::string_view key, absl::string_view value) {
          TermInfo info;
          info.ParseFromArray(value.data(), static_cast<int>(value.size()));
          found.emplace_back(info.doc_freq(), std::string(key.substr(skip)));
          return found.size() < 4 * kMaxPrefixExpansions;
        }));
    std::sort(found.begin(), found.end(), std::greater<>());
    std::vector<std::string> terms;
    for (size_t i = 0; i < found.size() && i < kMaxPrefixExpansions; ++i) {
      terms.push_back(found[i].second);
    }
    return terms;
  }

  // The most frequent dictionary term within the allowed edit distance of
  // a word that is not in the dictionary: 1 for 5+ letters, 2 for 9+
  // (Levenshtein, so a swap of two letters counts as 2).
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Correct(
      const std::string& term, const std::string& word) {
    size_t letters = word.size();
    if (letters < 5) return std::nullopt;
    size_t limit = letters >= 9 ? 2 : 1;
    std::optional<std::pair<std::string, std::string>> best;
    uint64_t best_df = 0;
    size_t skip = keys::TermPrefix(org_).size();
    RETURN_IF_ERROR(
        database_.Scan(Table::kTerms, keys::TermPrefix(org_), "",
                       [&](absl::string_view key, absl::string_view value) {
                         absl::string_view candidate = key.substr(skip);
                         TermInfo info;
                         info.ParseFromArray(value.data(), static_cast<int>(value.size()));
                         // Close to the indexed stem, or to the word as it was written.
                         if (EditDistance(term, candidate, limit) <= limit ||
                             EditDistance(word, info.display(), limit) <= limit) {
                           if (info.doc_freq() > best_df) {
                             best_df = info.doc_freq();
                             best = std::make_pair(std::string(candidate), info.display());
                           }
                         }
                         return true;
                       }));
    return best;
  }

  double avg_length() const { return avg_length_; }

 private:
  Database& database_;
  PostingCache& cache_;
  const std::string& org_;
  uint64_t doc_count_;
  double avg_length_;
  std::map<std::string, std::unique_ptr<TermPostings>> loaded_;
};

// Bit doc of a bitmap over doc ids (bit d of word d / 64).
inline bool HasBit(const std::vector<uint64_t>& bits, uint32_t doc) {
  return ((bits[doc >> 6] >> (doc & 63)) & 1) != 0;
}

// Sets match->docs to the docs (ascending) containing the phrase, every
// term at its offset from the first, and match->term_tfs to their words'
// frequencies. terms[i] holds term i's postings with positions. Checks the
// docs in candidates (each with every term), or with candidates null, the
// docs of the shortest term (every term's postings then whole): the
// intersection and the positions in one pass. A doc outside keep (a
// bitmap, unless empty) is skipped before its positions are read.
void MatchPhrase(const std::vector<std::shared_ptr<const DecodedPostings>>& terms,
                 const std::vector<uint32_t>& offsets, const std::vector<uint32_t>* candidates,
                 const std::vector<uint64_t>& keep, ClauseMatch* match) {
  // Raw views of the postings, and each term's place in its own: this
  // loop runs for every doc with the phrase's rarest word.
  struct View {
    const uint32_t* docs;
    size_t size;
    const uint32_t* tfs;
    const uint32_t* starts;
    const uint32_t* positions;
    uint32_t offset;  // From the first term's.
    size_t at = 0;
    // The current doc's positions not yet passed, while it is checked.
    const uint32_t* cursor = nullptr;
    const uint32_t* end = nullptr;
  };
  std::vector<View> views;
  size_t driver = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    const DecodedPostings& t = *terms[i];
    views.push_back({t.docs.data(), t.docs.size(), t.tfs.data(), t.starts.data(),
                     t.positions.data(), offsets[i] - offsets[0]});
    if (t.docs.size() < terms[driver]->docs.size()) driver = i;
  }
  const std::vector<uint32_t>& to_check = candidates ? *candidates : terms[driver]->docs;
  match->docs.clear();
  match->term_tfs.assign(terms.size(), {});
  const bool seek_driver = candidates != nullptr;
  for (size_t c = 0; c < to_check.size(); ++c) {
    const uint32_t doc = to_check[c];
    if (!keep.empty() && ((doc >> 6) >= keep.size() || !HasBit(keep, doc))) continue;
    bool all = true;
    for (size_t i = 0; i < views.size() && all; ++i) {
      View& v = views[i];
      if (!seek_driver && i == driver) {
        v.at = c;
        continue;
      }
      v.at = Seek(v.docs, v.size, v.at, doc);
      all = v.at < v.size && v.docs[v.at] == doc;
    }
    if (!all) continue;
    // Each later term's positions merged against the first's: the
    // positions wanted rise with the first term's, so each term's cursor
    // only moves forward (linear in the doc's positions, however many).
    const View& first = views[0];
    const uint32_t* first_begin = first.positions + first.starts[first.at];
    const uint32_t* first_end = first_begin + first.tfs[first.at];
    for (size_t i = 1; i < views.size(); ++i) {
      View& v = views[i];
      v.cursor = v.positions + v.starts[v.at];
      v.end = v.cursor + v.tfs[v.at];
    }
    bool found = false;
    for (const uint32_t* start = first_begin; start != first_end && !found; ++start) {
      found = true;
      for (size_t i = 1; i < views.size() && found; ++i) {
        View& v = views[i];
        const uint32_t want = *start + v.offset;
        while (v.cursor != v.end && *v.cursor < want) ++v.cursor;
        found = v.cursor != v.end && *v.cursor == want;
      }
    }
    if (found) {
      match->docs.push_back(doc);
      for (size_t i = 0; i < views.size(); ++i) {
        match->term_tfs[i].push_back(views[i].tfs[views[i].at]);
      }
    }
  }
}

bool Visible(const LessonIndex::Columns& columns, const DocColumn& doc, const Viewer& viewer,
             const std::vector<uint32_t>& viewer_teams, uint32_t viewer_user) {
  if (viewer.sees_everything || doc.visibility != retro::v1::TEAM) return true;
  if (std::find(viewer_teams.begin(), viewer_teams.end(), doc.team) != viewer_teams.end() &&
      doc.team != 0) {
    return true;
  }
  if (viewer_user == 0) return false;
  const uint32_t* drivers = columns.pool.data() + doc.pool_begin + doc.reasons + doc.tags;
  return std::find(drivers, drivers + doc.drivers, viewer_user) != drivers + doc.drivers;
}

bool Has(const std::vector<uint32_t>& values, uint32_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// A filter with its string values resolved to dictionary ids.
struct CompiledFilter {
  const retro::v1::LessonFilter& filter;
  // Few values each (usually one): a linear search beats a tree.
  std::vector<uint32_t> reasons, competitors, industries, segments, teams, tags;
  bool impossible = false;  // A string value nobody has: nothing matches.
  int32_t from_day = 0, to_day = 0;

  CompiledFilter(const retro::v1::LessonFilter& f, const Dictionary& dictionary, bool normalize)
      : filter(f) {
    auto resolve = [&](const google::protobuf::RepeatedPtrField<std::string>& values,
                       std::vector<uint32_t>* ids, bool lower) {
      for (const std::string& v : values) {
        uint32_t id = dictionary.Find(lower && normalize ? NormalizeFacetValue(v) : v);
        if (id != 0) ids->push_back(id);
      }
      if (!values.empty() && ids->empty()) impossible = true;
    };
    resolve(f.reasons(), &reasons, false);
    resolve(f.competitors(), &competitors, true);
    resolve(f.industries(), &industries, true);
    resolve(f.segments(), &segments, true);
    resolve(f.team_ids(), &teams, false);
    resolve(f.tags(), &tags, false);
    auto day = [](const retro::v1::Date& d) {
      return d.year() == 0 ? 0
                           : static_cast<int32_t>(absl::CivilDay(d.year(), d.month(), d.day()) -
                                                  absl::CivilDay(1970, 1, 1));
    };
    from_day = day(f.close_date_from());
    to_day = day(f.close_date_to());
  }

  // doc_id's doc values are doc.
  bool Matches(const LessonIndex::Columns& columns, uint32_t doc_id, const DocColumn& doc) const {
    if (impossible) return false;
    auto in_enum = [](const auto& values, int value) {
      return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
    };
    if (!in_enum(filter.outcomes(), doc.outcome)) return false;
    if (!in_enum(filter.stages_reached(), doc.stage_reached)) return false;
    if (!in_enum(filter.kinds(), doc.kind)) return false;
    if (!competitors.empty() && !Has(competitors, doc.competitor)) return false;
    if (!industries.empty() && !Has(industries, doc.industry)) return false;
    if (!teams.empty() && !Has(teams, doc.team)) return false;
    if (doc.votes < filter.min_votes()) return false;
    if (!segments.empty() || from_day != 0 || to_day != 0) {
      const DocColdColumn& cold = columns.Cold(doc_id);
      if (!segments.empty() && !Has(segments, cold.segment)) return false;
      if (from_day != 0 && (cold.close_day == 0 || cold.close_day < from_day)) return false;
      if (to_day != 0 && (cold.close_day == 0 || cold.close_day > to_day)) return false;
    }
    const uint32_t* pool = columns.pool.data() + doc.pool_begin;
    auto any = [](const std::vector<uint32_t>& wanted, const uint32_t* values, uint8_t n) {
      if (wanted.empty()) return true;
      for (uint8_t i = 0; i < n; ++i) {
        if (Has(wanted, values[i])) return true;
      }
      return false;
    };
    if (!any(reasons, pool, doc.reasons)) return false;
    if (!any(tags, pool + doc.reasons, doc.tags)) return false;
    return true;
  }
};

// Facet counters of a match set, by dictionary id (strings) or enum value:
// no string work per doc.
struct FacetCounts {
  std::vector<int64_t> competitor, industry, reasons, tags;
  std::array<int64_t, 16> outcome{}, stage{}, kind{};

  explicit FacetCounts(size_t words)
      : competitor(words), industry(words), reasons(words), tags(words) {}

  void Add(const LessonIndex::Columns& columns, const DocColumn& doc) {
    // Enum values outside 0 to 15 (none are defined) are not counted.
    auto add_enum = [](int8_t value, std::array<int64_t, 16>& counts) {
      if (value >= 0 && value < 16) ++counts[value];
    };
    add_enum(doc.outcome, outcome);
    add_enum(doc.stage_reached, stage);
    add_enum(doc.kind, kind);
    ++competitor[doc.competitor];
    ++industry[doc.industry];
    // A lesson counts once for a value it lists twice.
    auto add_distinct = [](const uint32_t* values, uint8_t n, std::vector<int64_t>& counts) {
      for (uint8_t i = 0; i < n; ++i) {
        if (std::find(values, values + i, values[i]) == values + i) ++counts[values[i]];
      }
    };
    const uint32_t* pool = columns.pool.data() + doc.pool_begin;
    add_distinct(pool, doc.reasons, reasons);
    add_distinct(pool + doc.reasons, doc.tags, tags);
  }
};

// Bitmaps over doc ids: bit d of word d / 64 for doc d.
void SetBits(const std::vector<uint32_t>& docs, std::vector<uint64_t>& bits) {
  for (uint32_t doc : docs) {
    if ((doc >> 6) < bits.size()) bits[doc >> 6] |= uint64_t{1} << (doc & 63);
  }
}

void SetBits(const ValueDocs& values, std::vector<uint64_t>& bits) {
  if (!values.is_bitmap()) return SetBits(values.docs, bits);
  const size_t n = std::min(bits.size(), values.bits.size());
  for (size_t w = 0; w < n; ++w) bits[w] |= values.bits[w];
}

// The docs a viewer who does not see everything may see, as a bitmap of
// words words: those visible to all, their teams', and those they present
// or facilitate (as Visible decides it for one doc).
std::vector<uint64_t> VisibleBitmap(const LessonIndex::Columns& columns,
                                    const std::vector<uint32_t>& viewer_teams, uint32_t viewer_user,
                                    size_t words) {
  std::vector<uint64_t> visible(words, 0);
  SetBits(columns.visible_to_all, visible);
  const std::vector<ValueDocs>& teams = columns.value_docs[kTeamValues];
  for (uint32_t team : viewer_teams) {
    if (team < teams.size()) SetBits(teams[team], visible);
  }
  if (auto it = columns.driven.find(viewer_user); viewer_user != 0 && it != columns.driven.end()) {
    SetBits(it->second, visible);
  }
  return visible;
}

// The docs passing filter's tests on outcome, stage, kind, team,
// competitor, industry, reasons and tags, as a bitmap of words words (left
// empty when it tests none of them). False when it also tests what has no
// ValueDocs (segments, close dates), or an enum value they do not index:
// then each match's record must be read. min_votes is not in the bitmap.
bool FilterBitmap(const CompiledFilter& compiled, const LessonIndex::Columns& columns, size_t words,
                  std::vector<uint64_t>* bits) {
  const retro::v1::LessonFilter& filter = compiled.filter;
  if (!compiled.segments.empty() || compiled.from_day != 0 || compiled.to_day != 0) return false;
  auto field = [&](ValueField values_field, const auto& ids) {
    if (ids.empty()) return true;
    std::vector<uint64_t> any(words, 0);
    const std::vector<ValueDocs>& by_id = columns.value_docs[values_field];
    for (auto id : ids) {
      if (id <= 0 || (id > 15 && values_field <= kKindValues)) return false;
      if (static_cast<size_t>(id) < by_id.size()) SetBits(by_id[id], any);
    }
    if (bits->empty()) {
      *bits = std::move(any);
    } else {
      for (size_t w = 0; w < words; ++w) (*bits)[w] &= any[w];
    }
    return true;
  };
  if (compiled.impossible) {
    bits->assign(words, 0);
    return true;
  }
  return field(kOutcomeValues, filter.outcomes()) && field(kStageValues, filter.stages_reached()) &&
         field(kKindValues, filter.kinds()) && field(kTeamValues, compiled.teams) &&
         field(kCompetitorValues, compiled.competitors) &&
         field(kIndustryValues, compiled.industries) && field(kReasonValues, compiled.reasons) &&
         field(kTagValues, compiled.tags);
}

// The bits set in both a and b, n words each. Debian builds for the
// baseline x86-64, which has neither POPCNT nor AVX-512, and the library
// fallback is several times slower: on x86-64 the loop is built with and
// without POPCNT (the dynamic loader picks), and an AVX-512 version is
// chosen at the first call where the processor has its vector popcount
// (the facets of a large match set AND and count thousands of bitmaps a
// query; the vector version took their share of a phrase query's time
// from 16 to 10%).
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("popcnt", "default")))
#endif
int64_t
CountCommonBitsScalar(const uint64_t* a, const uint64_t* b, size_t n) {
  int64_t count = 0;
  for (size_t w = 0; w < n; ++w) count += __builtin_popcountll(a[w] & b[w]);
  return count;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512vpopcntdq,popcnt"))) int64_t CountCommonBitsAvx512(
    const uint64_t* a, const uint64_t* b, size_t n) {
  __m512i sum = _mm512_setzero_si512();
  size_t w = 0;
  for (; w + 8 <= n; w += 8) {
    const __m512i x = _mm512_and_si512(_mm512_loadu_si512(a + w), _mm512_loadu_si512(b + w));
    sum = _mm512_add_epi64(sum, _mm512_popcnt_epi64(x));
  }
  // Summed through memory: GCC 12's _mm512_reduce_add_epi64 trips
  // -Wuninitialized inside its own header.
  alignas(64) int64_t lanes[8];
  _mm512_store_si512(lanes, sum);
  int64_t count = 0;
  for (int64_t lane : lanes) count += lane;
  for (; w < n; ++w) count += __builtin_popcountll(a[w] & b[w]);
  return count;
}
#endif

int64_t CountCommonBits(const uint64_t* a, const uint64_t* b, size_t n) {
  using Counter = int64_t (*)(const uint64_t*, const uint64_t*, size_t);
  static const Counter counter = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq")) {
      return &CountCommonBitsAvx512;
    }
#endif
    return &CountCommonBitsScalar;
  }();
  return counter(a, b, n);
}

// before[w]: the bits set in bits' words before w.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("popcnt", "default")))
#endif
void CountBitsBefore(const std::vector<uint64_t>& bits, uint32_t* before) {
  uint32_t count = 0;
  for (size_t w = 0; w < bits.size(); ++w) {
    before[w] = count;
    count += static_cast<uint32_t>(__builtin_popcountll(bits[w]));
  }
}

// Adds term's BM25 to scores[i] for each of its docs that is the i-th doc
// set in matched (before from CountBitsBefore); norms[i] is that doc's
// length normalization. A bit test and a popcount a posting, where
// seeking each in the list of matches would cost a search.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("popcnt", "default")))
#endif
void AddScoresByRank(const TermPostings& term, const std::vector<uint64_t>& matched,
                     const std::vector<uint32_t>& before, const FilledVector<double>& norms,
                     double* scores) {
  const std::vector<uint32_t>& docs = term.docs();
  const std::vector<uint32_t>& tfs = term.tfs();
  for (size_t p = 0; p < docs.size(); ++p) {
    const uint32_t doc = docs[p];
    const size_t w = doc >> 6;
    if (w >= matched.size()) break;
    const uint64_t word = matched[w];
    if (((word >> (doc & 63)) & 1) == 0) continue;
    // The matches up to and including doc in its word; doc & 63 == 63
    // makes the mask all ones (2 << 63 wraps to 0).
    const uint64_t through = word & ((uint64_t{2} << (doc & 63)) - 1);
    const size_t i = before[w] + static_cast<size_t>(__builtin_popcountll(through)) - 1;
    const double tf = tfs[p];
    scores[i] += term.idf * (tf * (kBm25K1 + 1)) / (tf + norms[i]);
  }
}

// How many of the docs with a value are in bits.
int64_t CountIn(const ValueDocs& values, const std::vector<uint64_t>& bits) {
  int64_t count = 0;
  if (values.is_bitmap()) {
    count =
        CountCommonBits(values.bits.data(), bits.data(), std::min(bits.size(), values.bits.size()));
  } else {
    for (uint32_t doc : values.docs) count += (doc >> 6) < bits.size() && HasBit(bits, doc);
  }
  return count;
}

// Whether counting facets value by value against a bitmap of the matches
// (ValueDocs) is cheaper than reading every match's doc values. Rough
// costs in nanoseconds, measured on a 2-core EPYC VM at a million docs: a
// bitmap word ANDed and counted 0.5 (sequential), a listed doc probed 2, a
// match's compact length and votes 10, a match's records (a cache miss or
// two, or three) 60.
bool ValueDocsAreCheaper(const LessonIndex::Columns& columns, size_t candidates) {
  const double words = columns.next_doc() / 64.0 + 1;
  const double by_values = (static_cast<double>(columns.bitmap_values) + 4) * words * 0.5 +
                           static_cast<double>(columns.list_docs) * 2 +
                           static_cast<double>(candidates) * 10;
  return by_values < static_cast<double>(candidates) * 60;
}

// The facets of counted matches, each value's count, most frequent first.
std::vector<retro::v1::Facet> FacetsOf(const FacetCounts& counts, const Dictionary& dictionary) {
  auto facet = [](const char* field, std::vector<std::pair<int64_t, std::string>> values) {
    retro::v1::Facet out;
    out.set_field(field);
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < values.size() && i < 20; ++i) {
      retro::v1::FacetCount* count = out.add_counts();
      count->set_value(values[i].second);
      count->set_count(values[i].first);
    }
    return out;
  };
  auto by_id = [&](const std::vector<int64_t>& by_word) {
    std::vector<std::pair<int64_t, std::string>> values;
    for (size_t id = 1; id < by_word.size(); ++id) {
      if (by_word[id] > 0) values.emplace_back(by_word[id], dictionary.Get(id));
    }
    return values;
  };
  auto by_enum = [](const std::array<int64_t, 16>& by_value, auto name) {
    std::vector<std::pair<int64_t, std::string>> values;
    for (int v = 1; v < 16; ++v) {
      if (by_value[v] > 0) values.emplace_back(by_value[v], name(v));
    }
    return values;
  };
  std::vector<retro::v1::Facet> facets;
  facets.push_back(
      facet("outcome", by_enum(counts.outcome, [](int v) { return retro::v1::Outcome_Name(v); })));
  facets.push_back(facet("reasons", by_id(counts.reasons)));
  facets.push_back(facet("competitor", by_id(counts.competitor)));
  facets.push_back(facet("industry", by_id(counts.industry)));
  facets.push_back(facet(
      "stage_reached", by_enum(counts.stage, [](int v) { return retro::v1::DealStage_Name(v); })));
  facets.push_back(facet(
      "kind", by_enum(counts.kind, [](int v) { return retro::v1::Annotation::Kind_Name(v); })));
  facets.push_back(facet("tags", by_id(counts.tags)));
  return facets;
}

std::string Snippet(const std::string& text, const std::set<std::string>& terms) {
  std::vector<Token> tokens = Analyzer::English().Analyze(text);
  std::vector<std::pair<uint32_t, uint32_t>> marks;
  for (const Token& token : tokens) {
    if (terms.count(token.term)) marks.emplace_back(token.begin, token.end);
  }
  size_t begin = 0;
  size_t end = text.size();
  if (text.size() > kSnippetBytes) {
    size_t center = marks.empty() ? 0 : marks.front().first;
    begin = center > kSnippetBytes / 3 ? center - kSnippetBytes / 3 : 0;
    end = std::min(text.size(), begin + kSnippetBytes);
    // Never cut a UTF-8 character in two.
    while (begin > 0 && (static_cast<unsigned char>(text[begin]) & 0xC0) == 0x80) --begin;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  }
  std::string out = begin > 0 ? "…" : "";
  size_t at = begin;
  for (const auto& [b, e] : marks) {
    if (b < begin || e > end) continue;
    out.append(text, at, b - at);
    absl::StrAppend(&out, "<b>", absl::string_view(text).substr(b, e - b), "</b>");
    at = e;
  }
  out.append(text, at, end - at);
  if (end < text.size()) out += "…";
  return out;
}

// The arrays a query sizes by its matches. A common word's are megabytes,
// and fresh ones cost a page fault every 4 KiB (the allocator gives freed
// pages back to the system): for the largest match sets that was most of
// the query's time. So each thread keeps the last query's arrays, emptied,
// for its next one: up to kMaxKeptBytes a thread, and kMaxKeptBytesInAll
// for all threads together (gRPC may run hundreds of them).
struct QueryArrays {
  static constexpr size_t kMaxKeptBytes = 16 << 20;
  static constexpr size_t kMaxKeptBytesInAll = 128 << 20;

  std::vector<uint32_t> docs;
  FilledVector<double> norms;
  FilledVector<double> boosts;
  std::vector<uint64_t> matched_bits;
  std::vector<uint32_t> matched_before;
  std::vector<double> scores;
  // Suggest's score of every doc, by doc: all zero between queries (it
  // zeroes the ones it touched), so that it is neither cleared nor zeroed.
  std::vector<float> doc_scores;

  size_t CapacityBytes() const {
    return docs.capacity() * sizeof(uint32_t) + norms.capacity() * sizeof(double) +
           boosts.capacity() * sizeof(double) + matched_bits.capacity() * sizeof(uint64_t) +
           matched_before.capacity() * sizeof(uint32_t) + scores.capacity() * sizeof(double) +
           doc_scores.capacity() * sizeof(float);
  }
};

std::atomic<size_t> kept_query_array_bytes{0};  // Of all threads.

struct KeptQueryArrays {
  std::unique_ptr<QueryArrays> arrays;
  size_t bytes = 0;
  ~KeptQueryArrays() { kept_query_array_bytes -= bytes; }  // At thread exit.
};
thread_local KeptQueryArrays kept_query_arrays;

std::unique_ptr<QueryArrays> TakeQueryArrays() {
  KeptQueryArrays& kept = kept_query_arrays;
  if (!kept.arrays) return std::make_unique<QueryArrays>();
  kept_query_array_bytes -= kept.bytes;
  kept.bytes = 0;
  return std::move(kept.arrays);
}

void KeepQueryArrays(std::unique_ptr<QueryArrays> arrays) {
  KeptQueryArrays& kept = kept_query_arrays;
  if (!arrays || kept.arrays) return;
  const size_t bytes = arrays->CapacityBytes();
  if (bytes > QueryArrays::kMaxKeptBytes) return;
  if (kept_query_array_bytes.fetch_add(bytes) + bytes > QueryArrays::kMaxKeptBytesInAll) {
    kept_query_array_bytes -= bytes;
    return;
  }
  arrays->docs.clear();
  arrays->norms.clear();
  arrays->boosts.clear();
  arrays->matched_bits.clear();
  arrays->matched_before.clear();
  arrays->scores.clear();
  kept.arrays = std::move(arrays);
  kept.bytes = bytes;
}

}  // namespace

// One query and filter evaluated for one viewer: the visible matching
// docs, and what is needed to score them.
class LessonIndex::Evaluation {
 public:
  Evaluation(Database& database, PostingCache& cache, const std::string& org_id, OrgState& state)
      : database_(database), cache_(cache), org_id_(org_id), state_(state) {}
  ~Evaluation() { KeepQueryArrays(std::move(arrays_)); }
  Evaluation(const Evaluation&) = delete;
  Evaluation& operator=(const Evaluation&) = delete;

  // Finds the visible matches. With for_ranking, the same pass over their
  // doc values also counts facets and keeps what BM25 needs of each, so
  // that a large match set's doc values (which do not fit in cache) are
  // read once.
  absl::Status Run(const Viewer& viewer, const std::string& query_text,
                   const retro::v1::LessonFilter& filter, bool for_ranking = false);

  const std::vector<uint32_t>& docs() const { return docs_; }
  bool has_positive() const { return has_positive_; }
  std::vector<retro::v1::QueryCorrection>& corrections() { return corrections_; }
  const std::set<std::string>& matched_terms() const { return matched_terms_; }
  // After Run for_ranking: the facets over every match, and BM25 with the
  // vote boost of each of docs() (same order).
  std::vector<retro::v1::Facet> Facets(const Dictionary& dictionary) const {
    return FacetsOf(*facet_counts_, dictionary);
  }
  // Valid until the next call or the evaluation's end.
  const std::vector<double>& Scores();

 private:
  Database& database_;
  PostingCache& cache_;
  const std::string& org_id_;
  OrgState& state_;
  std::unique_ptr<QueryRun> run_;
  std::vector<ClauseMatch> positive_;
  // This thread's arrays while the evaluation lasts; the members below
  // name them.
  std::unique_ptr<QueryArrays> arrays_ = TakeQueryArrays();
  std::vector<uint32_t>& docs_ = arrays_->docs;
  bool has_positive_ = false;
  std::vector<retro::v1::QueryCorrection> corrections_;
  // Corrections with the index in positive_ of the clause they changed.
  std::vector<std::pair<size_t, retro::v1::QueryCorrection>> pending_corrections_;
  std::set<std::string> matched_terms_;
  // With for_ranking only.
  std::unique_ptr<FacetCounts> facet_counts_;
  FilledVector<double>& norms_ = arrays_->norms;    // BM25 length normalization of each match.
  FilledVector<double>& boosts_ = arrays_->boosts;  // Vote boost of each match.
  // When the matches were found through bitmaps (many of them): the
  // matches as a bitmap, and for each of its words how many matches come
  // before it, so that a posting's place in docs_ is a bit test and a
  // popcount rather than a search.
  std::vector<uint64_t>& matched_bits_ = arrays_->matched_bits;
  std::vector<uint32_t>& matched_before_ = arrays_->matched_before;
};

absl::Status LessonIndex::Evaluation::Run(const Viewer& viewer, const std::string& query_text,
                                          const retro::v1::LessonFilter& filter_request,
                                          bool for_ranking) {
  ASSIGN_OR_RETURN(std::optional<IndexStats> stats, ReadIndexStats(database_, org_id_));
  uint64_t doc_count = stats ? stats->doc_count() : 0;
  double avg_length = doc_count == 0 ? 1.0 : static_cast<double>(stats->total_length()) / doc_count;
  run_ = std::make_unique<QueryRun>(database_, cache_, org_id_, doc_count, avg_length);
  ParsedQuery query = ParseQuery(query_text, Analyzer::English());
  has_positive_ = query.HasPositive();

  absl::ReaderMutexLock lock(&state_.columns_mu);
  const Columns& columns = state_.columns;
  CompiledFilter filter(filter_request, columns.dictionary, true);
  const size_t words = columns.next_doc() / 64 + 1;
  // The filter as a bitmap, when it can be one (empty when it tests
  // nothing): a phrase then checks positions only in the docs the filter
  // keeps, and large match sets test it a bit a doc.
  std::vector<uint64_t> filter_bits;
  const bool filter_in_bitmap = FilterBitmap(filter, columns, words, &filter_bits);

  // Resolve each clause to the docs it matches.
  std::vector<ClauseMatch> excluded;
  bool impossible = false;
  for (const QueryClause& clause : query.clauses) {
    ClauseMatch match;
    if (clause.phrase) {
      std::vector<const TermPostings*> terms;
      for (const std::string& term : clause.terms) {
        ASSIGN_OR_RETURN(const TermPostings* postings, run_->Load(term));
        if (postings == nullptr) break;
        terms.push_back(postings);
      }
      std::vector<std::shared_ptr<const DecodedPostings>> whole;
      for (const TermPostings* term : terms) {
        if (auto positions = run_->CachedPositions(*term)) whole.push_back(std::move(positions));
      }
      const std::vector<uint64_t> no_filter;
      const std::vector<uint64_t>& keep = filter_in_bitmap ? filter_bits : no_filter;
      if (terms.size() == clause.terms.size() && whole.size() == terms.size()) {
        // Every word's positions at hand: intersection and positions in
        // one pass, no intermediate list.
        MatchPhrase(whole, clause.offsets, nullptr, keep, &match);
        match.terms = terms;
      } else if (terms.size() == clause.terms.size()) {
        // The docs with every word, then positions of those docs only.
        std::vector<const std::vector<uint32_t>*> lists;
        for (const TermPostings* term : terms) lists.push_back(&term->docs());
        std::vector<uint32_t> with_all = IntersectAll(std::move(lists));
        if (filter_in_bitmap && !filter_bits.empty()) {
          with_all.erase(std::remove_if(with_all.begin(), with_all.end(),
                                        [&](uint32_t doc) {
                                          return doc >= columns.next_doc() ||
                                                 !HasBit(filter_bits, doc);
                                        }),
                         with_all.end());
        }
        if (!with_all.empty()) {
          std::vector<std::shared_ptr<const DecodedPostings>> positions(terms.size());
          for (size_t i = 0; i < terms.size(); ++i) {
            ASSIGN_OR_RETURN(positions[i], run_->Positions(*terms[i], with_all));
          }
          MatchPhrase(positions, clause.offsets, &with_all, no_filter, &match);
        }
        match.terms = terms;
      }
    } else {
      std::vector<std::string> candidates;
      if (clause.prefix) {
        ASSIGN_OR_RETURN(candidates, run_->Expand(clause.words[0]));
        std::string stem = Analyzer::English().Stem(clause.words[0]);
        if (stem != clause.words[0] && stem.size() >= 3) {
          ASSIGN_OR_RETURN(std::vector<std::string> more, run_->Expand(stem));
          candidates.insert(candidates.end(), more.begin(), more.end());
        }
      } else {
        candidates.push_back(clause.terms[0]);
      }
      for (const std::string& term : candidates) {
        ASSIGN_OR_RETURN(const TermPostings* postings, run_->Load(term));
        if (postings == nullptr && !clause.prefix && !clause.excluded) {
          ASSIGN_OR_RETURN(auto correction, run_->Correct(term, clause.words[0]));
          if (correction) {
            // Reported only if the viewer may see a lesson with the word:
            // a correction must not reveal words of others' TEAM lessons.
            retro::v1::QueryCorrection c;
            c.set_original(clause.words[0]);
            c.set_corrected(correction->second);
            pending_corrections_.emplace_back(positive_.size(), std::move(c));
            ASSIGN_OR_RETURN(postings, run_->Load(correction->first));
          }
        }
        if (postings == nullptr) continue;
        if (std::find(match.terms.begin(), match.terms.end(), postings) != match.terms.end()) {
          continue;
        }
        match.terms.push_back(postings);
      }
      std::vector<const std::vector<uint32_t>*> lists;
      for (const TermPostings* t : match.terms) lists.push_back(&t->docs());
      if (lists.size() == 1) {
        match.one_term = lists[0];
      } else if (!lists.empty()) {
        match.docs = Union(lists);
      }
    }
    if (clause.excluded) {
      excluded.push_back(std::move(match));
    } else {
      if (match.matched().empty()) impossible = true;
      for (const TermPostings* t : match.terms) matched_terms_.insert(t->term);
      positive_.push_back(std::move(match));
    }
  }

  // The docs every positive clause matches: a lone clause's own list.
  std::vector<uint32_t> intersection;
  const std::vector<uint32_t>* candidate_list = &intersection;
  if (!impossible) {
    if (positive_.empty()) {
      intersection.reserve(columns.docs.size());
      for (uint32_t doc = 1; doc < columns.next_doc(); ++doc) intersection.push_back(doc);
    } else if (positive_.size() == 1) {
      candidate_list = &positive_[0].matched();
    } else {
      std::vector<const std::vector<uint32_t>*> lists;
      for (const ClauseMatch& m : positive_) lists.push_back(&m.matched());
      intersection = IntersectAll(std::move(lists));
    }
  }
  const std::vector<uint32_t>& candidates = *candidate_list;
  std::vector<uint32_t> viewer_teams;
  for (const std::string& team : viewer.team_ids) {
    if (uint32_t id = columns.dictionary.Find(team)) viewer_teams.push_back(id);
  }
  uint32_t viewer_user = columns.people.Find(viewer.user_id);
  docs_.reserve(candidates.size());
  if (for_ranking) {
    facet_counts_ = std::make_unique<FacetCounts>(columns.dictionary.size());
    norms_.reserve(candidates.size());
    boosts_.reserve(candidates.size());
  }
  // BM25's length normalization of a doc is norm_base + norm_per_length *
  // its length, computed the same way whichever way the matches are found.
  const double norm_base = kBm25K1 * (1 - kBm25B);
  const double norm_per_length = kBm25K1 * kBm25B / avg_length;
  std::vector<size_t> excluded_at(excluded.size(), 0);
  auto is_excluded = [&](uint32_t doc) {
    for (size_t e = 0; e < excluded.size(); ++e) {
      const std::vector<uint32_t>& docs = excluded[e].matched();
      excluded_at[e] = Seek(docs, excluded_at[e], doc);
      if (excluded_at[e] < docs.size() && docs[excluded_at[e]] == doc) return true;
    }
    return false;
  };
  if (for_ranking && ValueDocsAreCheaper(columns, candidates.size()) && filter_in_bitmap) {
    // Many matches: visibility and filters from bitmaps, BM25's inputs
    // from compact arrays, facets a value at a time. No match's records
    // are read.
    const int32_t min_votes = filter_request.min_votes();
    std::vector<uint64_t> visible;
    if (!viewer.sees_everything) {
      visible = VisibleBitmap(columns, viewer_teams, viewer_user, words);
    }
    // Filled by index, not push_back: this runs for every match of the
    // largest match sets.
    matched_bits_.assign(words, 0);
    std::vector<uint64_t>& matched = matched_bits_;
    docs_.resize(candidates.size());
    norms_.resize(candidates.size());
    boosts_.resize(candidates.size());
    const uint32_t next_doc = columns.next_doc();
    size_t kept = 0;
    for (uint32_t doc : candidates) {
      if (doc >= next_doc) break;  // Published after the refresh, as all after it.
      if (!excluded.empty() && is_excluded(doc)) continue;
      if (!visible.empty() && !HasBit(visible, doc)) continue;
      if (!filter_bits.empty() && !HasBit(filter_bits, doc)) continue;
      const LengthAndVotes bm25 = columns.bm25[doc - 1];
      const int32_t votes = bm25.votes;
      if (votes < min_votes) continue;
      matched[doc >> 6] |= uint64_t{1} << (doc & 63);
      docs_[kept] = doc;
      norms_[kept] = norm_base + norm_per_length * bm25.length;
      boosts_[kept] = VoteBoost(votes);
      ++kept;
    }
    docs_.resize(kept);
    norms_.resize(kept);
    boosts_.resize(kept);
    matched_before_.resize(words);
    CountBitsBefore(matched, matched_before_.data());
    auto count = [&](ValueField field, int64_t* counts, size_t size) {
      const std::vector<ValueDocs>& by_id = columns.value_docs[field];
      for (size_t id = 1; id < by_id.size() && id < size; ++id) {
        counts[id] += CountIn(by_id[id], matched);
      }
    };
    FacetCounts& counts = *facet_counts_;
    count(kOutcomeValues, counts.outcome.data(), counts.outcome.size());
    count(kStageValues, counts.stage.data(), counts.stage.size());
    count(kKindValues, counts.kind.data(), counts.kind.size());
    count(kCompetitorValues, counts.competitor.data(), counts.competitor.size());
    count(kIndustryValues, counts.industry.data(), counts.industry.size());
    count(kReasonValues, counts.reasons.data(), counts.reasons.size());
    count(kTagValues, counts.tags.data(), counts.tags.size());
  } else {
    for (size_t i = 0; i < candidates.size(); ++i) {
      uint32_t doc = candidates[i];
      if (doc >= columns.next_doc()) continue;  // Published after the refresh.
      // The doc values of a large match set do not fit in cache: ask for the
      // ones some matches ahead while this one is checked, and for their
      // reasons, tags and drivers (in the pool) once their doc values, asked
      // for earlier, are in.
      if (i + 16 < candidates.size() && candidates[i + 16] < columns.next_doc()) {
        __builtin_prefetch(&columns.Doc(candidates[i + 16]));
      }
      if (i + 8 < candidates.size() && candidates[i + 8] < columns.next_doc()) {
        __builtin_prefetch(columns.pool.data() + columns.Doc(candidates[i + 8]).pool_begin);
      }
      if (is_excluded(doc)) continue;
      const DocColumn& column = columns.Doc(doc);
      if (!Visible(columns, column, viewer, viewer_teams, viewer_user)) continue;
      if (!filter.Matches(columns, doc, column)) continue;
      docs_.push_back(doc);
      if (for_ranking) {
        facet_counts_->Add(columns, column);
        norms_.push_back(norm_base + norm_per_length * column.length);
        boosts_.push_back(VoteBoost(column.votes));
      }
    }
  }
  for (auto& [index, correction] : pending_corrections_) {
    for (uint32_t doc : positive_[index].matched()) {
      if (doc < columns.next_doc() &&
          Visible(columns, columns.Doc(doc), viewer, viewer_teams, viewer_user)) {
        corrections_.push_back(std::move(correction));
        break;
      }
    }
  }
  return absl::OkStatus();
}

const std::vector<double>& LessonIndex::Evaluation::Scores() {
  std::vector<double>& scores = arrays_->scores;
  scores.assign(docs_.size(), 0.0);
  if (positive_.empty()) return scores;
  // Each term's postings and the matches are both sorted: walk the
  // shorter, seeking in the longer (a prefix's rare expansions cost their
  // own few postings, not a pass over every match).
  for (const ClauseMatch& clause : positive_) {
    if (!clause.term_tfs.empty()) {
      // A phrase: its words' frequencies were kept with its docs, of
      // which the matches are a subset.
      size_t j = 0;
      for (size_t i = 0; i < docs_.size(); ++i) {
        j = Seek(clause.matched(), j, docs_[i]);
        for (size_t t = 0; t < clause.terms.size(); ++t) {
          const double tf = clause.term_tfs[t][j];
          scores[i] += clause.terms[t]->idf * (tf * (kBm25K1 + 1)) / (tf + norms_[i]);
        }
      }
      continue;
    }
    for (const TermPostings* term : clause.terms) {
      const std::vector<uint32_t>& docs = term->docs();
      auto add = [&](size_t i, size_t p) {
        double tf = term->tfs()[p];
        scores[i] += term->idf * (tf * (kBm25K1 + 1)) / (tf + norms_[i]);
      };
      if (!matched_bits_.empty() && docs.size() <= kRankScoringMaxRatio * docs_.size()) {
        AddScoresByRank(*term, matched_bits_, matched_before_, norms_, scores.data());
      } else if (docs.size() < docs_.size()) {
        size_t i = 0;
        for (size_t p = 0; p < docs.size(); ++p) {
          i = Seek(docs_, i, docs[p]);
          if (i == docs_.size()) break;
          if (docs_[i] == docs[p]) add(i, p);
        }
      } else {
        size_t p = 0;
        for (size_t i = 0; i < docs_.size(); ++i) {
          p = Seek(docs, p, docs_[i]);
          if (p == docs.size()) break;
          if (docs[p] == docs_[i]) add(i, p);
        }
      }
    }
  }
  for (size_t i = 0; i < docs_.size(); ++i) scores[i] *= boosts_[i];
  return scores;
}

namespace {

absl::StatusOr<std::vector<retro::v1::Lesson>> ReadLessons(Database& database,
                                                           const std::string& org_id,
                                                           const std::vector<uint32_t>& docs) {
  std::vector<retro::v1::Lesson> lessons;
  lessons.reserve(docs.size());
  for (uint32_t doc : docs) {
    ASSIGN_OR_RETURN(
        std::optional<retro::v1::Lesson> lesson,
        storage::GetRecord<retro::v1::Lesson>(database, Table::kLessons, keys::Doc(org_id, doc)));
    if (!lesson) return absl::DataLossError(absl::StrCat("lesson ", doc, " is missing"));
    lessons.push_back(*std::move(lesson));
  }
  return lessons;
}

}  // namespace

absl::StatusOr<SearchResults> LessonIndex::Search(const std::string& org_id, const Viewer& viewer,
                                                  const SearchOptions& options) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  Evaluation evaluation(database_, *posting_cache_, org_id, state);
  RETURN_IF_ERROR(evaluation.Run(viewer, options.query, options.filter, /*for_ranking=*/true));
  SearchResults results;
  results.corrections = std::move(evaluation.corrections());
  results.total = evaluation.docs().size();

  std::vector<std::pair<double, uint32_t>> page;
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    const Columns& columns = state.columns;
    results.facets = evaluation.Facets(columns.dictionary);
    auto sort = options.sort;
    if (sort == retro::v1::SearchLessonsRequest::SORT_UNSPECIFIED) {
      sort = evaluation.has_positive() ? retro::v1::SearchLessonsRequest::RELEVANCE
                                       : retro::v1::SearchLessonsRequest::NEWEST;
    }
    const std::vector<double>& scores = evaluation.Scores();
    // Only the sorts that need the doc values touch them: for relevance,
    // a comparison is two doubles, not two cache misses.
    auto before = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
      switch (sort) {
        case retro::v1::SearchLessonsRequest::NEWEST: {
          int64_t x = columns.Cold(a.second).publish_micros;
          int64_t y = columns.Cold(b.second).publish_micros;
          if (x != y) return x > y;
          return a.second > b.second;
        }
        case retro::v1::SearchLessonsRequest::MOST_VOTED: {
          int32_t x = columns.Doc(a.second).votes;
          int32_t y = columns.Doc(b.second).votes;
          if (x != y) return x > y;
          break;
        }
        default:
          break;
      }
      if (a.first != b.first) return a.first > b.first;
      return a.second < b.second;
    };
    // The best offset + limit, kept in a heap whose front is the worst of
    // them: one pass, no copy of the whole match set.
    const std::vector<uint32_t>& docs = evaluation.docs();
    size_t k = options.offset + options.limit;
    std::vector<std::pair<double, uint32_t>> top;
    top.reserve(std::min(k, docs.size()) + 1);
    for (size_t i = 0; i < docs.size() && k > 0; ++i) {
      std::pair<double, uint32_t> entry{scores[i], docs[i]};
      if (top.size() < k) {
        top.push_back(entry);
        std::push_heap(top.begin(), top.end(), before);
      } else if (before(entry, top.front())) {
        std::pop_heap(top.begin(), top.end(), before);
        top.back() = entry;
        std::push_heap(top.begin(), top.end(), before);
      }
    }
    std::sort_heap(top.begin(), top.end(), before);
    if (options.offset < top.size()) page.assign(top.begin() + options.offset, top.end());
  }
  std::vector<uint32_t> docs;
  for (const auto& entry : page) docs.push_back(entry.second);
  ASSIGN_OR_RETURN(std::vector<retro::v1::Lesson> lessons, ReadLessons(database_, org_id, docs));
  for (size_t i = 0; i < page.size(); ++i) {
    SearchResults::Hit& hit = results.hits.emplace_back();
    hit.score = page[i].first;
    hit.snippet = Snippet(lessons[i].text(), evaluation.matched_terms());
    hit.lesson = std::move(lessons[i]);
  }
  return results;
}

absl::Status LessonIndex::Export(
    const std::string& org_id, const Viewer& viewer, const std::string& query,
    const retro::v1::LessonFilter& filter,
    const std::function<bool(std::vector<retro::v1::Lesson>&&)>& emit) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  Evaluation evaluation(database_, *posting_cache_, org_id, state);
  RETURN_IF_ERROR(evaluation.Run(viewer, query, filter));
  const std::vector<uint32_t>& docs = evaluation.docs();
  constexpr size_t kChunk = 256;
  for (size_t begin = 0; begin < docs.size(); begin += kChunk) {
    std::vector<uint32_t> chunk(docs.begin() + begin,
                                docs.begin() + std::min(docs.size(), begin + kChunk));
    ASSIGN_OR_RETURN(std::vector<retro::v1::Lesson> lessons, ReadLessons(database_, org_id, chunk));
    if (!emit(std::move(lessons))) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<retro::v1::TrendBucket>> LessonIndex::Trends(
    const std::string& org_id, const Viewer& viewer, const TrendOptions& options) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  Evaluation evaluation(database_, *posting_cache_, org_id, state);
  RETURN_IF_ERROR(evaluation.Run(viewer, options.query, options.filter));
  struct Counts {
    int64_t lessons = 0;
    std::set<uint32_t> sessions;
  };
  std::map<std::pair<std::string, std::string>, Counts> buckets;
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    const Columns& columns = state.columns;
    for (uint32_t d : evaluation.docs()) {
      const DocColumn& doc = columns.Doc(d);
      const DocColdColumn& cold = columns.Cold(d);
      absl::CivilDay day;
      if (cold.close_day != 0) {
        day = absl::CivilDay(1970, 1, 1) + cold.close_day;
      } else {
        day = absl::ToCivilDay(absl::FromUnixMicros(cold.publish_micros), absl::UTCTimeZone());
      }
      std::string period =
          options.quarterly
              ? absl::StrCat(day.year(), "-Q", (day.month() - 1) / 3 + 1)
              : absl::StrCat(day.year(), "-", day.month() < 10 ? "0" : "", day.month());
      std::vector<std::string> values;
      const uint32_t* pool = columns.pool.data() + doc.pool_begin;
      switch (options.dimension) {
        case retro::v1::GetTrendsRequest::COMPETITOR:
          if (doc.competitor) values.push_back(columns.dictionary.Get(doc.competitor));
          break;
        case retro::v1::GetTrendsRequest::STAGE_REACHED:
          if (doc.stage_reached) values.push_back(retro::v1::DealStage_Name(doc.stage_reached));
          break;
        case retro::v1::GetTrendsRequest::TAG:
          for (uint8_t i = 0; i < doc.tags; ++i) {
            values.push_back(columns.dictionary.Get(pool[doc.reasons + i]));
          }
          break;
        case retro::v1::GetTrendsRequest::OUTCOME:
          if (doc.outcome) values.push_back(retro::v1::Outcome_Name(doc.outcome));
          break;
        default:  // REASON
          for (uint8_t i = 0; i < doc.reasons; ++i) {
            values.push_back(columns.dictionary.Get(pool[i]));
          }
          break;
      }
      for (const std::string& value : values) {
        Counts& counts = buckets[{period, value}];
        ++counts.lessons;
        counts.sessions.insert(cold.session);
      }
    }
  }
  std::vector<retro::v1::TrendBucket> out;
  for (const auto& [key, counts] : buckets) {
    retro::v1::TrendBucket& bucket = out.emplace_back();
    bucket.set_period(key.first);
    bucket.set_value(key.second);
    bucket.set_lesson_count(counts.lessons);
    bucket.set_deal_count(static_cast<int64_t>(counts.sessions.size()));
    bucket.set_low_sample(bucket.deal_count() < kLowSampleDeals);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.period() != b.period()) return a.period() < b.period();
    return a.lesson_count() > b.lesson_count();
  });
  return out;
}

absl::StatusOr<std::vector<SearchResults::Hit>> LessonIndex::Suggest(const std::string& org_id,
                                                                     const Viewer& viewer,
                                                                     const std::string& draft,
                                                                     size_t max_results) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  ASSIGN_OR_RETURN(std::optional<IndexStats> stats, ReadIndexStats(database_, org_id));
  std::vector<SearchResults::Hit> hits;
  if (!stats || stats->doc_count() == 0) return hits;
  double avg_length = static_cast<double>(stats->total_length()) / stats->doc_count();
  QueryRun run(database_, *posting_cache_, org_id, stats->doc_count(), avg_length);
  // The draft's distinct terms, rarest (most telling) first, at most 12.
  std::set<std::string> distinct;
  for (const Token& token : Analyzer::English().Analyze(draft)) distinct.insert(token.term);
  std::vector<std::pair<uint64_t, std::string>> by_rarity;
  for (const std::string& term : distinct) {
    ASSIGN_OR_RETURN(
        std::optional<TermInfo> info,
        storage::GetRecord<TermInfo>(database_, Table::kTerms, keys::Term(org_id, term)));
    if (info && info->doc_freq() > 0) by_rarity.emplace_back(info->doc_freq(), term);
  }
  std::sort(by_rarity.begin(), by_rarity.end());
  if (by_rarity.size() > 12) by_rarity.resize(12);
  std::vector<const TermPostings*> terms;
  for (const auto& [df, term] : by_rarity) {
    ASSIGN_OR_RETURN(const TermPostings* postings, run.Load(term));
    if (postings != nullptr) terms.push_back(postings);
  }
  // Best first: higher score, then lower doc.
  auto better = [](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  // The best max_results, in a heap whose front is the worst of them.
  std::vector<std::pair<double, uint32_t>> top;
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    const Columns& columns = state.columns;
    std::unique_ptr<QueryArrays> arrays = TakeQueryArrays();
    std::vector<float>& scores = arrays->doc_scores;
    if (scores.size() < columns.next_doc()) scores.resize(columns.next_doc(), 0.0f);
    std::vector<uint32_t>& touched = arrays->docs;
    for (const TermPostings* term : terms) {
      for (size_t i = 0; i < term->docs().size(); ++i) {
        uint32_t d = term->docs()[i];
        if (d >= columns.next_doc()) continue;
        double norm = kBm25K1 * (1 - kBm25B + kBm25B * columns.bm25[d - 1].length / avg_length);
        if (scores[d] == 0.0f) touched.push_back(d);
        double tf = term->tfs()[i];
        scores[d] += static_cast<float>(term->idf * (tf * (kBm25K1 + 1)) / (tf + norm));
      }
    }
    std::vector<uint32_t> viewer_teams;
    for (const std::string& team : viewer.team_ids) {
      if (uint32_t id = columns.dictionary.Find(team)) viewer_teams.push_back(id);
    }
    uint32_t viewer_user = columns.people.Find(viewer.user_id);
    // A draft's words are common ones too: many docs touched, visibility
    // from a bitmap rather than each one's record.
    std::vector<uint64_t> visible;
    if (!viewer.sees_everything) {
      visible = VisibleBitmap(columns, viewer_teams, viewer_user, columns.next_doc() / 64 + 1);
    }
    top.reserve(std::min(max_results, touched.size()) + 1);
    for (uint32_t doc : touched) {
      const float score = scores[doc];
      scores[doc] = 0.0f;  // All zero again for the next query.
      if (max_results == 0 || (!visible.empty() && !HasBit(visible, doc))) continue;
      top.emplace_back(score * VoteBoost(columns.bm25[doc - 1].votes), doc);
      std::push_heap(top.begin(), top.end(), better);
      if (top.size() > max_results) {
        std::pop_heap(top.begin(), top.end(), better);
        top.pop_back();
      }
    }
    KeepQueryArrays(std::move(arrays));
  }
  std::sort_heap(top.begin(), top.end(), better);
  const size_t k = top.size();
  std::vector<uint32_t> docs;
  for (size_t i = 0; i < k; ++i) docs.push_back(top[i].second);
  ASSIGN_OR_RETURN(std::vector<retro::v1::Lesson> lessons, ReadLessons(database_, org_id, docs));
  std::set<std::string> matched(distinct.begin(), distinct.end());
  for (size_t i = 0; i < k; ++i) {
    SearchResults::Hit& hit = hits.emplace_back();
    hit.score = top[i].first;
    hit.snippet = Snippet(lessons[i].text(), matched);
    hit.lesson = std::move(lessons[i]);
  }
  return hits;
}

namespace {

uint32_t FindRoot(std::vector<uint32_t>& parent, uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

absl::StatusOr<std::vector<retro::v1::RecurringLesson>> LessonIndex::Recurring(
    const std::string& org_id, const Viewer& viewer, const RecurringOptions& options) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  Evaluation evaluation(database_, *posting_cache_, org_id, state);
  RETURN_IF_ERROR(evaluation.Run(viewer, "", options.filter));
  const std::vector<uint32_t>& docs = evaluation.docs();
  struct Cluster {
    std::vector<uint32_t> docs;
    std::set<uint32_t> sessions;
    int64_t last_published = 0;
  };
  std::vector<Cluster> clusters;
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    const Columns& columns = state.columns;
    auto signature = [&](size_t i) { return columns.minhash.data() + (docs[i] - 1) * kMinHashes; };
    // Locality-sensitive hashing: lessons sharing any band of their
    // signature are candidates; the estimated Jaccard similarity decides.
    std::vector<uint32_t> parent(docs.size());
    for (size_t i = 0; i < docs.size(); ++i) parent[i] = static_cast<uint32_t>(i);
    constexpr int kRows = kMinHashes / kMinHashBands;
    for (int band = 0; band < kMinHashBands; ++band) {
      absl::flat_hash_map<uint64_t, std::vector<uint32_t>> buckets;
      for (size_t i = 0; i < docs.size(); ++i) {
        if (columns.Doc(docs[i]).length == 0) continue;  // No terms, no signature.
        const uint16_t* sig = signature(i);
        uint64_t key = band;
        for (int r = 0; r < kRows; ++r) key = key * 0x9e3779b97f4a7c15ull + sig[band * kRows + r];
        buckets[key].push_back(static_cast<uint32_t>(i));
      }
      for (const auto& [key, members] : buckets) {
        for (size_t m = 1; m < members.size() && m < 200; ++m) {
          const uint16_t* a = signature(members[0]);
          const uint16_t* b = signature(members[m]);
          int same = 0;
          for (int h = 0; h < kMinHashes; ++h) same += a[h] == b[h];
          if (same >= kRecurringSimilarity * kMinHashes) {
            parent[FindRoot(parent, members[m])] = FindRoot(parent, members[0]);
          }
        }
      }
    }
    absl::flat_hash_map<uint32_t, size_t> cluster_of;
    for (size_t i = 0; i < docs.size(); ++i) {
      uint32_t root = FindRoot(parent, static_cast<uint32_t>(i));
      auto [it, inserted] = cluster_of.try_emplace(root, clusters.size());
      if (inserted) clusters.emplace_back();
      Cluster& cluster = clusters[it->second];
      const DocColdColumn& doc = columns.Cold(docs[i]);
      cluster.docs.push_back(docs[i]);
      cluster.sessions.insert(doc.session);
      cluster.last_published = std::max(cluster.last_published, doc.publish_micros);
    }
  }
  clusters.erase(
      std::remove_if(clusters.begin(), clusters.end(),
                     [&](const Cluster& c) { return c.sessions.size() < options.min_deals; }),
      clusters.end());
  std::sort(clusters.begin(), clusters.end(), [](const Cluster& a, const Cluster& b) {
    if (a.sessions.size() != b.sessions.size()) return a.sessions.size() > b.sessions.size();
    return a.last_published > b.last_published;
  });
  if (clusters.size() > options.max_results) clusters.resize(options.max_results);
  std::vector<retro::v1::RecurringLesson> out;
  for (Cluster& cluster : clusters) {
    std::sort(cluster.docs.begin(), cluster.docs.end(), std::greater<>());  // Newest first.
    std::vector<uint32_t> shown(cluster.docs.begin(),
                                cluster.docs.begin() + std::min<size_t>(cluster.docs.size(), 20));
    ASSIGN_OR_RETURN(std::vector<retro::v1::Lesson> lessons, ReadLessons(database_, org_id, shown));
    retro::v1::RecurringLesson& recurring = out.emplace_back();
    recurring.set_deal_count(static_cast<int64_t>(cluster.sessions.size()));
    recurring.set_lesson_count(static_cast<int64_t>(cluster.docs.size()));
    recurring.mutable_last_published()->set_seconds(cluster.last_published / 1000000);
    const retro::v1::Lesson* best = &lessons[0];
    std::set<std::string> seen_sessions;
    for (const retro::v1::Lesson& lesson : lessons) {
      if (lesson.vote_count() > best->vote_count()) best = &lesson;
      if (seen_sessions.insert(lesson.session()).second) recurring.add_sessions(lesson.session());
    }
    *recurring.mutable_representative() = *best;
    for (retro::v1::Lesson& lesson : lessons) *recurring.add_lessons() = std::move(lesson);
  }
  return out;
}

absl::StatusOr<std::optional<retro::v1::Lesson>> LessonIndex::GetLesson(
    const std::string& org_id, const Viewer& viewer, const std::string& lesson_id) {
  uint64_t doc = 0;
  for (char c : lesson_id) {
    if (c < '0' || c > '9' || doc > 0xffffffffull / 10) return std::nullopt;
    doc = doc * 10 + (c - '0');
  }
  if (doc == 0 || doc > 0xffffffffull) return std::nullopt;
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  {
    absl::ReaderMutexLock lock(&state.columns_mu);
    const Columns& columns = state.columns;
    if (doc >= columns.next_doc()) return std::nullopt;
    std::vector<uint32_t> viewer_teams;
    for (const std::string& team : viewer.team_ids) {
      if (uint32_t id = columns.dictionary.Find(team)) viewer_teams.push_back(id);
    }
    if (!Visible(columns, columns.Doc(static_cast<uint32_t>(doc)), viewer, viewer_teams,
                 columns.people.Find(viewer.user_id))) {
      return std::nullopt;
    }
  }
  return storage::GetRecord<retro::v1::Lesson>(database_, Table::kLessons,
                                               keys::Doc(org_id, static_cast<uint32_t>(doc)));
}

}  // namespace retro::index
