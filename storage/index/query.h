// The search query language, read leniently:
//   price competitor       both words (stemmed, accents and case ignored)
//   "executive sponsor"    a phrase
//   -discount              lessons without the word (or "-a phrase")
//   negoti*                any word starting so
// An unbalanced quote runs to the end; a lone "-" or "*" is ignored; stop
// words are dropped (phrases keep their gaps). Never fails.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "storage/index/analyzer.h"

namespace retro::index {

struct QueryClause {
  // Terms of a word (one) or a phrase (several), with their positions
  // relative to the first.
  std::vector<std::string> terms;
  std::vector<uint32_t> offsets;
  // Folded words as typed (for prefixes and corrections).
  std::vector<std::string> words;
  bool phrase = false;
  bool prefix = false;
  bool excluded = false;
};

struct ParsedQuery {
  std::vector<QueryClause> clauses;
  bool HasPositive() const;
};

ParsedQuery ParseQuery(absl::string_view text, const Analyzer& analyzer);

}  // namespace retro::index
