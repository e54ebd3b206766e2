// The `retro` command table: each command is a spec (flags, positionals,
// help) and a function run with a Context. Commands return absl::Status;
// main turns a failure into one line on stderr and a non-zero exit code.
#pragma once

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/cli/args.h"
#include "clients/cli/connection.h"
#include "google/protobuf/message.h"

namespace retro::cli {

// What a running command has: its arguments, where to print, and the
// connection (opened on first use, so `--help` and usage errors need none).
class Context {
 public:
  Context(const Args& args, std::ostream& out, std::ostream& err)
      : args_(args), out_(out), err_(err) {}

  const Args& args() const { return args_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return args_.Get("output") == "json"; }
  // With --output json: prints `message` in protobuf's JSON mapping and
  // returns true, and the command prints nothing else.
  bool PrintJson(const google::protobuf::Message& message);

  absl::StatusOr<Connection*> Connect(bool need_token = true);
  // Connects with exactly these credentials (login checks a new token).
  absl::Status ConnectWith(const Credentials& credentials);

  // Runs one unary call with a fresh context and converts its status.
  template <typename Fn>
  absl::Status Call(Fn&& fn) {
    absl::StatusOr<Connection*> connection = Connect();
    if (!connection.ok()) return connection.status();
    std::unique_ptr<grpc::ClientContext> context = (*connection)->NewContext();
    return FromGrpc(fn(*connection, context.get()));
  }

 private:
  const Args& args_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<Connection> connection_;
};

struct Command {
  CommandSpec spec;
  std::function<absl::Status(Context&)> run;
};

void AddAccountCommands(std::vector<Command>* commands);  // login, logout, whoami, admin
void AddSessionCommands(std::vector<Command>* commands);  // session, annotate, vote, ...
void AddLibraryCommands(std::vector<Command>* commands);  // search, trends, export, ...
void AddLiveCommand(std::vector<Command>* commands);      // live

// The whole program, minus process setup; returns the exit code:
// 0 success, 1 the server refused or failed, 2 a usage error.
int RunRetro(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err);

// A spinner with elapsed time on stderr while `work` runs, when stderr is a
// terminal; nothing otherwise. Used for long single calls such as backup.
absl::Status WithSpinner(Context& context, const std::string& label,
                         const std::function<absl::Status()>& work);

}  // namespace retro::cli
