// LessonIndex::Search and GetLesson: query execution over the stored
// postings and the in-memory doc values.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
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

// A term's postings for one query: docs ascending.
struct TermPostings {
  std::string term;
  double idf = 0;
  std::vector<Posting> postings;
};

// Docs that match one clause, with the terms that matched (for scoring).
struct ClauseMatch {
  std::vector<uint32_t> docs;  // Ascending.
  std::vector<const TermPostings*> terms;
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

bool Contains(const std::vector<uint32_t>& sorted, uint32_t value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

std::vector<uint32_t> Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint32_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

class QueryRun {
 public:
  QueryRun(Database& database, const std::string& org, uint64_t doc_count, double avg_length)
      : database_(database), org_(org), doc_count_(doc_count), avg_length_(avg_length) {}

  // The term's postings (cached per query); null when not in the index.
  absl::StatusOr<const TermPostings*> Load(const std::string& term, bool with_positions) {
    auto it = loaded_.find(term);
    if (it != loaded_.end() && (!with_positions || it->second.second)) {
      return it->second.first.get();
    }
    ASSIGN_OR_RETURN(
        std::optional<TermInfo> info,
        storage::GetRecord<TermInfo>(database_, Table::kTerms, keys::Term(org_, term)));
    if (!info || info->doc_freq() == 0) return nullptr;
    auto postings = std::make_unique<TermPostings>();
    postings->term = term;
    double df = static_cast<double>(info->doc_freq());
    postings->idf = std::log(1.0 + (static_cast<double>(doc_count_) - df + 0.5) / (df + 0.5));
    bool corrupt = false;
    RETURN_IF_ERROR(database_.Scan(Table::kPostings, keys::PostingPrefix(org_, term), "",
                                   [&](absl::string_view key, absl::string_view value) {
                                     if (!DecodeBlock(value, keys::BlockFirstDoc(key),
                                                      with_positions, &postings->postings)) {
                                       corrupt = true;
                                       return false;
                                     }
                                     return true;
                                   }));
    if (corrupt) return absl::DataLossError(absl::StrCat("unreadable postings of '", term, "'"));
    const TermPostings* raw = postings.get();
    loaded_[term] = {std::move(postings), with_positions};
    return raw;
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
  const std::string& org_;
  uint64_t doc_count_;
  double avg_length_;
  std::map<std::string, std::pair<std::unique_ptr<TermPostings>, bool>> loaded_;
};

const Posting* Find(const TermPostings& postings, uint32_t doc) {
  auto it = std::lower_bound(postings.postings.begin(), postings.postings.end(), doc,
                             [](const Posting& p, uint32_t d) { return p.doc < d; });
  return it != postings.postings.end() && it->doc == doc ? &*it : nullptr;
}

// Docs containing the phrase: every term at its offset from the first.
std::vector<uint32_t> PhraseDocs(const std::vector<const TermPostings*>& terms,
                                 const std::vector<uint32_t>& offsets) {
  std::vector<uint32_t> docs;
  for (const Posting& first : terms[0]->postings) {
    std::vector<const Posting*> rest;
    bool all = true;
    for (size_t i = 1; i < terms.size() && all; ++i) {
      const Posting* p = Find(*terms[i], first.doc);
      all = p != nullptr;
      rest.push_back(p);
    }
    if (!all) continue;
    for (uint32_t start : first.positions) {
      bool match = true;
      for (size_t i = 1; i < terms.size() && match; ++i) {
        const auto& positions = rest[i - 1]->positions;
        match =
            std::binary_search(positions.begin(), positions.end(), start + offsets[i] - offsets[0]);
      }
      if (match) {
        docs.push_back(first.doc);
        break;
      }
    }
  }
  return docs;
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

// A filter with its string values resolved to dictionary ids.
struct CompiledFilter {
  const retro::v1::LessonFilter& filter;
  std::set<uint32_t> reasons, competitors, industries, segments, teams, tags;
  bool impossible = false;  // A string value nobody has: nothing matches.
  int32_t from_day = 0, to_day = 0;

  CompiledFilter(const retro::v1::LessonFilter& f, const Dictionary& dictionary, bool normalize)
      : filter(f) {
    auto resolve = [&](const google::protobuf::RepeatedPtrField<std::string>& values,
                       std::set<uint32_t>* ids, bool lower) {
      for (const std::string& v : values) {
        uint32_t id = dictionary.Find(lower && normalize ? NormalizeFacetValue(v) : v);
        if (id != 0) ids->insert(id);
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

  bool Matches(const LessonIndex::Columns& columns, const DocColumn& doc) const {
    if (impossible) return false;
    auto in_enum = [](const auto& values, int value) {
      return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
    };
    if (!in_enum(filter.outcomes(), doc.outcome)) return false;
    if (!in_enum(filter.stages_reached(), doc.stage_reached)) return false;
    if (!in_enum(filter.kinds(), doc.kind)) return false;
    if (!competitors.empty() && !competitors.count(doc.competitor)) return false;
    if (!industries.empty() && !industries.count(doc.industry)) return false;
    if (!segments.empty() && !segments.count(doc.segment)) return false;
    if (!teams.empty() && !teams.count(doc.team)) return false;
    if (doc.votes < filter.min_votes()) return false;
    if (from_day != 0 && (doc.close_day == 0 || doc.close_day < from_day)) return false;
    if (to_day != 0 && (doc.close_day == 0 || doc.close_day > to_day)) return false;
    const uint32_t* pool = columns.pool.data() + doc.pool_begin;
    auto any = [](const std::set<uint32_t>& wanted, const uint32_t* values, uint8_t n) {
      if (wanted.empty()) return true;
      for (uint8_t i = 0; i < n; ++i) {
        if (wanted.count(values[i])) return true;
      }
      return false;
    };
    if (!any(reasons, pool, doc.reasons)) return false;
    if (!any(tags, pool + doc.reasons, doc.tags)) return false;
    return true;
  }
};

std::vector<retro::v1::Facet> CountFacets(const LessonIndex::Columns& columns,
                                          const std::vector<uint32_t>& docs) {
  std::map<std::string, absl::flat_hash_map<std::string, int64_t>> counts;
  for (uint32_t d : docs) {
    const DocColumn& doc = columns.Doc(d);
    if (doc.outcome) ++counts["outcome"][retro::v1::Outcome_Name(doc.outcome)];
    if (doc.stage_reached) ++counts["stage_reached"][retro::v1::DealStage_Name(doc.stage_reached)];
    if (doc.kind) ++counts["kind"][retro::v1::Annotation::Kind_Name(doc.kind)];
    if (doc.competitor) ++counts["competitor"][columns.dictionary.Get(doc.competitor)];
    if (doc.industry) ++counts["industry"][columns.dictionary.Get(doc.industry)];
    const uint32_t* pool = columns.pool.data() + doc.pool_begin;
    for (uint8_t i = 0; i < doc.reasons; ++i) ++counts["reasons"][columns.dictionary.Get(pool[i])];
    for (uint8_t i = 0; i < doc.tags; ++i) {
      ++counts["tags"][columns.dictionary.Get(pool[doc.reasons + i])];
    }
  }
  std::vector<retro::v1::Facet> facets;
  for (const char* field :
       {"outcome", "reasons", "competitor", "industry", "stage_reached", "kind", "tags"}) {
    retro::v1::Facet facet;
    facet.set_field(field);
    std::vector<std::pair<int64_t, std::string>> values;
    for (const auto& [value, count] : counts[field]) values.emplace_back(count, value);
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < values.size() && i < 20; ++i) {
      retro::v1::FacetCount* count = facet.add_counts();
      count->set_value(values[i].second);
      count->set_count(values[i].first);
    }
    facets.push_back(std::move(facet));
  }
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

}  // namespace

absl::StatusOr<SearchResults> LessonIndex::Search(const std::string& org_id, const Viewer& viewer,
                                                  const SearchOptions& options) {
  OrgState& state = StateFor(org_id);
  RETURN_IF_ERROR(Refresh(org_id, state));
  ASSIGN_OR_RETURN(
      std::optional<IndexStats> stats,
      storage::GetRecord<IndexStats>(database_, Table::kDocValues, keys::Stats(org_id)));
  uint64_t doc_count = stats ? stats->doc_count() : 0;
  double avg_length = doc_count == 0 ? 1.0 : static_cast<double>(stats->total_length()) / doc_count;

  SearchResults results;
  ParsedQuery query = ParseQuery(options.query, Analyzer::English());
  QueryRun run(database_, org_id, doc_count, avg_length);

  // Resolve each clause to the docs it matches.
  std::vector<ClauseMatch> positive;
  std::vector<std::vector<uint32_t>> excluded;
  std::set<std::string> matched_terms;
  bool impossible = false;
  for (const QueryClause& clause : query.clauses) {
    ClauseMatch match;
    if (clause.phrase) {
      std::vector<const TermPostings*> terms;
      for (const std::string& term : clause.terms) {
        ASSIGN_OR_RETURN(const TermPostings* postings, run.Load(term, /*with_positions=*/true));
        if (postings == nullptr) break;
        terms.push_back(postings);
      }
      if (terms.size() == clause.terms.size()) {
        match.docs = PhraseDocs(terms, clause.offsets);
        match.terms = terms;
      }
    } else {
      std::vector<std::string> candidates;
      if (clause.prefix) {
        ASSIGN_OR_RETURN(candidates, run.Expand(clause.words[0]));
        std::string stem = Analyzer::English().Stem(clause.words[0]);
        if (stem != clause.words[0] && stem.size() >= 3) {
          ASSIGN_OR_RETURN(std::vector<std::string> more, run.Expand(stem));
          candidates.insert(candidates.end(), more.begin(), more.end());
        }
      } else {
        candidates.push_back(clause.terms[0]);
      }
      std::set<uint32_t> docs;
      for (const std::string& term : candidates) {
        ASSIGN_OR_RETURN(const TermPostings* postings, run.Load(term, false));
        if (postings == nullptr && !clause.prefix && !clause.excluded) {
          ASSIGN_OR_RETURN(auto correction, run.Correct(term, clause.words[0]));
          if (correction) {
            retro::v1::QueryCorrection* c = &results.corrections.emplace_back();
            c->set_original(clause.words[0]);
            c->set_corrected(correction->second);
            ASSIGN_OR_RETURN(postings, run.Load(correction->first, false));
          }
        }
        if (postings == nullptr) continue;
        if (std::find(match.terms.begin(), match.terms.end(), postings) != match.terms.end()) {
          continue;
        }
        match.terms.push_back(postings);
        for (const Posting& p : postings->postings) docs.insert(p.doc);
      }
      match.docs.assign(docs.begin(), docs.end());
    }
    if (clause.excluded) {
      excluded.push_back(std::move(match.docs));
    } else {
      if (match.docs.empty()) impossible = true;
      for (const TermPostings* t : match.terms) matched_terms.insert(t->term);
      positive.push_back(std::move(match));
    }
  }

  std::vector<std::pair<double, uint32_t>> page;
  {
    absl::ReaderMutexLock columns_lock(&state.columns_mu);
    const Columns& columns = state.columns;
    std::vector<uint32_t> candidates;
    if (!impossible) {
      if (positive.empty()) {
        candidates.reserve(columns.docs.size());
        for (uint32_t doc = 1; doc < columns.next_doc(); ++doc) candidates.push_back(doc);
      } else {
        std::sort(positive.begin(), positive.end(), [](const ClauseMatch& a, const ClauseMatch& b) {
          return a.docs.size() < b.docs.size();
        });
        candidates = positive[0].docs;
        for (size_t i = 1; i < positive.size() && !candidates.empty(); ++i) {
          candidates = Intersect(candidates, positive[i].docs);
        }
      }
    }
    std::vector<uint32_t> viewer_teams;
    for (const std::string& team : viewer.team_ids) {
      if (uint32_t id = columns.dictionary.Find(team)) viewer_teams.push_back(id);
    }
    uint32_t viewer_user = columns.dictionary.Find(viewer.user_id);
    CompiledFilter filter(options.filter, columns.dictionary, true);
    std::vector<uint32_t> docs;
    for (uint32_t doc : candidates) {
      if (doc >= columns.next_doc()) continue;  // Published after the refresh.
      bool skip = false;
      for (const auto& out : excluded) skip = skip || Contains(out, doc);
      if (skip) continue;
      const DocColumn& column = columns.Doc(doc);
      if (!Visible(columns, column, viewer, viewer_teams, viewer_user)) continue;
      if (!filter.Matches(columns, column)) continue;
      docs.push_back(doc);
    }
    results.total = docs.size();
    results.facets = CountFacets(columns, docs);

    // Rank.
    std::vector<std::pair<double, uint32_t>> scored;
    scored.reserve(docs.size());
    for (uint32_t doc : docs) {
      const DocColumn& column = columns.Doc(doc);
      double score = 0;
      double norm = kBm25K1 * (1 - kBm25B + kBm25B * column.length / run.avg_length());
      for (const ClauseMatch& clause : positive) {
        for (const TermPostings* term : clause.terms) {
          if (const Posting* p = Find(*term, doc)) {
            score += term->idf * (p->tf * (kBm25K1 + 1)) / (p->tf + norm);
          }
        }
      }
      score *= 1 + kVoteBoost * std::log1p(std::max(0, column.votes));
      scored.emplace_back(score, doc);
    }
    auto sort = options.sort;
    if (sort == retro::v1::SearchLessonsRequest::SORT_UNSPECIFIED) {
      sort = query.HasPositive() ? retro::v1::SearchLessonsRequest::RELEVANCE
                                 : retro::v1::SearchLessonsRequest::NEWEST;
    }
    auto before = [&](const std::pair<double, uint32_t>& a, const std::pair<double, uint32_t>& b) {
      const DocColumn& x = columns.Doc(a.second);
      const DocColumn& y = columns.Doc(b.second);
      switch (sort) {
        case retro::v1::SearchLessonsRequest::NEWEST:
          if (x.publish_micros != y.publish_micros) return x.publish_micros > y.publish_micros;
          return a.second > b.second;
        case retro::v1::SearchLessonsRequest::MOST_VOTED:
          if (x.votes != y.votes) return x.votes > y.votes;
          break;
        default:
          break;
      }
      if (a.first != b.first) return a.first > b.first;
      return a.second < b.second;
    };
    size_t end = std::min(scored.size(), options.offset + options.limit);
    if (options.offset < end) {
      std::partial_sort(scored.begin(), scored.begin() + end, scored.end(), before);
    }
    for (size_t i = options.offset; i < end; ++i) page.push_back(scored[i]);
  }  // The doc values are not needed past here.

  for (const auto& [score, doc] : page) {
    ASSIGN_OR_RETURN(
        std::optional<retro::v1::Lesson> lesson,
        storage::GetRecord<retro::v1::Lesson>(database_, Table::kLessons, keys::Doc(org_id, doc)));
    if (!lesson) return absl::DataLossError(absl::StrCat("lesson ", doc, " is missing"));
    SearchResults::Hit& hit = results.hits.emplace_back();
    hit.score = score;
    hit.snippet = Snippet(lesson->text(), matched_terms);
    hit.lesson = *std::move(lesson);
  }
  return results;
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
                 columns.dictionary.Find(viewer.user_id))) {
      return std::nullopt;
    }
  }
  return storage::GetRecord<retro::v1::Lesson>(database_, Table::kLessons,
                                               keys::Doc(org_id, static_cast<uint32_t>(doc)));
}

}  // namespace retro::index
