// Certificates: throw-away PEM files made by openssl for TLS tests: a CA
// (ca.pem), a server certificate for 127.0.0.1 and localhost (server.pem,
// server.key) and a client certificate (client.pem, client.key), all in a
// directory removed with the object. Not thread-safe.
#pragma once

#include <string>

#include "tests/testing/temp_dir.h"

namespace retro::testing {

class Certificates {
 public:
  Certificates();
  // False when openssl failed.
  bool ok() const { return ok_; }
  // The file's path, e.g. Path("ca.pem").
  std::string Path(const std::string& name) const { return dir_.Join(name); }

 private:
  TempDir dir_;
  bool ok_ = false;
};

}  // namespace retro::testing
