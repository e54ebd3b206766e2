// Bearer tokens: generation from OpenSSL's CSPRNG, hashing for storage, and
// constant-time comparison.
//
// A token reads "rt_<token id>_<secret>": the id (16 hex digits) finds the
// stored record, and the secret (32 random bytes, base64url) is checked
// against the record's SHA-256 in constant time. Only the hash is stored.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace retro {

struct TokenParts {
  std::string token_id;
  std::string secret;
};

// `bytes` random bytes from the CSPRNG, base64url without padding.
std::string RandomSecret(size_t bytes = 32);
// 16 random hex digits.
std::string RandomTokenId();
std::string FormatToken(const TokenParts& parts);
// nullopt when the text is not shaped like a token.
std::optional<TokenParts> ParseToken(absl::string_view token);
// Raw 32-byte SHA-256 digest.
std::string Sha256(absl::string_view data);
// Compares without leaking where the first difference is.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace retro
