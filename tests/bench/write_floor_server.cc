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
// single calls waited up to 64 to 249 ms (docs/performance.md).
// --async_threads=N serves with gRPC's completion-queue API on N threads
// of its own instead of the callback API, with either writer: with
// --inline_writer the other threads keep taking calls while one writes,
// which cut the slowest call to 7 to 41 ms (docs/performance.md).
// --piggyback_replies=true leaves a synced batch's replies for gRPC's
// threads to send as they take the next calls, so that a reply's
// completion wakes no other thread; the writer sends what none took by its
// next sync, and all before it idles. It halved the context switches a
// write but saved under a tenth of the CPU (docs/performance.md). Logs
// "listening on HOST:PORT" like retrod, so RetrodProcess can start it;
// accepts and ignores retrod's --root_token_file.
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "grpcpp/grpcpp.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "tests/bench/floor_process.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on");
ABSL_FLAG(std::string, data_dir, ".", "directory of the file the writes are appended to");
ABSL_FLAG(std::string, root_token_file, "", "ignored (retrod's flag, passed by RetrodProcess)");
ABSL_FLAG(bool, sync, true, "append and fdatasync each batch before replying");
ABSL_FLAG(bool, inline_writer, false,
          "the gRPC thread that finds the writer idle writes and replies itself");
ABSL_FLAG(bool, piggyback_replies, false,
          "a synced batch's replies are sent by the gRPC threads as they take the next calls "
          "(the writer sends what is left at its next sync, or before it idles)");
ABSL_FLAG(int, async_threads, 0,
          "serve with gRPC's completion-queue API on this many threads of our own "
          "(0: the callback API, as retrod)");

namespace {

// A call of the completion-queue API (--async_threads), from the request
// being asked for until its reply is sent; the tag of both.
struct AsyncCall {
  grpc::ServerContext context;
  retro::v1::AddAnnotationRequest request;
  retro::v1::Annotation reply;
  grpc::ServerAsyncResponseWriter<retro::v1::Annotation> responder{&context};
  bool replied = false;
};

struct PendingCall {
  grpc::ServerUnaryReactor* reactor;  // null for an AsyncCall
  AsyncCall* async;                   // null for a callback call
  const retro::v1::AddAnnotationRequest* request;
  retro::v1::Annotation* reply;
};

// One writer thread: everything queued while it synced goes in its next
// batch, as in retrod's session writers. With inline_writer, the calling
// gRPC thread that finds no batch running is the writer instead.
class Writer {
 public:
  Writer(int fd, bool sync, bool inline_writer, bool piggyback)
      : fd_(fd),
        sync_(sync),
        inline_(inline_writer),
        piggyback_(piggyback),
        thread_(&Writer::Run, this) {}
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
    if (piggyback_) SendReady();
  }

 private:
  void Run() {
    std::vector<PendingCall> batch;
    std::string bytes;
    while (true) {
      if (piggyback_) {
        // Replies no gRPC thread took since the last sync go now, as do
        // all of them when nothing is queued: no call may come to take
        // them.
        bool idle;
        {
          std::lock_guard<std::mutex> lock(mu_);
          idle = queue_.empty();
        }
        SendReady(/*all=*/idle);
      }
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
    std::vector<grpc::ServerUnaryReactor*> deferred;  // piggyback_: for gRPC's threads
    for (const PendingCall& call : batch) {
      *call.reply = call.request->annotation();
      call.reply->set_name(call.request->parent() + "/annotations/floor");
      if (call.reactor == nullptr) {
        call.async->replied = true;
        call.async->responder.Finish(*call.reply, status, call.async);
      } else if (piggyback_) {
        deferred.push_back(call.reactor);
      } else {
        call.reactor->Finish(status);
      }
    }
    if (!deferred.empty()) {
      std::lock_guard<std::mutex> lock(ready_mu_);
      ++generation_;
      for (grpc::ServerUnaryReactor* reactor : deferred) {
        ready_.push_back({reactor, status, generation_});
      }
    }
  }

  // Sends the ready replies: all of them, or all but the last synced
  // batch's.
  void SendReady(bool all = true) {
    std::vector<Ready> taken;
    {
      std::lock_guard<std::mutex> lock(ready_mu_);
      while (!ready_.empty() && (all || ready_.front().generation < generation_)) {
        taken.push_back(ready_.front());
        ready_.pop_front();
      }
    }
    for (const Ready& ready : taken) ready.reactor->Finish(ready.status);
  }

  const int fd_;
  const bool sync_;
  const bool inline_;
  const bool piggyback_;
  struct Ready {
    grpc::ServerUnaryReactor* reactor;
    grpc::Status status;
    uint64_t generation;
  };
  std::mutex ready_mu_;
  std::deque<Ready> ready_;  // guarded by ready_mu_: synced, not yet answered
  uint64_t generation_ = 0;  // guarded by ready_mu_: batches synced
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
    writer_->Enqueue({reactor, nullptr, request, reply});
    return reactor;
  }

