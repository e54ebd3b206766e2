// Where `retro` finds its server and token: flags, then the environment
// (RETRO_SERVER, RETRO_TOKEN, RETRO_CA), then the credentials file that
// `retro login` writes ($XDG_CONFIG_HOME/retro/credentials, by default
// ~/.config/retro/credentials, mode 0600). Plain functions and values.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace retro::cli {

class Args;

struct Credentials {
  std::string server;
  std::string token;
  std::string ca_file;  // empty: plaintext unless `tls` is set
  bool tls = false;
  std::string cert_file;  // client certificate for mutual TLS
  std::string key_file;
};

// The credentials file's path; it does not have to exist.
std::string CredentialsPath();

// Reads the file; a missing file gives empty credentials. A file that others
// can read is refused, since it holds a bearer token.
absl::StatusOr<Credentials> LoadCredentialsFile(const std::string& path);

// Writes atomically (temporary file, fsync, rename) with mode 0600, creating
// the directory with mode 0700.
absl::Status SaveCredentialsFile(const std::string& path, const Credentials& credentials);

// Flags over environment over the file. FAILED_PRECONDITION, saying how to
// log in, when no server or token is known.
absl::StatusOr<Credentials> ResolveCredentials(const Args& args, bool need_token = true);

}  // namespace retro::cli
