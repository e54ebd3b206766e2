// Durable writes end to end: AddAnnotation on one live session from 1, 16
// and 64 concurrent clients against the real retrod over loopback, next to
// two ceilings measured in the same run: a no-op unary call on the same
// server (grpc.health.v1.Health/Check: the transport's limit) and a raw
// write+fdatasync loop in the data directory (the disk's limit). And a
// floor: the same AddAnnotation calls to write_floor_server, which hands
// each to one thread that appends the batch to a file, fdatasyncs it and
// replies, with none of retro's work (what any durable server with this
// shape pays gRPC and the disk; "of floor" is what retro's own work
// leaves of it).
//
// The peer, in the same run: SQLite in WAL mode with synchronous=FULL, each
// client a connection of its own inserting the same annotation and event
// rows in one transaction (what a team would build with SQLite instead).
//
// Closed loop: each client sends its next write when the last one is
// acknowledged, so the figure is the throughput N people typing as fast as
// the server answers would get. The gRPC clients use the callback API (no
// thread per client), which leaves more of the shared cores to the server;
// the no-op ceiling is measured with the same client. Prints medians over
// repetitions, and a second table of CPU a call (the server's, all its
// threads, and this process's, over each measured window), which moves less
// than the rates when other tenants take the shared cores; asserts nothing.
// --floor_only measures the floor alone, to compare its shapes
// (--floor_inline, --floor_async_threads).
//
//   write_bench --clients=1,16,64 --seconds=5 --repetitions=3
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"
#include "tests/bench/live_session.h"
#include "tests/bench/process_usage.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(std::string, retrod, RETROD_PATH, "the retrod binary");
ABSL_FLAG(std::string, floor_server, FLOOR_SERVER_PATH,
          "the write_floor_server binary (empty: no floor column)");
ABSL_FLAG(bool, floor_piggyback, false,
          "the floor's synced replies are sent by gRPC's threads as they take the next calls");
ABSL_FLAG(bool, floor_inline, false,
          "the floor's gRPC thread that finds its writer idle writes and replies itself");
ABSL_FLAG(int, floor_async_threads, 0,
          "the floor serves with gRPC's completion-queue API on this many threads (0: callback)");
ABSL_FLAG(bool, floor_only, false,
          "measure the floor alone (rate, latency and CPU a write), to compare its shapes");
ABSL_FLAG(bool, fail_on_errors, false,
          "exit 1 when a call failed or a measured figure is zero (for the smoke tests)");
ABSL_FLAG(bool, floor_sync, true,
          "the floor appends and fdatasyncs each batch (false: the hand-off to its thread alone)");
ABSL_FLAG(std::string, clients, "1,16,64", "concurrent clients, comma-separated");
ABSL_FLAG(double, seconds, 5, "measured seconds per run");
ABSL_FLAG(double, warmup_seconds, 1, "unmeasured seconds before each run");
ABSL_FLAG(int, repetitions, 3, "runs per configuration; medians are reported");
ABSL_FLAG(int, channels, 8, "HTTP/2 connections the clients share");

namespace {

using retro::bench::CpuSeconds;
using Clock = std::chrono::steady_clock;

struct Run {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  int64_t errors = 0;
  // CPU per counted call over the measured window, in microseconds: the
  // server's (all its threads) and this process's (the clients). Steadier
  // than the rate on a shared machine, where the cores left to us vary.
  double server_cpu_us = 0, client_cpu_us = 0;
};

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  size_t index = static_cast<size_t>(p * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + index, values.end());
  return values[index];
}

double Median(std::vector<double> values) { return Percentile(values, 0.5); }

