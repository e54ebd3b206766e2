// TempDir: a fresh directory for one test, removed with everything in it
// when the object goes away. Not thread-safe; one per test.
#pragma once

#include <string>

namespace retro::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The file's content without trailing newlines and spaces ("" when it
// cannot be read): tokens, logs.
std::string ReadTrimmed(const std::string& path);

// An integer from the environment (the long runs set sizes so), or fallback
// when unset or empty.
int EnvInt(const char* name, int fallback);

}  // namespace retro::testing
