#include "storage/index/analyzer.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

namespace analyzer_internal {

void IcuWordSpans(absl::string_view text, Spans* spans) {
  spans->clear();
  if (text.empty()) return;
  UErrorCode status = U_ZERO_ERROR;
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_FAILURE(status)) return;
  icu::BreakIterator& words = *State().words;
  words.setText(utext, status);
  if (U_SUCCESS(status)) {
    int32_t begin = words.first();
    for (int32_t end = words.next(); end != icu::BreakIterator::DONE;
         begin = end, end = words.next()) {
      if (words.getRuleStatus() == UBRK_WORD_NONE) continue;  // Spaces, punctuation.
      spans->emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(end));
    }
  }
  utext_close(utext);
}

namespace {

// The Word_Break classes (Unicode UAX #29, as ICU's rules tailor them) of
// the ASCII characters that can be part of a word; everything else breaks.
enum WordClass : uint8_t {
  kOther = 0,
  kLetter,        // ALetter: A-Z a-z (and @ in ICU 72 and 73).
  kNumeric,       // 0-9.
  kExtendNumLet,  // '_'.
  kMidNumLetQ,    // MidNumLet '.' and Single_Quote '\'': inside words and numbers.
  kMidNum,        // ',' ';': inside numbers only. (ICU's rules take ':' out of
                  // MidLetter, so no ASCII character is MidLetter.)
};

constexpr std::array<WordClass, 128> MakeWordClasses() {
  std::array<WordClass, 128> classes{};
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kLetter;
  for (int c = '0'; c <= '9'; ++c) classes[c] = kNumeric;
  classes['_'] = kExtendNumLet;
  classes['.'] = kMidNumLetQ;
  classes['\''] = kMidNumLetQ;
  classes[','] = kMidNum;
  classes[';'] = kMidNum;
  return classes;
}
// The classes, with '@' as the ICU this process runs has it: ICU 72 and
// 73 tailor it into a letter (for e-mail addresses), later versions do not.
const std::array<WordClass, 128>& WordClasses() {
  static const std::array<WordClass, 128> classes = [] {
    std::array<WordClass, 128> with_at = MakeWordClasses();
    Spans spans;
    IcuWordSpans("a@b", &spans);
    with_at['@'] = spans.size() == 1 ? kLetter : kOther;
    return with_at;
  }();
  return classes;
}

bool IsWordPart(WordClass c) { return c == kLetter || c == kNumeric || c == kExtendNumLet; }

}  // namespace

bool AsciiWordSpans(absl::string_view text, Spans* spans) {
  // Eight bytes at a time: any byte with its top bit set is not ASCII.
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, text.data() + i, 8);
    if (chunk & 0x8080808080808080ull) return false;
  }
  for (; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) return false;
  }
  spans->clear();
  const size_t n = text.size();
  const std::array<WordClass, 128>& classes = WordClasses();
  auto class_at = [&](size_t at) {
    return at < n ? classes[static_cast<unsigned char>(text[at])] : kOther;
  };
  size_t at = 0;
  while (at < n) {
    WordClass first = class_at(at);
    if (!IsWordPart(first)) {
      ++at;
      continue;
    }
    // A word: letters, digits and '_' run together (WB5, WB8-10, WB13a-b);
    // a letter, one of .' and a letter stay together (WB6-7), as do a
    // digit, one of .',; and a digit (WB11-12).
    const size_t begin = at;
    WordClass last = first;
    ++at;
    while (at < n) {
      WordClass next = class_at(at);
      if (IsWordPart(next)) {
        last = next;
        ++at;
        continue;
      }
      WordClass after = class_at(at + 1);
      if ((last == kLetter && next == kMidNumLetQ && after == kLetter) ||
          (last == kNumeric && (next == kMidNumLetQ || next == kMidNum) && after == kNumeric)) {
        last = after;
        at += 2;
        continue;
      }
      break;
    }
    // A lone '_' is not a word (no rule joins it to anything).
    if (at - begin == 1 && first == kExtendNumLet) continue;
    spans->emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(at));
  }
  return true;
}

}  // namespace analyzer_internal

std::vector<Token> Analyzer::Analyze(absl::string_view text, bool keep_stop_words) const {
  std::vector<Token> tokens;
  if (text.empty()) return tokens;
  // Most lessons are ASCII, where UAX #29's rules come down to a few
  // character classes that a single scan applies far faster than ICU's
  // rule engine; the test that compares the two keeps them in step.
  thread_local analyzer_internal::Spans spans;
  if (!analyzer_internal::AsciiWordSpans(text, &spans)) {
    analyzer_internal::IcuWordSpans(text, &spans);
  }
  tokens.reserve(spans.size());
  uint32_t position = 0;
  for (const auto& [begin, end] : spans) {
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
    token.begin = begin;
    token.end = end;
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace retro::index