void Configure(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

Run Summarize(std::vector<std::vector<double>>& latencies, int64_t errors, double seconds) {
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  Run run;
  run.per_second = all.size() / seconds;
  run.errors = errors;
  run.p50_ms = Percentile(all, 0.5);
  run.p99_ms = Percentile(all, 0.99);
  run.p999_ms = Percentile(all, 0.999);
  run.max_ms = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
  return run;
}

// A run's clock: calls sent before count_from are warm-up, none is sent
// from stop on.
struct Window {
  Clock::time_point count_from, stop;
  double seconds;  // measured
};

Window StartWindow() {
  const auto warmup = std::chrono::duration<double>(absl::GetFlag(FLAGS_warmup_seconds));
  const auto measured = std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
  Window window;
  window.count_from = Clock::now() + std::chrono::duration_cast<Clock::duration>(warmup);
  window.stop = window.count_from + std::chrono::duration_cast<Clock::duration>(measured);
  window.seconds = measured.count();
  return window;
}

// Runs `call` from `clients` threads for warm-up plus measured time (the
// SQLite peer, in process).
Run Measure(int clients, const std::function<bool(int client)>& call) {
  const Window window = StartWindow();
  const auto count_from = window.count_from;
  const auto stop = window.stop;
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      while (true) {
        auto sent = Clock::now();
        if (sent >= stop) return;
        bool ok = call(c);
        auto done = Clock::now();
        if (sent < count_from) continue;
        if (!ok) {
          ++errors;
          continue;
        }
        latencies[c].push_back(std::chrono::duration<double, std::milli>(done - sent).count());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return Summarize(latencies, errors.load(), window.seconds);
}

// Starts one call for `client`; `done(ok)` runs when it completes.
using StartCall = std::function<void(int client, std::function<void(bool ok)> done)>;

// Runs `clients` closed loops of asynchronous calls for warm-up plus
// measured time: each completion records its latency and starts the
// client's next call.
Run MeasureAsync(int clients, const StartCall& start, pid_t server) {
  const Window window = StartWindow();
  const auto count_from = window.count_from;
  const auto stop = window.stop;
  // CPU of both processes at the window's two ends.
  double server_cpu = 0, client_cpu = 0;
  std::thread cpu_sampler([&] {
    std::this_thread::sleep_until(count_from);
    server_cpu = -CpuSeconds(server);
    client_cpu = -CpuSeconds(getpid());
    std::this_thread::sleep_until(stop);
    server_cpu += CpuSeconds(server);
    client_cpu += CpuSeconds(getpid());
  });
  std::vector<std::vector<double>> latencies(clients);
  std::atomic<int64_t> errors{0};
  std::atomic<int> running{clients};
  std::promise<void> all_stopped;
  std::function<void(int)> next = [&](int client) {
    const auto sent = Clock::now();
    if (sent >= stop) {
      if (--running == 0) all_stopped.set_value();
      return;
    }
    start(client, [&, client, sent](bool ok) {
      const auto done = Clock::now();
      if (sent >= count_from) {
        if (ok) {
          latencies[client].push_back(
              std::chrono::duration<double, std::milli>(done - sent).count());
        } else {
          ++errors;
        }
      }
      next(client);
    });
  };
  for (int client = 0; client < clients; ++client) next(client);
  all_stopped.get_future().wait();
  cpu_sampler.join();
  Run run = Summarize(latencies, errors.load(), window.seconds);
  const double calls = std::max(1.0, run.per_second * window.seconds);
  run.server_cpu_us = 1e6 * server_cpu / calls;
  run.client_cpu_us = 1e6 * client_cpu / calls;
  return run;
}

// write(100 bytes) + fdatasync in a loop in `dir`, for one second.
double FdatasyncPerSecond(const std::string& dir) {
  const std::string path = dir + "/fdatasync-probe";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  char record[100] = {};
  int64_t count = 0;
  auto stop = Clock::now() + std::chrono::seconds(1);
  while (Clock::now() < stop) {
    if (write(fd, record, sizeof record) != sizeof record || fdatasync(fd) != 0) break;
    ++count;
  }
  close(fd);
  unlink(path.c_str());
  return count;
}

// One SQLite database shared by the clients, one connection each.
class SqlitePeer {
 public:
  SqlitePeer(const std::string& path, int clients) {
    for (int i = 0; i < clients; ++i) {
      sqlite3* db = nullptr;
      if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        ok_ = false;
        return;
      }
      sqlite3_busy_timeout(db, 30000);
      Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
      if (i == 0) {
        Exec(db,
             "CREATE TABLE IF NOT EXISTS annotations (id INTEGER PRIMARY KEY, session TEXT, "
             "author TEXT, kind INTEGER, text TEXT, created INTEGER);"
             "CREATE TABLE IF NOT EXISTS events (session TEXT, sequence INTEGER, body BLOB, "
             "PRIMARY KEY (session, sequence));");
      }
      sqlite3_stmt* insert_annotation = nullptr;
      sqlite3_stmt* insert_event = nullptr;
      sqlite3_prepare_v2(db,
                         "INSERT INTO annotations (session, author, kind, text, created) "
                         "VALUES ('s', 'admin', 3, ?1, strftime('%s','now'))",
                         -1, &insert_annotation, nullptr);
      sqlite3_prepare_v2(
          db,
          "INSERT INTO events (session, sequence, body) VALUES ('s', "
          "(SELECT COALESCE(MAX(sequence), 0) + 1 FROM events WHERE session = 's'), ?1)",
          -1, &insert_event, nullptr);
      connections_.push_back({db, insert_annotation, insert_event});
    }
  }
  ~SqlitePeer() {
    for (Connection& c : connections_) {
      sqlite3_finalize(c.insert_annotation);
      sqlite3_finalize(c.insert_event);
      sqlite3_close(c.db);
    }
  }
  bool ok() const { return ok_; }

  // One durable write: the annotation and its event in one transaction.
  bool Write(int client, const std::string& text) {
    Connection& c = connections_[client];
    if (!Exec(c.db, "BEGIN IMMEDIATE")) return false;
    sqlite3_bind_text(c.insert_annotation, 1, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_blob(c.insert_event, 1, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    bool ok = sqlite3_step(c.insert_annotation) == SQLITE_DONE &&
              sqlite3_step(c.insert_event) == SQLITE_DONE;
    sqlite3_reset(c.insert_annotation);
    sqlite3_reset(c.insert_event);
    return Exec(c.db, ok ? "COMMIT" : "ROLLBACK") && ok;
  }

 private:
  struct Connection {
    sqlite3* db;
    sqlite3_stmt* insert_annotation;
    sqlite3_stmt* insert_event;
  };
  static bool Exec(sqlite3* db, const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  std::vector<Connection> connections_;
  bool ok_ = true;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Abseil's lock-order checks would measure themselves.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<int> client_counts;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_clients), ',')) {
    int n = 0;
    if (absl::SimpleAtoi(part, &n) && n > 0) client_counts.push_back(n);
  }
  retro::testing::TempDir dir;
  retro::testing::RetrodProcess retrod(absl::GetFlag(FLAGS_retrod), dir.Join("data"),
                                       dir.Join("root_token"), dir.Join("retrod.log"));
  // Without the access log, so that the no-op ceiling is the transport's
  // (a logged no-op is a log write).
  retrod.set_extra_args({"--access_log=false"});
  std::string error;
  if (!retrod.Start(&error)) {
    std::fprintf(stderr, "retrod did not start: %s\n", error.c_str());
    return 1;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("grpc.channel_id", i);  // distinct connections, not one shared subchannel
    channels.push_back(
        grpc::CreateCustomChannel(retrod.address(), grpc::InsecureChannelCredentials(), arguments));
  }
  absl::StatusOr<retro::bench::LiveSession> live =
      retro::bench::OpenLiveSession(channels[0], dir.Join("root_token"));
  if (!live.ok()) {
    std::fprintf(stderr, "%s\n", std::string(live.status().message()).c_str());
    return 1;
  }
  const std::string& token = live->token;

  // The floor: AddAnnotation on a server that only hands each call to a
  // syncing thread (write_floor_server), on connections of its own.
  std::unique_ptr<retro::testing::RetrodProcess> floor;
  std::vector<std::unique_ptr<retro::v1::AnnotationService::Stub>> floor_stubs;
  if (!absl::GetFlag(FLAGS_floor_server).empty()) {
    const std::string floor_dir = dir.Join("floor");
    mkdir(floor_dir.c_str(), 0700);
    floor = std::make_unique<retro::testing::RetrodProcess>(absl::GetFlag(FLAGS_floor_server),
                                                            floor_dir, dir.Join("floor_token"),
                                                            dir.Join("floor.log"));
    floor->set_extra_args(
        {absl::GetFlag(FLAGS_floor_sync) ? "--sync=true" : "--sync=false",
         absl::GetFlag(FLAGS_floor_inline) ? "--inline_writer=true" : "--inline_writer=false",
         absl::GetFlag(FLAGS_floor_piggyback) ? "--piggyback_replies=true"
                                              : "--piggyback_replies=false",
         absl::StrCat("--async_threads=", absl::GetFlag(FLAGS_floor_async_threads))});
    if (!floor->Start(&error)) {
      std::fprintf(stderr, "write_floor_server did not start: %s\n", error.c_str());
      return 1;
    }
    for (int i = 0; i < absl::GetFlag(FLAGS_channels); ++i) {
      grpc::ChannelArguments arguments;
      arguments.SetInt("grpc.channel_id", i);
      floor_stubs.push_back(retro::v1::AnnotationService::NewStub(grpc::CreateCustomChannel(
          floor->address(), grpc::InsecureChannelCredentials(), arguments)));
    }
  }

  std::vector<std::unique_ptr<retro::v1::AnnotationService::Stub>> annotation_stubs;
  // Health/Check through the generic stub: an empty request is an empty
  // HealthCheckRequest, and Debian ships no generated health stubs.
  std::vector<std::unique_ptr<grpc::GenericStub>> health_stubs;
  for (auto& channel : channels) {
    annotation_stubs.push_back(retro::v1::AnnotationService::NewStub(channel));
    health_stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  }
  std::atomic<int64_t> sequence{0};
  // The same call to retrod (annotation_stubs) or to the floor
  // (floor_stubs); both vectors outlive the calls.
  auto add_to = [&](std::vector<std::unique_ptr<retro::v1::AnnotationService::Stub>>* stubs) {
    return StartCall([&, stubs](int client, std::function<void(bool)> done) {
      struct Call {
        grpc::ClientContext context;
        retro::v1::AddAnnotationRequest request;
        retro::v1::Annotation reply;
      };
      auto call = std::make_shared<Call>();
      Configure(call->context, token);
      call->request.set_parent(live->name);
      call->request.mutable_annotation()->set_kind(retro::v1::Annotation::LESSON);
      call->request.mutable_annotation()->set_text(
          absl::StrCat("Confirm the economic buyer before the proposal, note ", ++sequence));
      (*stubs)[client % stubs->size()]->async()->AddAnnotation(
          &call->context, &call->request, &call->reply,
          [call, done = std::move(done)](grpc::Status status) { done(status.ok()); });
    });
  };
  StartCall add = add_to(&annotation_stubs);
  StartCall floor_add = add_to(&floor_stubs);
  StartCall noop = [&](int client, std::function<void(bool)> done) {
    struct Call {
      grpc::ClientContext context;
      grpc::ByteBuffer request, reply;
    };
    auto call = std::make_shared<Call>();
    Configure(call->context, "");
    grpc::Slice empty(std::string{});
    call->request = grpc::ByteBuffer(&empty, 1);
    health_stubs[client % health_stubs.size()]->UnaryCall(
        &call->context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &call->request,
        &call->reply, [call, done = std::move(done)](grpc::Status status) { done(status.ok()); });
  };

  std::vector<double> disk;
  for (int r = 0; r < absl::GetFlag(FLAGS_repetitions); ++r) {
    disk.push_back(FdatasyncPerSecond(dir.Join("data")));
  }
  std::printf(
      "write_bench: retrod over loopback, %d channels, %.1fs measured after %.1fs warm-up, "
      "median of %d runs\n",
      absl::GetFlag(FLAGS_channels), absl::GetFlag(FLAGS_seconds),
      absl::GetFlag(FLAGS_warmup_seconds), absl::GetFlag(FLAGS_repetitions));
  std::printf("disk ceiling: %.0f write+fdatasync a second (one thread)\n", Median(disk));
  std::printf("SQLite %s, WAL, synchronous=FULL\n", sqlite3_libversion());
  std::printf("%8s %14s %9s %9s %9s %9s %14s %9s %14s %9s %14s %9s %9s %8s\n", "clients",
              "acked writes/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "floor writes/s",
              "of floor", "no-op calls/s", "of no-op", "sqlite writes/s", "sqlite p99", "x sqlite",
              "errors");
  bool failed = false;
  std::vector<std::string> cpu_rows;
  for (int clients : client_counts) {
    std::vector<double> rate, p50, p99, p999, max, floor_rate, noop_rate, sqlite_rate, sqlite_p99;
    std::vector<double> write_cpu, floor_cpu, noop_cpu, write_client_cpu, noop_client_cpu;
    int64_t errors = 0;
    if (absl::GetFlag(FLAGS_floor_only)) {
      if (!floor) {
        std::fprintf(stderr, "write_bench: --floor_only needs --floor_server\n");
        return 1;
      }
      for (int r = 0; r < absl::GetFlag(FLAGS_repetitions); ++r) {
        Run f = MeasureAsync(clients, floor_add, floor->pid());
        std::printf(
            "floor %d clients: %.0f writes/s, p50 %.2f p99 %.2f p99.9 %.2f max %.2f ms, "
            "server %.1f us and client %.1f us of CPU a write, %lld errors\n",
            clients, f.per_second, f.p50_ms, f.p99_ms, f.p999_ms, f.max_ms, f.server_cpu_us,
            f.client_cpu_us, static_cast<long long>(f.errors));
        failed = failed || f.errors > 0 || f.per_second == 0;
      }
      continue;
    }
    for (int r = 0; r < absl::GetFlag(FLAGS_repetitions); ++r) {
      Run writes = MeasureAsync(clients, add, retrod.pid());
      Run floor_writes = floor ? MeasureAsync(clients, floor_add, floor->pid()) : Run();
      Run calls = MeasureAsync(clients, noop, retrod.pid());
      write_cpu.push_back(writes.server_cpu_us);
      floor_cpu.push_back(floor_writes.server_cpu_us);
      noop_cpu.push_back(calls.server_cpu_us);
      write_client_cpu.push_back(writes.client_cpu_us);
      noop_client_cpu.push_back(calls.client_cpu_us);
      SqlitePeer peer(dir.Join("peer-" + std::to_string(clients) + "-" + std::to_string(r) + ".db"),
                      clients);
      Run sqlite =
          peer.ok() ? Measure(clients,
                              [&](int client) {
                                return peer.Write(client, absl::StrCat("Confirm the economic buyer "
                                                                       "before the proposal, note ",
                                                                       ++sequence));
                              })
                    : Run();
      sqlite_rate.push_back(sqlite.per_second);
      sqlite_p99.push_back(sqlite.p99_ms);
      errors += sqlite.errors;
      rate.push_back(writes.per_second);
      p50.push_back(writes.p50_ms);
      p99.push_back(writes.p99_ms);
      p999.push_back(writes.p999_ms);
      max.push_back(writes.max_ms);
      floor_rate.push_back(floor_writes.per_second);
      noop_rate.push_back(calls.per_second);
      errors += writes.errors + floor_writes.errors + calls.errors;
    }
    // Without a floor server (--floor_server=), its columns say so.
    const std::string floor_writes =
        floor ? absl::StrFormat("%.0f", Median(floor_rate)) : std::string("-");
    const std::string of_floor =
        floor ? absl::StrFormat("%.0f%%", 100 * Median(rate) / std::max(1.0, Median(floor_rate)))
              : std::string("-");
    std::printf(
        "%8d %14.0f %9.2f %9.2f %9.2f %9.2f %14s %9s %14.0f %8.0f%% %14.0f %9.2f %8.1fx "
        "%8lld\n",
        clients, Median(rate), Median(p50), Median(p99), Median(p999), Median(max),
        floor_writes.c_str(), of_floor.c_str(), Median(noop_rate),
        100 * Median(rate) / std::max(1.0, Median(noop_rate)), Median(sqlite_rate),
        Median(sqlite_p99), Median(rate) / std::max(1.0, Median(sqlite_rate)),
        static_cast<long long>(errors));
    cpu_rows.push_back(absl::StrFormat(
        "%8d %14.1f %14s %14.1f %14.2fx %14.1f %14.1f\n", clients, Median(write_cpu),
        floor ? absl::StrFormat("%.1f", Median(floor_cpu)) : std::string("-"), Median(noop_cpu),
        Median(write_cpu) / std::max(0.01, Median(noop_cpu)), Median(write_client_cpu),
        Median(noop_client_cpu)));
    failed = failed || errors > 0 || Median(rate) == 0 || Median(noop_rate) == 0 ||
             Median(sqlite_rate) == 0 || (floor && Median(floor_rate) == 0);
  }
  if (!cpu_rows.empty()) {
    std::printf(
        "\nCPU per call, microseconds (all threads of the process, over the measured window)\n");
    std::printf("%8s %14s %14s %14s %15s %14s %14s\n", "clients", "retrod write", "floor write",
                "retrod no-op", "write/no-op", "client write", "client no-op");
  }
  for (const std::string& row : cpu_rows) std::fputs(row.c_str(), stdout);
  if (floor) floor->Terminate();
  retrod.Terminate();
  if (failed && absl::GetFlag(FLAGS_fail_on_errors)) {
    std::fprintf(stderr, "write_bench: a call failed or a figure is zero\n");
    return 1;
  }
  return 0;
}
