// retrod: the retro server.
//
//   retrod --listen=127.0.0.1:0 --data_dir=./var/data --root_token_file=./var/root_token
//
// Logs the address it bound ("retrod listening on HOST:PORT"), so tests can
// use port 0. SIGTERM or SIGINT shut it down gracefully. Every flag may also
// be set in the environment as RETROD_<FLAG> (RETROD_DATA_DIR=...); the
// command line wins, and --flagfile=FILE reads flags from a file.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/server/retro_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve on; port 0 picks one");
ABSL_FLAG(std::string, data_dir, "./var/data", "RocksDB data directory");
ABSL_FLAG(std::string, root_token_file, "./var/root_token",
          "file holding the root token; created (mode 0600) when missing");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; with --tls_key, serve TLS only");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert (keep it 0600)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; clients must present a certificate it signed (mutual TLS)");
ABSL_FLAG(bool, access_log, true, "log one JSON line per RPC to stderr");
ABSL_FLAG(bool, reindex, false,
          "rebuild the lesson library's index from the stored lessons, then exit");
ABSL_FLAG(int64_t, shutdown_grace_seconds, 10, "how long in-flight calls may run on shutdown");
ABSL_FLAG(int, max_threads, 512,
          "threads serving unary calls; calls beyond them get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, fanout_threads, 1,
          "threads that start the streams of a session with many watchers (0: its writer does)");
ABSL_FLAG(bool, fanout_on_grpc_threads, true,
          "start those streams on gRPC's own executor threads rather than retro's: less CPU");
ABSL_FLAG(int64_t, memory_quota_mb, 1024, "memory gRPC may use for calls before it sheds them");
ABSL_FLAG(int, max_queued_writes, 256,
          "writes waiting for one session beyond this get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, keepalive_seconds, 20,
          "ping idle clients this often; one silent for this plus 10 s is dropped");

namespace {

void Log(const std::string& message) {
  std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::fprintf(stderr, "%s retrod %s\n", now.c_str(), message.c_str());
  std::fflush(stderr);
}

// "--name=value" for each of retrod's flags set as RETROD_<NAME> in the
// environment, to go before the command line's own (later ones win).
std::vector<std::string> FlagsFromEnvironment() {
  std::vector<std::string> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!absl::StrContains(flag->Filename(), "retrod_main")) continue;
    const std::string variable = "RETROD_" + absl::AsciiStrToUpper(name);
    if (const char* value = std::getenv(variable.c_str())) {
      flags.push_back("--" + std::string(name) + "=" + value);
    }
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "retrod: live deal retrospectives over gRPC, stored in RocksDB.\n"
      "Every flag may also be set as RETROD_<FLAG> in the environment "
      "(RETROD_DATA_DIR=/var/lib/retro); the command line wins.");
  std::vector<std::string> environment = FlagsFromEnvironment();
  std::vector<char*> arguments(argv, argv + 1);
  for (std::string& flag : environment) arguments.push_back(flag.data());
  arguments.insert(arguments.end(), argv + 1, argv + argc);
  absl::ParseCommandLine(static_cast<int>(arguments.size()), arguments.data());
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles
  // (a debug aid costing a few percent of the write path); the tests keep
  // the check, the server does not pay for it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  if (absl::GetFlag(FLAGS_reindex)) {
    absl::Time start = absl::Now();
    uint64_t last_percent = 101;
    absl::Status status = retro::server::RebuildLibrary(
        absl::GetFlag(FLAGS_data_dir), [&](uint64_t done, uint64_t total) {
          uint64_t percent = total == 0 ? 100 : done * 100 / total;
          if (percent != last_percent) {
            last_percent = percent;
            Log("reindex: " + std::to_string(done) + "/" + std::to_string(total) + " lessons (" +
                std::to_string(percent) + "%)");
          }
        });
    if (!status.ok()) {
      Log("reindex failed: " + std::string(status.ToString()));
      return 1;
    }
    Log("reindex done in " + absl::FormatDuration(absl::Now() - start));
    return 0;
  }

  // Signals are taken by sigwait below, never by a random thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  retro::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.root_token_file = absl::GetFlag(FLAGS_root_token_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.log = Log;
  options.max_threads = absl::GetFlag(FLAGS_max_threads);
  options.fanout_threads = absl::GetFlag(FLAGS_fanout_threads);
  options.fanout_on_grpc_threads = absl::GetFlag(FLAGS_fanout_on_grpc_threads);
  options.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_mb) << 20;
  options.max_queued_writes_per_session = absl::GetFlag(FLAGS_max_queued_writes);
  options.keepalive_time = absl::Seconds(absl::GetFlag(FLAGS_keepalive_seconds));
  if (absl::GetFlag(FLAGS_access_log)) {
    options.access_log = [](const std::string& line) {
      std::fprintf(stderr, "%s\n", line.c_str());
    };
  }
  bool existed = access(options.root_token_file.c_str(), F_OK) == 0;
  auto server = retro::server::RetroServer::Start(options);
  if (!server.ok()) {
    Log("cannot start: " + std::string(server.status().ToString()));
    return 1;
  }
  Log((existed ? "root token in " : "created root token in ") + options.root_token_file);
  Log("data in " + options.data_dir);
  Log(std::string("listening on ") + (*server)->address() +
      (options.tls_cert_file.empty() ? "" : " (TLS)"));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(std::string("received ") + (signal_number == SIGTERM ? "SIGTERM" : "SIGINT") +
      ", shutting down");
  (*server)->Shutdown(absl::Seconds(absl::GetFlag(FLAGS_shutdown_grace_seconds)));
  Log("stopped");
  return 0;
}
