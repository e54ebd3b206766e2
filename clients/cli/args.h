// Command-line parsing for one `retro` subcommand: declared flags
// ("--name=value", "--name value", boolean "--name", repeatable ones) and
// positional arguments, with the usage text generated from the same table.
// Plain values, not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace retro::cli {

struct FlagSpec {
  std::string name;        // without the dashes
  std::string value_name;  // empty for a boolean flag
  std::string help;
  bool repeated = false;
};

struct CommandSpec {
  std::string path;         // "session create"
  std::string positionals;  // "SESSION TEXT", for the usage line
  std::string summary;      // one line
  std::string details;      // optional, printed after the flags
  std::vector<FlagSpec> flags;
  int min_positionals = 0;
  int max_positionals = 0;  // -1: any number
};

// Flags every command takes (connection and output), listed once in help.
const std::vector<FlagSpec>& GlobalFlags();

class Args {
 public:
  // Parses `args` (the words after the command path) against `spec` plus the
  // global flags. INVALID_ARGUMENT names the offending flag or argument.
  static absl::StatusOr<Args> Parse(const CommandSpec& spec, const std::vector<std::string>& args);

  bool Has(absl::string_view name) const;
  // The last value given, or `fallback`.
  std::string Get(absl::string_view name, absl::string_view fallback = "") const;
  // Every value of a repeated flag; "a,b" is split on commas.
  std::vector<std::string> GetAll(absl::string_view name) const;
  // Every value of a repeated flag exactly as given (for free text).
  std::vector<std::string> GetEach(absl::string_view name) const;
  // An integer flag; INVALID_ARGUMENT if it is not a number in [lo, hi].
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t fallback, int64_t lo,
                                 int64_t hi) const;

  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::string& positional(size_t i) const { return positionals_[i]; }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
};

// "Usage: retro session create [flags] ..." with every flag's help.
std::string Usage(const CommandSpec& spec);

}  // namespace retro::cli
