// The built-in win/loss reason taxonomy: the codes a deal's reasons (and
// library filters) may use.
#pragma once

#include <set>
#include <string>

namespace retro::core {

inline const std::set<std::string>& ReasonCodes() {
  static const auto* codes =
      new std::set<std::string>{"price",        "product_fit",          "timing",
                                "no_budget",    "no_executive_sponsor", "competitor_strength",
                                "relationship", "process_misalignment", "implementation_risk"};
  return *codes;
}

}  // namespace retro::core
