// RetrodProcess: the real retrod binary as a child process on a loopback
// port, for end-to-end tests. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace retro::testing {

class RetrodProcess {
 public:
  // binary: path to retrod; data_dir and root_token_file are passed on.
  RetrodProcess(std::string binary, std::string data_dir, std::string root_token_file,
                std::string log_file);
  ~RetrodProcess();  // SIGKILLs a child still running.

  // More flags for the next Start(), e.g. TLS ones.
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }

  // Starts retrod with --listen=127.0.0.1:0 and waits until it logs the
  // address it bound. Returns false (with the log in *error) on failure.
  bool Start(std::string* error);
  // SIGKILL: no chance to flush anything.
  void Kill();
  // SIGTERM and wait; returns the exit status (or -1).
  int Terminate();

  const std::string& address() const { return address_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_, data_dir_, root_token_file_, log_file_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace retro::testing
