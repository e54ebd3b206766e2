#include "services/common/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
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
  // OpenSSL 3's one-shot SHA256() looks the algorithm up among the loaded
  // providers on every call, under a lock: a third of the hash's cost on
  // every authenticated request. Fetched once, and one context per thread.
  static const EVP_MD* const sha256 = [] {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
#else
    const EVP_MD* md = EVP_sha256();
#endif
    if (md == nullptr) {
      std::fprintf(stderr, "OpenSSL has no SHA-256\n");
      std::abort();
    }
    return md;
  }();
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = 0;
  if (context == nullptr || EVP_DigestInit_ex(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1 || length != sizeof(digest)) {
    std::fprintf(stderr, "SHA-256 failed\n");
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace retro
