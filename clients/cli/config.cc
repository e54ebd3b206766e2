#include "clients/cli/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cli/args.h"

namespace retro::cli {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status MakeDirs(const std::string& dir) {
  size_t pos = 0;
  while ((pos = dir.find('/', pos + 1)) != std::string::npos) {
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + prefix);
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + dir);
  return absl::OkStatus();
}

}  // namespace

std::string CredentialsPath() {
  std::string base = Env("XDG_CONFIG_HOME");
  if (base.empty()) base = Env("HOME") + "/.config";
  return base + "/retro/credentials";
}

absl::StatusOr<Credentials> LoadCredentialsFile(const std::string& path) {
  Credentials credentials;
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return credentials;
    return Errno("stat " + path);
  }
  if ((info.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " holds a token but others can read it; run `chmod 600 ", path, "`"));
  }
  std::ifstream in(path);
  if (!in) return Errno("open " + path);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view view = absl::StripAsciiWhitespace(line);
    if (view.empty() || view.front() == '#') continue;
    std::pair<std::string, std::string> kv = absl::StrSplit(view, absl::MaxSplits('=', 1));
    std::string key(absl::StripAsciiWhitespace(kv.first));
    std::string value(absl::StripAsciiWhitespace(kv.second));
    if (key == "server")
      credentials.server = value;
    else if (key == "token")
      credentials.token = value;
    else if (key == "ca")
      credentials.ca_file = value;
    else if (key == "tls")
      credentials.tls = value == "true";
    else if (key == "cert")
      credentials.cert_file = value;
    else if (key == "key")
      credentials.key_file = value;
  }
  return credentials;
}

absl::Status SaveCredentialsFile(const std::string& path, const Credentials& credentials) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (absl::Status status = MakeDirs(dir); !status.ok()) return status;
  std::string body =
      absl::StrCat("# written by `retro login`; holds a bearer token\n",
                   "server=", credentials.server, "\n", "token=", credentials.token, "\n");
  if (!credentials.ca_file.empty()) absl::StrAppend(&body, "ca=", credentials.ca_file, "\n");
  if (credentials.tls) absl::StrAppend(&body, "tls=true\n");
  if (!credentials.cert_file.empty()) absl::StrAppend(&body, "cert=", credentials.cert_file, "\n");
  if (!credentials.key_file.empty()) absl::StrAppend(&body, "key=", credentials.key_file, "\n");

  const std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create " + temp);
  // O_CREAT's mode does not apply to a file left over from a crash.
  bool ok = fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < body.size()) {
    ssize_t n = write(fd, body.data() + written, body.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : Errno("write " + temp);
  close(fd);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) status = Errno("rename " + path);
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

absl::StatusOr<Credentials> ResolveCredentials(const Args& args, bool need_token) {
  const std::string path = CredentialsPath();
  absl::StatusOr<Credentials> file = LoadCredentialsFile(path);
  if (!file.ok()) return file.status();
  Credentials result = *file;
  auto pick = [&](std::string* field, const char* flag, const char* env) {
    if (args.Has(flag))
      *field = args.Get(flag);
    else if (std::string value = Env(env); !value.empty())
      *field = value;
  };
  pick(&result.server, "server", "RETRO_SERVER");
  pick(&result.token, "token", "RETRO_TOKEN");
  pick(&result.ca_file, "ca", "RETRO_CA");
  pick(&result.cert_file, "cert", "RETRO_CERT");
  pick(&result.key_file, "key", "RETRO_KEY");
  if (args.Has("tls")) result.tls = true;
  if (result.server.empty()) {
    return absl::FailedPreconditionError(
        "no server: run `retro login --server HOST:PORT --token TOKEN` or set RETRO_SERVER");
  }
  if (need_token && result.token.empty()) {
    return absl::FailedPreconditionError(
        "no token: run `retro login --server HOST:PORT --token TOKEN` or set RETRO_TOKEN");
  }
  if (result.cert_file.empty() != result.key_file.empty()) {
    return absl::InvalidArgumentError("--cert and --key go together");
  }
  return result;
}

}  // namespace retro::cli
