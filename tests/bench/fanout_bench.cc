// Live fan-out end to end: one session on the real retrod, N watchers over
// loopback gRPC (spread over a pool of HTTP/2 connections, 100 streams
// each), one presenter adding annotations at a fixed rate (open loop: sends
// are scheduled, never held back by replies). Latency runs from a send's
// scheduled time to its receipt at each watcher, so queueing anywhere
// counts. Also the server's CPU and peak RSS.
//
// The peer, in the same run and harness: Redis pub/sub (redis-server and
// hiredis from Debian) with the same number of subscribers and messages of
// the same size, published on the same open-loop schedule. Redis keeps
// nothing; every retro event is durable before it is sent.
//
//   fanout_bench --watchers=100,1000 --rates=20,100 --seconds=5
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
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
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "retro/v1/admin_service.grpc.pb.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"
#include "tests/bench/live_session.h"
#include "tests/bench/process_usage.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"

ABSL_FLAG(std::string, retrod, RETROD_PATH, "the retrod binary");
ABSL_FLAG(std::string, watchers, "100,1000", "watcher counts, comma-separated");
ABSL_FLAG(std::string, rates, "20,100", "annotations a second, comma-separated");
ABSL_FLAG(double, seconds, 5, "measured seconds per run");
ABSL_FLAG(double, warmup_seconds, 1, "unmeasured seconds before each run");
ABSL_FLAG(int, repetitions, 1,
          "runs of each point, retro and Redis taking turns; each column is then the median "
          "of its runs, the ratio the median of the runs' ratios, and each run's p99 follows");
ABSL_FLAG(std::string, redis_server, "/usr/bin/redis-server", "the peer; empty to skip it");
ABSL_FLAG(int, streams_per_channel, 100, "watch streams per HTTP/2 connection");
ABSL_FLAG(std::string, watch_rpcs, "batches,events",
          "watch methods to measure, comma-separated: batches (WatchSessionBatches), events "
          "(WatchSession)");
ABSL_FLAG(bool, fail_on_errors, false, "exit 1 when a run missed a delivery (for the smoke tests)");
ABSL_FLAG(std::string, floor_server, FLOOR_SERVER_PATH, "the fanout_floor_server binary");
ABSL_FLAG(bool, floor, false,
          "also measure fanout_floor_server (WatchSessionBatches on gRPC's completion-queue API, "
          "none of retro's work), in turn with retrod and Redis: the row cq-floor (without "
          "--stalled_watchers, which the floor does not take)");
ABSL_FLAG(int, stalled_watchers, 0,
          "more watchers, on a connection of their own with a small window, that never read "
          "(how much a stalled client costs the others)");

namespace {

using retro::bench::CpuSeconds;
using retro::bench::ProcessUsage;
using retro::bench::Usage;
using Clock = std::chrono::steady_clock;

std::vector<int> Numbers(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int n = 0;
    if (absl::SimpleAtoi(part, &n) && n > 0) out.push_back(n);
  }
  return out;
}

// Latency samples of one run, in milliseconds, one vector per receiver (a
// receiver's callbacks never run concurrently, so it adds without a lock),
// and how many deliveries were expected.
struct Samples {
  explicit Samples(int receivers) : ms(receivers) {}
  std::vector<std::vector<double>> ms;
  int64_t expected = 0;
};

struct Figures {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
  double delivered = 0;  // of expected
};

// Percentiles over every expected delivery: one that never arrived (within
// the drain after the last send) counts as infinitely late, so a run that
// loses or strands messages cannot look fast.
Figures Summarize(Samples& samples) {
  std::vector<double> v;
  for (auto& receiver : samples.ms) v.insert(v.end(), receiver.begin(), receiver.end());
  Figures f;
  if (v.empty()) {
    if (samples.expected > 0) {  // Nothing arrived: every delivery is late.
      f.p50 = f.p99 = f.p999 = f.max = std::numeric_limits<double>::infinity();
    }
    return f;
  }
  std::sort(v.begin(), v.end());
  const size_t n = std::max<size_t>(v.size(), samples.expected);
  auto at = [&](double p) {
    size_t index = static_cast<size_t>(p * (n - 1));
    return index < v.size() ? v[index] : std::numeric_limits<double>::infinity();
  };
  f.p50 = at(0.5);
  f.p99 = at(0.99);
  f.p999 = at(0.999);
  f.max = v.size() < static_cast<size_t>(samples.expected) ? std::numeric_limits<double>::infinity()
                                                           : v.back();
  f.delivered = samples.expected ? static_cast<double>(v.size()) / samples.expected : 0;
  return f;
}

