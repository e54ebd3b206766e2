// RetroServer: a running retrod: the database, the stores, the controllers,
// the live hub and the gRPC server, wired together and torn down in order.
// Used by retrod's main and by in-process tests.
//
//   ASSIGN_OR_RETURN(auto server, RetroServer::Start(options));
//   ... server->port() ...
//   server->Shutdown(absl::Seconds(5));
//
// Thread-safe: Shutdown may be called from any thread, once or more.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/common/ids.h"
#include "services/live/session_hub.h"

namespace rocksdb {
class Env;
}

namespace retro::server {

struct ServerOptions {
  // host:port; port 0 picks a free one (see RetroServer::address()).
  std::string listen = "127.0.0.1:50051";
  std::string data_dir = "./var/data";
  // Created with a fresh token (mode 0600) when missing.
  std::string root_token_file = "./var/root_token";
  live::WatcherLimits watcher_limits;
  // Events kept per session so that watchers join without a gap.
  size_t recent_events_kept = 1024;
  // Shares (one a thread) in which the watch streams of a session with
  // many watchers are started off its writer, so that it goes on (see
  // session_hub.h); 0 starts them on the writer's thread. With retro's own
  // threads on 2 cores, one did best: with 1,000 watchers at 100 events a
  // second, p99 24.6 ms against 33.3 ms on the writer's thread (medians of
  // 8 alternating runs); two threads and four had worse tails (46.6 and
  // 104 ms), competing with gRPC's own threads.
  int fanout_threads = 1;
  // Run those shares on gRPC's own executor threads instead of retro's:
  // each stream write's completion then stays on the thread that started
  // it (services/api/grpc_executor.h). At 1,000 watchers and 100 events a
  // second, 11 to 23% less CPU (median 16%).
  bool fanout_on_grpc_threads = true;
  // Bound on the memory gRPC may use for calls and its threads.
  int64_t memory_quota_bytes = int64_t{1} << 30;
  int max_threads = 512;
  // Writes waiting for one session's next batch beyond this are shed with
  // RESOURCE_EXHAUSTED.
  int max_queued_writes_per_session = 256;
  // A client that stops answering keepalive pings is dropped after
  // keepalive_time + keepalive_timeout.
  absl::Duration keepalive_time = absl::Seconds(20);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // TLS: a PEM certificate chain and key turn it on; a client CA also
  // requires and verifies client certificates (mutual TLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Receives operational lines (disk trouble and recovery); none when empty.
  std::function<void(const std::string&)> log;
  // Receives one JSON line per RPC (see access_log.h); none when empty.
  std::function<void(const std::string&)> access_log;
  // Borrowed; nullptr means the real clock, random ids, default Env.
  Clock* clock = nullptr;
  IdGenerator* ids = nullptr;
  rocksdb::Env* env = nullptr;
};

class RetroServer {
 public:
  static absl::StatusOr<std::unique_ptr<RetroServer>> Start(const ServerOptions& options);
  // Shuts down (with a short grace) if not done yet.
  ~RetroServer();

  // "host:port" actually bound.
  const std::string& address() const;
  int port() const;
  const std::string& root_token_file() const;

  // Ends every watch with UNAVAILABLE, lets in-flight calls finish until
  // the grace runs out, then closes the database cleanly.
  void Shutdown(absl::Duration grace);

 private:
  struct Parts;
  explicit RetroServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// Rebuilds the lesson library's index of the data directory from the
// stored lessons (retrod --reindex), while no server uses it.
absl::Status RebuildLibrary(const std::string& data_dir,
                            const std::function<void(uint64_t done, uint64_t total)>& progress);

// Reads the root token from path, creating the file with a fresh token
// (mode 0600) when it does not exist. Sets *created accordingly.
absl::StatusOr<std::string> LoadOrCreateRootToken(const std::string& path, bool* created);

}  // namespace retro::server