 private:
  Writer* writer_;
};

// The completion-queue API on threads of our own: each asks for the next
// call as it takes one, hands the call to the writer and frees it once its
// reply is sent. With --inline_writer the thread that finds the writer idle
// writes; the other threads keep taking calls and completions meanwhile,
// which the callback API's two threads cannot.
class AsyncFloor {
 public:
  AsyncFloor(retro::v1::AnnotationService::AsyncService* service,
             std::unique_ptr<grpc::ServerCompletionQueue> queue, Writer* writer, int threads)
      : service_(service), queue_(std::move(queue)), writer_(writer) {
    // Enough outstanding requests that a burst of calls finds one each.
    for (int i = 0; i < 64; ++i) RequestNext();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Serve(); });
  }
  // After the server's Shutdown.
  ~AsyncFloor() {
    queue_->Shutdown();
    for (std::thread& thread : threads_) thread.join();
  }

 private:
  void RequestNext() {
    auto* call = new AsyncCall;
    service_->RequestAddAnnotation(&call->context, &call->request, &call->responder, queue_.get(),
                                   queue_.get(), call);
  }

  void Serve() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_->Next(&tag, &ok)) {
      auto* call = static_cast<AsyncCall*>(tag);
      if (call->replied || !ok) {
        delete call;
        continue;
      }
      RequestNext();
      writer_->Enqueue({nullptr, call, &call->request, &call->reply});
    }
  }

  retro::v1::AnnotationService::AsyncService* service_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  Writer* writer_;
  std::vector<std::thread> threads_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_piggyback_replies) &&
      (absl::GetFlag(FLAGS_inline_writer) || absl::GetFlag(FLAGS_async_threads) > 0)) {
    // The replies left for gRPC's threads are the writer thread's to send
    // when no call takes them, and only the callback API's are left.
    std::fprintf(stderr,
                 "write_floor_server: --piggyback_replies needs the writer thread and the "
                 "callback API (not --inline_writer or --async_threads)\n");
    return 1;
  }
  retro::bench::PrepareFloorProcess();
  const std::string path = absl::GetFlag(FLAGS_data_dir) + "/floor-writes";
  const int fd = retro::bench::OpenAppendOnly(path);
  if (fd < 0) return 1;

  auto writer =
      std::make_unique<Writer>(fd, absl::GetFlag(FLAGS_sync), absl::GetFlag(FLAGS_inline_writer),
                               absl::GetFlag(FLAGS_piggyback_replies));
  FloorService service(writer.get());
  retro::v1::AnnotationService::AsyncService async_service;
  const int async_threads = absl::GetFlag(FLAGS_async_threads);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::ServerCompletionQueue> queue;
  if (async_threads > 0) {
    builder.RegisterService(&async_service);
    queue = builder.AddCompletionQueue();
  } else {
    builder.RegisterService(&service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "write_floor_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  retro::bench::LogListening(absl::GetFlag(FLAGS_listen), port);
  std::unique_ptr<AsyncFloor> async_floor;
  if (async_threads > 0) {
    async_floor =
        std::make_unique<AsyncFloor>(&async_service, std::move(queue), writer.get(), async_threads);
  }

  retro::bench::WaitForStopSignal();
  server->Shutdown();
  async_floor.reset();
  writer.reset();
  close(fd);
  unlink(path.c_str());
  return 0;
}
