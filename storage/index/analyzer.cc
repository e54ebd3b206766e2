#include "storage/index/analyzer.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"

namespace retro::index {
namespace {

// English stop words (Snowball's list, less a few words that carry meaning
// in sales lessons: "against", "no", "not", "nor", "too", "very").
const absl::flat_hash_set<std::string>& StopWords() {
  static const auto* words = new absl::flat_hash_set<std::string>{
      "a",       "about",      "above", "after",   "again",   "all",   "am",       "an",
      "and",     "any",        "are",   "as",      "at",      "be",    "because",  "been",
      "before",  "being",      "below", "between", "both",    "but",   "by",       "can",
      "could",   "did",        "do",    "does",    "doing",   "down",  "during",   "each",
      "few",     "for",        "from",  "further", "had",     "has",   "have",     "having",
      "he",      "her",        "here",  "hers",    "herself", "him",   "himself",  "his",
      "how",     "i",          "if",    "in",      "into",    "is",    "it",       "its",
      "itself",  "just",       "me",    "more",    "most",    "my",    "myself",   "of",
      "off",     "on",         "once",  "only",    "or",      "other", "ought",    "our",
      "ours",    "ourselves",  "out",   "over",    "own",     "same",  "she",      "should",
      "so",      "some",       "such",  "than",    "that",    "the",   "their",    "theirs",
      "them",    "themselves", "then",  "there",   "these",   "they",  "this",     "those",
      "through", "to",         "under", "until",   "up",      "was",   "we",       "were",
      "what",    "when",       "where", "which",   "while",   "who",   "whom",     "why",
      "will",    "with",       "would", "you",     "your",    "yours", "yourself", "yourselves",
      "s",       "t",          "don",   "now",     "ll",      "re",    "ve",       "d",
      "m"};
  return *words;
}

// Stems remembered per thread: a language's words repeat (Zipf), and
// Snowball's answer for a word never changes. Bounded, and cleared when
// full, so a flood of made-up words costs at most this many entries.
constexpr size_t kMaxCachedStems = 16384;

// Per-thread ICU break iterator and Snowball stemmer: neither is thread-safe.
struct ThreadState {
  std::unique_ptr<icu::BreakIterator> words;
  sb_stemmer* stemmer = nullptr;
  absl::flat_hash_map<std::string, std::string> stems;
  ThreadState() {
    UErrorCode status = U_ZERO_ERROR;
    words.reset(icu::BreakIterator::createWordInstance(icu::Locale::getEnglish(), status));
    stemmer = sb_stemmer_new("english", "UTF_8");
    if (U_FAILURE(status) || words == nullptr || stemmer == nullptr) {
      std::fprintf(stderr, "analyzer: ICU or libstemmer failed to initialize\n");
      std::abort();
    }
  }
  ~ThreadState() { sb_stemmer_delete(stemmer); }
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

}  // namespace

const Analyzer& Analyzer::English() {
  static const Analyzer* analyzer = new Analyzer();
  return *analyzer;
}

std::string Analyzer::Fold(absl::string_view word) const {
  // ASCII is most words, and for it folding is exactly lower-casing: the
  // only ASCII characters Unicode case folding changes are A-Z, NFD changes
  // none, and none is a combining mark. Only other words go through ICU.
  if (std::all_of(word.begin(), word.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return absl::AsciiStrToLower(word);
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(word.data(), static_cast<int32_t>(word.size())));
  text.foldCase();
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString decomposed = nfd->normalize(text, status);
  if (U_FAILURE(status)) decomposed = text;
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 c = decomposed.char32At(i);
    if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
    i += U16_LENGTH(c);
  }
  std::string out;
  stripped.toUTF8String(out);
  return out;
}

std::string Analyzer::Stem(absl::string_view folded) const {
  ThreadState& state = State();
  if (auto it = state.stems.find(folded); it != state.stems.end()) return it->second;
  const sb_symbol* stem =
      sb_stemmer_stem(state.stemmer, reinterpret_cast<const sb_symbol*>(folded.data()),
                      static_cast<int>(folded.size()));
  std::string out = stem == nullptr ? std::string(folded)
                                    : std::string(reinterpret_cast<const char*>(stem),
                                                  sb_stemmer_length(state.stemmer));
  if (state.stems.size() >= kMaxCachedStems) state.stems.clear();
  state.stems.emplace(folded, out);
  return out;
}

bool Analyzer::IsStopWord(absl::string_view folded) const { return StopWords().contains(folded); }

std::vector<Token> Analyzer::Analyze(absl::string_view text, bool keep_stop_words) const {
  std::vector<Token> tokens;
  if (text.empty()) return tokens;
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_FAILURE(status)) return tokens;
  icu::BreakIterator& words = *State().words;
  words.setText(utext, status);
  if (U_FAILURE(status)) {
    utext_close(utext);
    return tokens;
  }
  tokens.reserve(text.size() / 6 + 1);  // About a word in six bytes.
  uint32_t position = 0;
  int32_t begin = words.first();
  for (int32_t end = words.next(); end != icu::BreakIterator::DONE;
       begin = end, end = words.next()) {
    if (words.getRuleStatus() == UBRK_WORD_NONE) continue;  // Spaces, punctuation.
    absl::string_view word = text.substr(begin, end - begin);
    std::string cleaned = Fold(word);
    // Strip apostrophes inside words ("customer's" -> "customers"): ' and
    // the right single quote (E2 80 99). Most words have neither.
    if (cleaned.find_first_of("'\xE2") != std::string::npos) {
      std::string folded = std::move(cleaned);
      cleaned.clear();
      for (size_t i = 0; i < folded.size(); ++i) {
        if (folded[i] == '\'') continue;
        if (folded.compare(i, 3, "\xE2\x80\x99") == 0) {
          i += 2;
          continue;
        }
        cleaned.push_back(folded[i]);
      }
    }
    if (cleaned.empty()) continue;
    uint32_t this_position = position++;
    if (!keep_stop_words && IsStopWord(cleaned)) continue;
    Token token;
    token.term = Stem(cleaned);
    token.folded = std::move(cleaned);
    token.position = this_position;
    token.begin = static_cast<uint32_t>(begin);
    token.end = static_cast<uint32_t>(end);
    tokens.push_back(std::move(token));
  }
  utext_close(utext);
  return tokens;
}

}  // namespace retro::index
