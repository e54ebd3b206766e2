// libFuzzer target: the search query parser on any bytes (invalid UTF-8,
// NULs, unbalanced quotes, lone operators). It must never fail, and what it
// returns must be well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "storage/index/analyzer.h"
#include "storage/index/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  retro::index::ParsedQuery query =
      retro::index::ParseQuery(text, retro::index::Analyzer::English());
  for (const retro::index::QueryClause& clause : query.clauses) {
    // Every term has its offset; a word is one term, a phrase one or more.
    if (clause.terms.size() != clause.offsets.size()) std::abort();
    if (clause.terms.empty()) std::abort();
    if (!clause.phrase && clause.terms.size() != 1) std::abort();
    for (const std::string& term : clause.terms) {
      if (term.empty()) std::abort();
    }
  }
  return 0;
}