// The schedule both peers follow: message k is due at start + k / rate.
struct Schedule {
  Clock::time_point start;
  double rate;
  Clock::time_point Due(int64_t k) const {
    return start +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(k / rate));
  }
};

// Sends `count` messages on schedule from `threads` senders.
void SendOnSchedule(const Schedule& schedule, int64_t count, int threads,
                    const std::function<void(int64_t k)>& send) {
  std::atomic<int64_t> next{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      for (int64_t k = next++; k < count; k = next++) {
        std::this_thread::sleep_until(schedule.Due(k));
        send(k);
      }
    });
  }
  for (auto& sender : senders) sender.join();
}

// How long after the last send a delivery may still arrive; one that has
// not arrived by then counts as infinitely late (Summarize).
constexpr auto kDrain = std::chrono::seconds(2);

// Waits for the tail of a run to drain: until `all_arrived` or kDrain has
// passed. Most runs deliver everything within milliseconds of the last
// send, and the benchmark's time limit is better spent on repetitions.
void Drain(const std::function<bool()>& all_arrived) {
  const auto deadline = Clock::now() + kDrain;
  while (!all_arrived() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// --- retro -----------------------------------------------------------

// A watch stream of either method, on gRPC's generic API: the client reads
// each message's bytes and takes from them only what it records (an
// annotation's number, the watcher count of a presence event), as Redis's
// subscribers take a message's number from hiredis's reply. Building every
// event as protobuf objects (parsing, malloc, destructors: a quarter of this
// process's samples in a profile) is work a real client does on its own
// machine; here it took the cores retrod shares (reading the bytes instead
// cut this process's CPU by a tenth at 1,000 watchers and 100 a second, by
// a quarter to a half at 500 a second, where the parsing had been the
// bottleneck).
class RetroWatcher final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // batches: WatchSessionBatches (a SessionEventBatch a message), else
  // WatchSession (a SessionEvent a message).
  RetroWatcher(grpc::GenericStub* stub, const std::string& token, const std::string& session,
               bool batches, const Schedule* schedule, std::vector<double>* samples,
               const std::atomic<int64_t>* count_from)
      : batches_(batches), schedule_(schedule), samples_(samples), count_from_(count_from) {
    context_.AddMetadata("authorization", "Bearer " + token);
    retro::v1::WatchSessionRequest request;
    request.set_name(session);
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    stub->PrepareBidiStreamingCall(&context_,
                                   batches ? "/retro.v1.SessionService/WatchSessionBatches"
                                           : "/retro.v1.SessionService/WatchSession",
                                   grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&message_);
    StartCall();
  }
  void Cancel() { context_.TryCancel(); }
  void Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }
  int watchers_seen() const { return watchers_seen_.load(); }
  // Deliveries recorded so far (readable from any thread).
  int64_t recorded() const { return recorded_.load(std::memory_order_relaxed); }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    grpc::ProtoBufferReader reader(&message_);
    google::protobuf::io::CodedInputStream in(&reader);
    if (batches_) {
      ForEachField(in, [&](uint32_t tag) {
        if (WireFormatLite::GetTagFieldNumber(tag) !=
            retro::v1::SessionEventBatch::kEventsFieldNumber) {
          return false;
        }
        return InMessage(in, [&] { ScanEvent(in); });
      });
    } else {
      ScanEvent(in);
    }
    StartRead(&message_);
  }
  void OnDone(const grpc::Status&) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  using WireFormatLite = google::protobuf::internal::WireFormatLite;

  // Calls take(tag) on each field; a field it does not take is skipped.
  template <typename Take>
  static void ForEachField(google::protobuf::io::CodedInputStream& in, Take take) {
    for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
      if (!take(tag) && !WireFormatLite::SkipField(&in, tag)) return;
    }
  }
  // Runs read() inside the length-delimited message that comes next.
  template <typename Read>
  static bool InMessage(google::protobuf::io::CodedInputStream& in, Read read) {
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) return false;
    const auto limit = in.PushLimit(static_cast<int>(length));
    read();
    in.Skip(in.BytesUntilLimit());
    in.PopLimit(limit);
    return true;
  }
  // One SessionEvent: records an annotation's arrival, or a presence's count.
  void ScanEvent(google::protobuf::io::CodedInputStream& in) {
    ForEachField(in, [&](uint32_t tag) {
      switch (WireFormatLite::GetTagFieldNumber(tag)) {
        case retro::v1::SessionEvent::kAnnotationFieldNumber:
          return InMessage(in, [&] { ScanAnnotation(in); });
        case retro::v1::SessionEvent::kPresenceFieldNumber:
          return InMessage(in, [&] {
            ForEachField(in, [&](uint32_t field) {
              uint32_t watchers = 0;
              if (WireFormatLite::GetTagFieldNumber(field) !=
                      retro::v1::Presence::kWatchersFieldNumber ||
                  !in.ReadVarint32(&watchers)) {
                return false;
              }
              watchers_seen_.store(static_cast<int>(watchers));
              return true;
            });
          });
        default:
          return false;
      }
    });
  }
  // An annotation's text starts with the number of its send.
  void ScanAnnotation(google::protobuf::io::CodedInputStream& in) {
    ForEachField(in, [&](uint32_t tag) {
      if (WireFormatLite::GetTagFieldNumber(tag) != retro::v1::Annotation::kTextFieldNumber) {
        return false;
      }
      uint32_t length = 0;
      char head[24];
      if (!in.ReadVarint32(&length)) return false;
      const int n = static_cast<int>(std::min<uint32_t>(length, sizeof head));
      if (!in.ReadRaw(head, n) || !in.Skip(static_cast<int>(length) - n)) return true;
      absl::string_view text(head, n);
      int64_t k = 0;
      if (absl::SimpleAtoi(text.substr(0, text.find(' ')), &k) && k >= count_from_->load()) {
        samples_->push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - schedule_->Due(k)).count());
        recorded_.fetch_add(1, std::memory_order_relaxed);
      }
      return true;
    });
  }

  const bool batches_;
  const Schedule* schedule_;
  std::vector<double>* samples_;  // this stream's; its callbacks never overlap
  const std::atomic<int64_t>* count_from_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer message_;
  std::atomic<int> watchers_seen_{0};
  std::atomic<int64_t> recorded_{0};
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// A watcher whose client stopped reading: the call is open, no read is ever
// started, and its connection's flow-control window is small, so the
// server's queue for it fills while the others' must not suffer.
class StalledWatcher : public grpc::ClientReadReactor<retro::v1::SessionEvent> {
 public:
  StalledWatcher(retro::v1::SessionService::Stub* stub, const std::string& token,
                 const std::string& session) {
    context_.AddMetadata("authorization", "Bearer " + token);
    request_.set_name(session);
    stub->async()->WatchSession(&context_, &request_, this);
    StartCall();
  }
  void OnDone(const grpc::Status&) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  void CancelAndWait() {
    context_.TryCancel();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
  }

