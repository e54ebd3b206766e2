// write_floor_server: a floor for durable writes of retrod's shape over
// gRPC on this machine, for write_bench to measure next to retrod (a
// server built another way, answering from gRPC's own threads, is not
// bound by it, but cannot answer a synced write without blocking them).
//
// It serves AnnotationService.AddAnnotation with retro's own messages and
// none of retro's work (no token, no session, no RocksDB): each call is
// handed to one writer thread, which appends every queued request to a
// file, fdatasyncs it once for all of them, and replies from that thread,
// the shape retrod's session writers have. So the figure is gRPC's
// callback API, one hand-off to a syncing thread and a shared fdatasync,
// and what retrod reaches of it is what retro's own work costs.
//
// --sync=false replies without writing (the hand-off alone).
// --inline_writer=true measures that other way: the gRPC thread that finds
// the writer idle appends, syncs and replies itself, and goes on with what
// queued meanwhile until nothing has. It beats the floor by about a third,
// but work gRPC queued behind that thread waits meanwhile: at 64 clients
// single calls waited up to 64 to 249 ms (docs/performance.md). Logs
// "listening on HOST:PORT" like retrod, so RetrodProcess can start it;
// accepts and ignores retrod's --root_token_file.
#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "retro/v1/annotation_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on");
ABSL_FLAG(std::string, data_dir, ".", "directory of the file the writes are appended to");
ABSL_FLAG(std::string, root_token_file, "", "ignored (retrod's flag, passed by RetrodProcess)");
ABSL_FLAG(bool, sync, true, "append and fdatasync each batch before replying");
ABSL_FLAG(bool, inline_writer, false,
          "the gRPC thread that finds the writer idle writes and replies itself");

namespace {

struct PendingCall {
  grpc::ServerUnaryReactor* reactor;
  const retro::v1::AddAnnotationRequest* request;
  retro::v1::Annotation* reply;
};

// One writer thread: everything queued while it synced goes in its next
// batch, as in retrod's session writers. With inline_writer, the calling
// gRPC thread that finds no batch running is the writer instead.
class Writer {
 public:
  Writer(int fd, bool sync, bool inline_writer)
      : fd_(fd), sync_(sync), inline_(inline_writer), thread_([this] { Run(); }) {}
  ~Writer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void Enqueue(PendingCall call) {
    if (inline_) {
      std::unique_lock<std::mutex> lock(mu_);
      queue_.push_back(call);
      if (draining_) return;
      draining_ = true;
      std::vector<PendingCall> batch;
      std::string bytes;
      while (!queue_.empty()) {
        batch.assign(queue_.begin(), queue_.end());
        queue_.clear();
        lock.unlock();
        WriteAndReply(batch, &bytes);
        lock.lock();
      }
      draining_ = false;
      return;
    }
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = queue_.empty();
      queue_.push_back(call);
    }
    if (was_empty) wake_.notify_one();
  }

 private:
  void Run() {
    std::vector<PendingCall> batch;
    std::string bytes;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch.assign(queue_.begin(), queue_.end());
        queue_.clear();
      }
      WriteAndReply(batch, &bytes);
    }
  }

  // Appends and syncs the batch's requests, then replies to each.
  void WriteAndReply(const std::vector<PendingCall>& batch, std::string* bytes) {
    grpc::Status status = grpc::Status::OK;
    if (sync_) {
      bytes->clear();
      for (const PendingCall& call : batch) call.request->AppendToString(bytes);
      if (write(fd_, bytes->data(), bytes->size()) != static_cast<ssize_t>(bytes->size()) ||
          fdatasync(fd_) != 0) {
        status = grpc::Status(grpc::StatusCode::INTERNAL, "write failed");
      }
    }
    for (const PendingCall& call : batch) {
      *call.reply = call.request->annotation();
      call.reply->set_name(call.request->parent() + "/annotations/floor");
      call.reactor->Finish(status);
    }
  }

  const int fd_;
  const bool sync_;
  const bool inline_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<PendingCall> queue_;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  bool draining_ = false;          // guarded by mu_: a gRPC thread writes (inline_)
  std::thread thread_;
};

class FloorService final : public retro::v1::AnnotationService::CallbackService {
 public:
  explicit FloorService(Writer* writer) : writer_(writer) {}

  grpc::ServerUnaryReactor* AddAnnotation(grpc::CallbackServerContext* context,
                                          const retro::v1::AddAnnotationRequest* request,
                                          retro::v1::Annotation* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    writer_->Enqueue({reactor, request, reply});
    return reactor;
  }

 private:
  Writer* writer_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As retrod does: gRPC's mutexes are Abseil's, whose lock-order checks
  // would otherwise run on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string path = absl::GetFlag(FLAGS_data_dir) + "/floor-writes";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts

  auto writer =
      std::make_unique<Writer>(fd, absl::GetFlag(FLAGS_sync), absl::GetFlag(FLAGS_inline_writer));
  FloorService service(writer.get());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "write_floor_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::fprintf(stderr, "listening on %s:%d\n", listen.substr(0, listen.rfind(':')).c_str(), port);
  std::fflush(stderr);

  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown();
  writer.reset();
  close(fd);
  unlink(path.c_str());
  return 0;
}
