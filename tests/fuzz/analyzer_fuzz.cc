// libFuzzer target: the text analyzer (ICU word breaking, folding, Snowball
// stemming) on any bytes. Tokens must point inside the text, in order, and
// never be empty.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "storage/index/analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  const retro::index::Analyzer& analyzer = retro::index::Analyzer::English();
  for (bool keep_stop_words : {false, true}) {
    uint32_t last_position = 0;
    bool first = true;
    for (const retro::index::Token& token : analyzer.Analyze(text, keep_stop_words)) {
      if (token.term.empty() || token.folded.empty()) std::abort();
      if (token.begin > token.end || token.end > size) std::abort();
      if (!first && token.position <= last_position) std::abort();
      last_position = token.position;
      first = false;
      // Stemming what was folded gives the term again (idempotent paths).
      if (analyzer.Stem(token.folded) != token.term) std::abort();
    }
  }
  (void)analyzer.Fold(text);
  return 0;
}