 private:
  grpc::ClientContext context_;
  retro::v1::WatchSessionRequest request_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// --- Redis -----------------------------------------------------------

struct RedisRun {
  Figures figures;
  double cpu_seconds = 0;
  double peak_rss_mib = 0;
  double client_cpu_seconds = 0;  // this process: the subscribers and the publisher
};

RedisRun RunRedis(const std::string& binary, int subscribers, double rate, size_t message_bytes) {
  RedisRun result;
  const int port = FreePort();
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::string port_text = std::to_string(port);
    execl(binary.c_str(), binary.c_str(), "--port", port_text.c_str(), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--maxclients", "10000", static_cast<char*>(nullptr));
    _exit(127);
  }
  redisContext* publisher = nullptr;
  for (int i = 0; i < 100 && publisher == nullptr; ++i) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c != nullptr && c->err == 0)
      publisher = c;
    else {
      if (c) redisFree(c);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (publisher == nullptr) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return result;
  }
  std::vector<redisContext*> subs;
  for (int i = 0; i < subscribers; ++i) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c == nullptr || c->err) break;
    redisReply* reply = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE session"));
    if (reply) freeReplyObject(reply);
    subs.push_back(c);
  }
  const double warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  Schedule schedule{Clock::now() + std::chrono::milliseconds(200), rate};
  const int64_t total = static_cast<int64_t>((warmup + seconds) * rate);
  const int64_t count_from = static_cast<int64_t>(warmup * rate);
  Samples samples(1);  // one reader thread
  samples.expected = (total - count_from) * static_cast<int64_t>(subs.size());
  std::atomic<bool> stop{false};
  std::atomic<int64_t> received{0};
  ProcessUsage before = Usage(pid);
  const double client_before = CpuSeconds(getpid());
  // One thread reads every subscriber, as an event loop would: epoll, so a
  // wake-up costs what is ready, not every subscriber.
  std::thread reader([&] {
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < subs.size(); ++i) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll, EPOLL_CTL_ADD, subs[i]->fd, &event);
    }
    std::vector<epoll_event> ready(subs.size());
    while (!stop.load() && received.load() < samples.expected) {
      const int n = epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()), 100);
      for (int j = 0; j < n; ++j) {
        const size_t i = ready[j].data.u64;
        if (redisBufferRead(subs[i]) != REDIS_OK) continue;
        void* raw = nullptr;
        while (redisGetReplyFromReader(subs[i], &raw) == REDIS_OK && raw != nullptr) {
          redisReply* reply = static_cast<redisReply*>(raw);
          if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
              reply->element[2]->type == REDIS_REPLY_STRING) {
            int64_t k = 0;
            absl::string_view text(reply->element[2]->str, reply->element[2]->len);
            if (absl::SimpleAtoi(text.substr(0, text.find(' ')), &k) && k >= count_from) {
              samples.ms[0].push_back(
                  std::chrono::duration<double, std::milli>(Clock::now() - schedule.Due(k))
                      .count());
              ++received;
            }
          }
          freeReplyObject(reply);
          raw = nullptr;
        }
      }
    }
    close(epoll);
  });
  // Open loop, as retro's presenter: each PUBLISH is written to the socket
  // at its time and its reply read by another thread, so a busy Redis
  // cannot slow the schedule down (hiredis's redisCommand would wait for
  // each reply). Only the kernel's socket buffer pushes back.
  std::atomic<bool> publishing{true};
  std::thread reply_drain([&] {
    char buffer[4096];
    while (publishing.load()) {
      pollfd ready{publisher->fd, POLLIN, 0};
      if (poll(&ready, 1, 50) > 0 && read(publisher->fd, buffer, sizeof buffer) <= 0) return;
    }
  });
  SendOnSchedule(schedule, total, 1, [&](int64_t k) {
    std::string message = absl::StrCat(k, " ");
    message.resize(std::max(message.size(), message_bytes), '.');
    char* command = nullptr;
    const int length =
        redisFormatCommand(&command, "PUBLISH session %b", message.data(), message.size());
    for (int written = 0; length > 0 && written < length;) {
      const ssize_t n = write(publisher->fd, command + written, length - written);
      if (n <= 0) break;
      written += static_cast<int>(n);
    }
    redisFreeCommand(command);
  });
  Drain([&] { return received.load() >= samples.expected; });
  publishing.store(false);
  reply_drain.join();
  stop.store(true);
  reader.join();
  ProcessUsage after = Usage(pid);
  result.client_cpu_seconds = CpuSeconds(getpid()) - client_before;
  result.figures = Summarize(samples);
  result.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
  result.peak_rss_mib = after.peak_rss_mib;
  for (redisContext* c : subs) redisFree(c);
  redisFree(publisher);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return result;
}

