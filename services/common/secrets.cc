#include "services/common/secrets.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace retro {
namespace {

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed: no secure randomness\n");
    std::abort();
  }
  return bytes;
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string RandomSecret(size_t bytes) { return absl::WebSafeBase64Escape(RandomBytes(bytes)); }

std::string RandomTokenId() { return absl::BytesToHexString(RandomBytes(8)); }

std::string FormatToken(const TokenParts& parts) {
  return absl::StrCat("rt_", parts.token_id, "_", parts.secret);
}

std::optional<TokenParts> ParseToken(absl::string_view token) {
  if (token.size() < 3 + 16 + 1 + 1 || token.substr(0, 3) != "rt_") return std::nullopt;
  absl::string_view id = token.substr(3, 16);
  if (!IsHex(id) || token[19] != '_') return std::nullopt;
  return TokenParts{std::string(id), std::string(token.substr(20))};
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace retro
