// LessonGenerator: a deterministic stream of realistic sales lessons (about
// 15 words each, with deal facts) for benchmarks. The same seed gives the
// same corpus on every machine. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "retro/v1/library_service.pb.h"

namespace retro::bench {

class LessonGenerator {
 public:
  explicit LessonGenerator(uint64_t seed = 20261122) : random_(seed) {}

  // The next lesson; lessons come in deals of 3 to 8 sharing a session.
  retro::v1::Lesson Next();
  // A query a user would type about this corpus: kind 0 one word, 1 two
  // words, 2 three words, 3 a phrase, 4 a prefix.
  std::string Query(int kind);
  // A vocabulary word (for filters and typos).
  std::string Word();

 private:
  const std::string& Pick(const std::vector<std::string>& from);
  std::mt19937_64 random_;
  int64_t deal_ = 0;
  int remaining_in_deal_ = 0;
  retro::v1::Lesson deal_template_;
};

}  // namespace retro::bench
