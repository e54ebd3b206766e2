// Analyzer: English text to index terms, with real libraries: ICU word
// breaking, case folding and accent removal, and the Snowball English
// stemmer (libstemmer). The same analyzer indexes lessons and reads
// queries, so "Pricing", "priced" and "PRICÉ" all meet at "price".
//
// Thread-safe: ICU and stemmer state is kept per thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace retro::index {

struct Token {
  // The stemmed, folded term that goes into the index.
  std::string term;
  // Case-folded, accent-free form before stemming (for prefixes and typos).
  std::string folded;
  // Word position, counting stop words, so phrases keep their gaps.
  uint32_t position = 0;
  // Byte range of the word in the analyzed text (for highlighting).
  uint32_t begin = 0;
  uint32_t end = 0;
};

class Analyzer {
 public:
  // The process-wide English analyzer; never deleted.
  static const Analyzer& English();

  // Words of text, in order. Stop words are dropped (their positions are
  // still counted) unless keep_stop_words.
  std::vector<Token> Analyze(absl::string_view text, bool keep_stop_words = false) const;
  // Case fold and strip accents of one word ("Café" -> "cafe").
  std::string Fold(absl::string_view word) const;
  // The Snowball stem of a folded word.
  std::string Stem(absl::string_view folded) const;
  bool IsStopWord(absl::string_view folded) const;

 private:
  Analyzer() = default;
};

// The byte ranges [begin, end) of the words in text, as ICU's word break
// rules find them (the segments whose rule status is not UBRK_WORD_NONE),
// in order. Analyze uses these; they are here for the test that holds the
// ASCII path to ICU's answers.
namespace analyzer_internal {
using Spans = std::vector<std::pair<uint32_t, uint32_t>>;
// Through ICU, for any text.
void IcuWordSpans(absl::string_view text, Spans* spans);
// Without ICU, for ASCII text only: false (and spans untouched) otherwise.
bool AsciiWordSpans(absl::string_view text, Spans* spans);
}  // namespace analyzer_internal

}  // namespace retro::index
