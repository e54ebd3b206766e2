#include "clients/cli/args.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace retro::cli {
namespace {

const FlagSpec* FindFlag(const CommandSpec& spec, absl::string_view name) {
  for (const FlagSpec& flag : spec.flags) {
    if (flag.name == name) return &flag;
  }
  for (const FlagSpec& flag : GlobalFlags()) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

std::string FlagLine(const FlagSpec& flag) {
  std::string left = absl::StrCat("  --", flag.name);
  if (!flag.value_name.empty()) absl::StrAppend(&left, "=", flag.value_name);
  if (left.size() < 28)
    left.resize(28, ' ');
  else
    absl::StrAppend(&left, "\n", std::string(28, ' '));
  std::string line = absl::StrCat(left, flag.help);
  if (flag.repeated) absl::StrAppend(&line, " (repeatable, or comma-separated)");
  return absl::StrCat(line, "\n");
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* const kFlags = new std::vector<FlagSpec>{
      {"server", "HOST:PORT", "retrod address (default: $RETRO_SERVER, then `retro login`)"},
      {"token", "TOKEN", "bearer token (default: $RETRO_TOKEN, then `retro login`)"},
      {"ca", "FILE", "PEM CA certificate: connect with TLS and trust this CA ($RETRO_CA)"},
      {"tls", "", "connect with TLS using the system's trusted CAs"},
      {"cert", "FILE", "PEM client certificate, for servers that require mutual TLS"},
      {"key", "FILE", "PEM private key of --cert"},
      {"output", "FORMAT", "table (default) or json (protobuf's JSON mapping)"},
      {"timeout", "SECONDS", "deadline of each call (default 30)"},
      {"help", "", "show this help"},
  };
  return *kFlags;
}

absl::StatusOr<Args> Args::Parse(const CommandSpec& spec, const std::vector<std::string>& args) {
  Args parsed;
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (flags_done || word.size() < 3 || word.compare(0, 2, "--") != 0) {
      if (word == "--") {
        flags_done = true;
        continue;
      }
      parsed.positionals_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    const FlagSpec* flag = FindFlag(spec, name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " for `retro ", spec.path, "` (see --help)"));
    }
    if (flag->value_name.empty()) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      if (!has_value) value = "true";
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", flag->value_name, ")"));
      }
      value = args[++i];
    }
    std::vector<std::string>& slot = parsed.values_[name];
    if (!flag->repeated) slot.clear();
    slot.push_back(std::move(value));
  }
  if (parsed.Has("help")) return parsed;
  const int count = static_cast<int>(parsed.positionals_.size());
  if (count < spec.min_positionals) {
    return absl::InvalidArgumentError(
        absl::StrCat("`retro ", spec.path, "` needs ", spec.positionals, " (see --help)"));
  }
  if (spec.max_positionals >= 0 && count > spec.max_positionals) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '", parsed.positionals_[spec.max_positionals],
                     "' for `retro ", spec.path, "` (quote text with spaces; see --help)"));
  }
  return parsed;
}

bool Args::Has(absl::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second.empty() && it->second.back() != "false";
}

std::string Args::Get(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> Args::GetAll(absl::string_view name) const {
  std::vector<std::string> out;
  auto it = values_.find(name);
  if (it == values_.end()) return out;
  for (const std::string& value : it->second) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      out.emplace_back(absl::StripAsciiWhitespace(part));
    }
  }
  return out;
}

std::vector<std::string> Args::GetEach(absl::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<int64_t> Args::GetInt(absl::string_view name, int64_t fallback, int64_t lo,
                                     int64_t hi) const {
  if (!Has(name)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(name), &value) || value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a whole number from ", lo, " to ", hi));
  }
  return value;
}

std::string Usage(const CommandSpec& spec) {
  std::string out = absl::StrCat("Usage: retro ", spec.path);
  if (!spec.flags.empty()) absl::StrAppend(&out, " [flags]");
  if (!spec.positionals.empty()) absl::StrAppend(&out, " ", spec.positionals);
  absl::StrAppend(&out, "\n\n", spec.summary, "\n");
  if (!spec.flags.empty()) {
    absl::StrAppend(&out, "\nFlags:\n");
    for (const FlagSpec& flag : spec.flags) absl::StrAppend(&out, FlagLine(flag));
  }
  if (!spec.details.empty()) absl::StrAppend(&out, "\n", spec.details, "\n");
  absl::StrAppend(&out, "\nConnection and output flags:\n");
  for (const FlagSpec& flag : GlobalFlags()) absl::StrAppend(&out, FlagLine(flag));
  return out;
}

}  // namespace retro::cli
