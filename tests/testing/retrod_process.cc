#include "tests/testing/retrod_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace retro::testing {

RetrodProcess::RetrodProcess(std::string binary, std::string data_dir, std::string root_token_file,
                             std::string log_file)
    : binary_(std::move(binary)),
      data_dir_(std::move(data_dir)),
      root_token_file_(std::move(root_token_file)),
      log_file_(std::move(log_file)) {}

RetrodProcess::~RetrodProcess() { Kill(); }

bool RetrodProcess::Start(std::string* error) {
  ::truncate(log_file_.c_str(), 0);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    std::vector<std::string> args = {binary_, "--listen=127.0.0.1:0", "--data_dir=" + data_dir_,
                                     "--root_token_file=" + root_token_file_};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  const std::string marker = "listening on ";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log_file_);
    std::stringstream content;
    content << in.rdbuf();
    std::string log = content.str();
    size_t at = log.find(marker);
    if (at != std::string::npos) {
      size_t end = log.find_first_of(" \n", at + marker.size());
      if (end != std::string::npos) {
        address_ = log.substr(at + marker.size(), end - at - marker.size());
        return true;
      }
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "retrod exited: " + log;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "retrod did not log its address in 30 s";
  Kill();
  return false;
}

void RetrodProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int RetrodProcess::Terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace retro::testing