// One run on a fresh retrod (so peak RSS belongs to the run): `watchers`
// streams of WatchSessionBatches (batches) or WatchSession, `rate`
// annotations a second. With floor, the same on a fresh
// fanout_floor_server instead, which ignores the session and the token
// (WatchSessionBatches only, no stalled watchers).
struct RetroRun {
  Figures figures;
  ProcessUsage usage;             // CPU seconds over the run, peak RSS
  double client_cpu_seconds = 0;  // this process: the watchers and the presenter
  size_t message_bytes = 0;       // the largest annotation event, for the peer
};

RetroRun RunRetro(int watchers, int rate, bool batches, bool floor = false) {
  const double warmup = absl::GetFlag(FLAGS_warmup_seconds);
  const double seconds = absl::GetFlag(FLAGS_seconds);
  // A fresh server each run, so peak RSS belongs to the run.
  retro::testing::TempDir dir;
  if (floor) mkdir(dir.Join("data").c_str(), 0700);
  retro::testing::RetrodProcess retrod(
      floor ? absl::GetFlag(FLAGS_floor_server) : absl::GetFlag(FLAGS_retrod), dir.Join("data"),
      dir.Join("root_token"), dir.Join("retrod.log"));
  std::string error;
  if (!retrod.Start(&error)) {
    std::fprintf(stderr, "%s did not start: %s\n", floor ? "the floor" : "retrod", error.c_str());
    std::exit(1);
  }
  auto setup_channel = grpc::CreateChannel(retrod.address(), grpc::InsecureChannelCredentials());
  absl::StatusOr<retro::bench::LiveSession> live =
      floor ? retro::bench::LiveSession{"floor", "sessions/floor"}
            : retro::bench::OpenLiveSession(setup_channel, dir.Join("root_token"));
  if (!live.ok()) {
    std::fprintf(stderr, "%s\n", std::string(live.status().message()).c_str());
    std::exit(1);
  }
  const std::string& token = live->token;

  // Watchers, spread over connections.
  const int per_channel = absl::GetFlag(FLAGS_streams_per_channel);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int c = 0; c < (watchers + per_channel - 1) / per_channel; ++c) {
    grpc::ChannelArguments arguments;
    arguments.SetInt("grpc.channel_id", c);
    channels.push_back(
        grpc::CreateCustomChannel(retrod.address(), grpc::InsecureChannelCredentials(), arguments));
    stubs.push_back(std::make_unique<grpc::GenericStub>(channels.back()));
  }
  const int64_t total = static_cast<int64_t>((warmup + seconds) * rate);
  std::atomic<int64_t> count_from{static_cast<int64_t>(warmup * rate)};
  Samples samples(watchers);
  samples.expected = (total - count_from.load()) * watchers;
  Schedule schedule{Clock::time_point::max(), static_cast<double>(rate)};
  std::vector<std::unique_ptr<RetroWatcher>> streams;
  for (int w = 0; w < watchers; ++w) {
    streams.push_back(std::make_unique<RetroWatcher>(stubs[w / per_channel].get(), token,
                                                     live->name, batches, &schedule, &samples.ms[w],
                                                     &count_from));
  }
  grpc::ChannelArguments small_window;
  small_window.SetInt("grpc.channel_id", -1);
  small_window.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_window.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8192);
  auto stalled_stub = retro::v1::SessionService::NewStub(grpc::CreateCustomChannel(
      retrod.address(), grpc::InsecureChannelCredentials(), small_window));
  std::vector<std::unique_ptr<StalledWatcher>> stalled;
  for (int s = 0; !floor && s < absl::GetFlag(FLAGS_stalled_watchers); ++s) {
    stalled.push_back(std::make_unique<StalledWatcher>(stalled_stub.get(), token, live->name));
  }
  // Every watcher live before the clock starts.
  for (int i = 0;
       i < 300 && streams.back()->watchers_seen() < watchers + static_cast<int>(stalled.size());
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ProcessUsage before = Usage(retrod.pid());
  const double client_before = CpuSeconds(getpid());
  std::vector<std::unique_ptr<retro::v1::AnnotationService::Stub>> senders;
  for (int s = 0; s < 8; ++s)
    senders.push_back(retro::v1::AnnotationService::NewStub(setup_channel));
  size_t message_bytes = 0;
  std::mutex size_mu;
  std::condition_variable sends_done;
  int64_t sends_pending = 0;  // guarded by size_mu
  schedule.start = Clock::now() + std::chrono::milliseconds(200);
  std::atomic<int> thread_index{0};
  // Open loop: each send goes out at its time, whether or not earlier
  // ones were answered (the callback API, no thread waits on a reply).
  SendOnSchedule(schedule, total, 2, [&](int64_t k) {
    thread_local int mine = thread_index++;
    struct Call {
      grpc::ClientContext context;
      retro::v1::AddAnnotationRequest request;
      retro::v1::Annotation reply;
    };
    auto call = std::make_shared<Call>();
    call->context.AddMetadata("authorization", "Bearer " + token);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    call->request.set_parent(live->name);
    call->request.mutable_annotation()->set_kind(retro::v1::Annotation::LESSON);
    call->request.mutable_annotation()->set_text(
        absl::StrCat(k, " Engage procurement before the proposal stage"));
    {
      std::lock_guard<std::mutex> lock(size_mu);
      ++sends_pending;
    }
    senders[mine % senders.size()]->async()->AddAnnotation(
        &call->context, &call->request, &call->reply, [&, call](grpc::Status) {
          retro::v1::SessionEvent event;
          *event.mutable_annotation() = call->reply;
          event.set_sequence(call->reply.etag().empty() ? 0 : std::stoull(call->reply.etag()));
          std::lock_guard<std::mutex> lock(size_mu);
          message_bytes = std::max(message_bytes, event.ByteSizeLong());
          if (--sends_pending == 0) sends_done.notify_all();
        });
  });
  Drain([&] {
    int64_t recorded = 0;
    for (const auto& stream : streams) recorded += stream->recorded();
    return recorded >= samples.expected;
  });
  ProcessUsage after = Usage(retrod.pid());
  const double client_after = CpuSeconds(getpid());
  {
    std::unique_lock<std::mutex> lock(size_mu);
    sends_done.wait(lock, [&] { return sends_pending == 0; });
  }
  for (auto& stream : streams) stream->Cancel();
  for (auto& stream : streams) stream->Wait();
  for (auto& s : stalled) s->CancelAndWait();
  RetroRun run;
  run.figures = Summarize(samples);
  run.usage.cpu_seconds = after.cpu_seconds - before.cpu_seconds;
  run.usage.peak_rss_mib = after.peak_rss_mib;
  run.client_cpu_seconds = client_after - client_before;
  run.message_bytes = message_bytes;
  retrod.Terminate();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Abseil's lock-order checks would measure themselves.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> rpcs = absl::StrSplit(absl::GetFlag(FLAGS_watch_rpcs), ',');
  for (const std::string& rpc : rpcs) {
    if (rpc != "batches" && rpc != "events") {
      std::fprintf(stderr, "--watch_rpcs: unknown method %s (batches or events)\n", rpc.c_str());
      return 2;
    }
  }
  // The floor's row comes after retrod's.
  const size_t retro_rows = rpcs.size();
  if (absl::GetFlag(FLAGS_floor)) rpcs.push_back("cq-floor");
  std::printf(
      "fanout_bench: %.1fs measured after %.1fs warm-up, %d watch streams a connection, %d "
      "stalled watcher(s); cpu s: the server's, client s: this process's (the watchers or "
      "subscribers, and the presenter)\n",
      absl::GetFlag(FLAGS_seconds), absl::GetFlag(FLAGS_warmup_seconds),
      absl::GetFlag(FLAGS_streams_per_channel), absl::GetFlag(FLAGS_stalled_watchers));
  std::printf("%-8s %7s %6s | %9s %9s %9s %9s %9s %8s %8s %8s | %9s %9s %9s %8s %8s %8s | %8s\n",
              "rpc", "watchers", "rate", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "delivered",
              "cpu s", "rss MiB", "client s", "redis p50", "redis p99", "redis max", "cpu s",
              "rss MiB", "client s", "p99 x");
  const int repetitions = std::max(1, absl::GetFlag(FLAGS_repetitions));
  bool missed = false;
  for (int watchers : Numbers(absl::GetFlag(FLAGS_watchers))) {
    for (int rate : Numbers(absl::GetFlag(FLAGS_rates))) {
      // runs[rpc][repetition], redis_runs[repetition].
      std::vector<std::vector<RetroRun>> runs(rpcs.size());
      std::vector<RedisRun> redis_runs;
      for (int r = 0; r < repetitions; ++r) {
        for (size_t i = 0; i < rpcs.size(); ++i) {
          runs[i].push_back(i < retro_rows ? RunRetro(watchers, rate, rpcs[i] == "batches")
                                           : RunRetro(watchers, rate, true, /*floor=*/true));
        }
        RedisRun redis;
        if (!absl::GetFlag(FLAGS_redis_server).empty()) {
          redis = RunRedis(absl::GetFlag(FLAGS_redis_server), watchers, rate,
                           runs.front().back().message_bytes);
        }
        redis_runs.push_back(redis);
        for (size_t i = 0; i < rpcs.size(); ++i) missed |= runs[i].back().figures.delivered != 1.0;
        missed |= !absl::GetFlag(FLAGS_redis_server).empty() && redis.figures.delivered != 1.0;
      }
      // The median of one figure over the repetitions.
      auto median = [](const auto& items, auto figure) {
        std::vector<double> values;
        for (const auto& item : items) values.push_back(figure(item));
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
      };
      const RedisRun redis{
          {median(redis_runs, [](const RedisRun& x) { return x.figures.p50; }),
           median(redis_runs, [](const RedisRun& x) { return x.figures.p99; }), 0,
           median(redis_runs, [](const RedisRun& x) { return x.figures.max; }), 0},
          median(redis_runs, [](const RedisRun& x) { return x.cpu_seconds; }),
          median(redis_runs, [](const RedisRun& x) { return x.peak_rss_mib; }),
          median(redis_runs, [](const RedisRun& x) { return x.client_cpu_seconds; })};
      for (size_t i = 0; i < runs.size(); ++i) {
        const std::vector<RetroRun>& mine = runs[i];
        std::vector<double> ratios;
        for (int r = 0; r < repetitions; ++r) {
          const double theirs = redis_runs[r].figures.p99;
          ratios.push_back(theirs > 0 ? mine[r].figures.p99 / theirs : 0.0);
        }
        std::printf(
            "%-8s %7d %6d | %9.2f %9.2f %9.2f %9.2f %8.1f%% %8.2f %8.1f %8.2f | %9.2f %9.2f %9.2f "
            "%8.2f %8.1f %8.2f | %7.1fx\n",
            rpcs[i].c_str(), watchers, rate,
            median(mine, [](const RetroRun& x) { return x.figures.p50; }),
            median(mine, [](const RetroRun& x) { return x.figures.p99; }),
            median(mine, [](const RetroRun& x) { return x.figures.p999; }),
            median(mine, [](const RetroRun& x) { return x.figures.max; }),
            100 * median(mine, [](const RetroRun& x) { return x.figures.delivered; }),
            median(mine, [](const RetroRun& x) { return x.usage.cpu_seconds; }),
            median(mine, [](const RetroRun& x) { return x.usage.peak_rss_mib; }),
            median(mine, [](const RetroRun& x) { return x.client_cpu_seconds; }), redis.figures.p50,
            redis.figures.p99, redis.figures.max, redis.cpu_seconds, redis.peak_rss_mib,
            redis.client_cpu_seconds, median(ratios, [](double ratio) { return ratio; }));
        if (repetitions > 1) {
          std::string line = "    p99 ms run by run:";
          for (int r = 0; r < repetitions; ++r) {
            absl::StrAppendFormat(&line, " %.2f (Redis %.2f)", mine[r].figures.p99,
                                  redis_runs[r].figures.p99);
          }
          std::printf("%s\n", line.c_str());
        }
      }
      std::fflush(stdout);
    }
  }
  if (missed && absl::GetFlag(FLAGS_fail_on_errors)) {
    std::fprintf(stderr, "fanout_bench: a run missed deliveries (delivered below 100%%)\n");
    return 1;
  }
  return 0;
}
