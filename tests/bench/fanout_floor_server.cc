// fanout_floor_server: live fan-out over gRPC on this machine in another
// shape than retrod's and with none of retro's work, for fanout_bench to
// measure next to retrod: what moving retrod's watch streams to that shape
// could gain at most. (Moving them was tried: it helped
// WatchSessionBatches a little and broke WatchSession under load, and was
// reverted; docs/performance.md, "What changed".)
//
// It serves AnnotationService.AddAnnotation and SessionService.
// WatchSessionBatches with retro's own messages and none of retro's work
// (no token, no session, no access checks, no RocksDB, no replay): each
// annotation goes to one writer thread, which appends what queued to a
// file, fdatasyncs it once for all, and publishes each as a SessionEvent
// serialized once before it replies, as retrod's session writers do.
// Every watcher then gets what queued for it since its last write as one
// SessionEventBatch, one write in flight a stream, as retrod's
// WatchReactor does. A count of watchers goes to all of them (presence)
// within 100 ms of a change, so fanout_bench sees them all joined.
//
// The shape: the streams are on gRPC's completion-queue API, read by one
// thread of our own, which also runs every event's wake-ups. A write's
// completion waits in the queue until that thread is done with the event,
// where retrod (on the callback API) has each completion wake one of
// gRPC's two callback threads, and its wake-ups run on one of gRPC's
// executor threads, which the completions of the writes it started queue
// behind.
//
// Logs "listening on HOST:PORT" like retrod, so RetrodProcess can start
// it; accepts and ignores retrod's --root_token_file.
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "grpc/support/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "retro/v1/annotation_service.grpc.pb.h"
#include "retro/v1/session_service.grpc.pb.h"
#include "tests/bench/floor_process.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on");
ABSL_FLAG(std::string, data_dir, ".", "directory of the file the annotations are appended to");
ABSL_FLAG(std::string, root_token_file, "", "ignored (retrod's flag, passed by RetrodProcess)");

namespace {

using EventBytes = std::shared_ptr<const std::string>;

// The events as one SessionEventBatch: each is field 1, length-delimited.
grpc::ByteBuffer EncodeBatch(const std::vector<EventBytes>& events) {
  std::string bytes;
  for (const EventBytes& event : events) {
    bytes.push_back(static_cast<char>((1 << 3) | 2));
    size_t size = event->size();
    do {
      const uint8_t low = size & 0x7f;
      size >>= 7;
      bytes.push_back(static_cast<char>(size ? low | 0x80 : low));
    } while (size);
    bytes.append(*event);
  }
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

EventBytes PresenceBytes(int watchers) {
  retro::v1::SessionEvent event;
  event.mutable_presence()->set_watchers(watchers);
  return std::make_shared<const std::string>(event.SerializeAsString());
}

// One thread reads the queue and owns every watcher: joins, wake-ups and
// write completions all run there, so a watcher needs no lock. The writer
// hands events over through an alarm on the queue.
class Fanout {
 public:
  using Service = retro::v1::SessionService::WithRawMethod_WatchSessionBatches<
      retro::v1::SessionService::Service>;

  explicit Fanout(Service* service) : service_(service) {}
  // Once the server runs: serves the queue the server was built with.
  void Start(std::unique_ptr<grpc::ServerCompletionQueue> queue) {
    queue_ = std::move(queue);
    // Enough outstanding requests that a storm of joins finds one each.
    for (int i = 0; i < 64; ++i) RequestNext();
    thread_ = std::thread([this] { Serve(); });
    std::lock_guard<std::mutex> lock(pending_mu_);
    started_ = true;
  }
  // After the server's Shutdown.
  ~Fanout() {
    if (queue_ == nullptr) return;
    queue_->Shutdown();
    thread_.join();
  }

  // Every current watcher gets each of the events, in order. Thread-safe.
  void Publish(std::vector<EventBytes> events) {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (!started_) return;  // nobody can have joined yet
    for (EventBytes& event : events) pending_.push_back(std::move(event));
    if (alarm_ != nullptr) return;  // the thread has not taken the last ones yet
    alarm_ = std::make_unique<grpc::Alarm>();
    alarm_->Set(queue_.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &publish_tag_);
  }

  int watchers() const { return count_.load(); }

 private:
  struct Watcher;
  struct Tag {
    enum Kind { kJoin, kWrite, kDone, kPublish } kind;
    Watcher* watcher;
  };
  struct Watcher {
    grpc::ServerContext context;
    grpc::ByteBuffer request;
    grpc::ServerAsyncWriter<grpc::ByteBuffer> stream{&context};
    grpc::ByteBuffer buffer;  // the write in flight
    std::vector<EventBytes> queue;
    bool in_flight = false;
    bool done = false;
    Tag join{Tag::kJoin, this}, write{Tag::kWrite, this}, finished{Tag::kDone, this};
  };

  void RequestNext() {
    auto* watcher = new Watcher;
    watcher->context.AsyncNotifyWhenDone(&watcher->finished);
    service_->RequestWatchSessionBatches(&watcher->context, &watcher->request, &watcher->stream,
                                         queue_.get(), queue_.get(), &watcher->join);
  }

  void Write(Watcher* watcher) {
    watcher->in_flight = true;
    watcher->buffer = EncodeBatch(watcher->queue);
    watcher->queue.clear();
    watcher->stream.Write(watcher->buffer, &watcher->write);
  }

  void Remove(Watcher* watcher) {
    for (size_t i = 0; i < watchers_.size(); ++i) {
      if (watchers_[i] == watcher) {
        watchers_[i] = watchers_.back();
        watchers_.pop_back();
        break;
      }
    }
    count_.store(static_cast<int>(watchers_.size()));
  }

  void Serve() {
    void* got = nullptr;
    bool ok = false;
    while (queue_->Next(&got, &ok)) {
      Tag* tag = static_cast<Tag*>(got);
      Watcher* watcher = tag->watcher;
      switch (tag->kind) {
        case Tag::kJoin:
          if (!ok) {  // shutting down: the call never started
            delete watcher;
            break;
          }
          RequestNext();
          watchers_.push_back(watcher);
          count_.store(static_cast<int>(watchers_.size()));
          break;
        case Tag::kWrite:
          watcher->in_flight = false;
          if (watcher->done) {
            delete watcher;
          } else if (ok && !watcher->queue.empty()) {
            Write(watcher);
          }
          break;
        case Tag::kDone:
          watcher->done = true;
          Remove(watcher);
          if (!watcher->in_flight) delete watcher;
          break;
        case Tag::kPublish: {
          std::vector<EventBytes> events;
          {
            std::lock_guard<std::mutex> lock(pending_mu_);
            events.swap(pending_);
            alarm_.reset();  // it has fired
          }
          for (Watcher* w : watchers_) {
            w->queue.insert(w->queue.end(), events.begin(), events.end());
            if (!w->in_flight) Write(w);
          }
          break;
        }
      }
    }
    for (Watcher* watcher : watchers_) delete watcher;
  }

  Service* const service_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::vector<Watcher*> watchers_;  // the serving thread's
  std::atomic<int> count_{0};
  Tag publish_tag_{Tag::kPublish, nullptr};
  std::mutex pending_mu_;
  std::vector<EventBytes> pending_;     // guarded by pending_mu_
  std::unique_ptr<grpc::Alarm> alarm_;  // guarded by pending_mu_: set while events wait
  bool started_ = false;                // guarded by pending_mu_
  std::thread thread_;
};

// --- the writes -----------------------------------------------------------

// One writer thread, as in retrod's session writers: every annotation
// queued while it synced goes in its next batch, is published, then
// answered.
class Writer {
 public:
  struct Call {
    grpc::ServerUnaryReactor* reactor;
    const retro::v1::AddAnnotationRequest* request;
    retro::v1::Annotation* reply;
  };

  Writer(int fd, Fanout* fanout) : fd_(fd), fanout_(fanout), thread_([this] { Run(); }) {}
  ~Writer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void Enqueue(Call call) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(call);
    }
    wake_.notify_one();
  }

 private:
  void Run() {
    std::vector<Call> batch;
    std::string bytes;
    uint64_t sequence = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch.swap(queue_);  // batch was cleared after its last round
      }
      bytes.clear();
      for (const Call& call : batch) call.request->AppendToString(&bytes);
      grpc::Status status = grpc::Status::OK;
      if (write(fd_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
          fdatasync(fd_) != 0) {
        status = grpc::Status(grpc::StatusCode::INTERNAL, "write failed");
      }
      std::vector<EventBytes> events;
      for (const Call& call : batch) {
        retro::v1::SessionEvent event;
        event.set_sequence(++sequence);
        retro::v1::Annotation* annotation = event.mutable_annotation();
        *annotation = call.request->annotation();
        annotation->set_name(absl::StrCat(call.request->parent(), "/annotations/", sequence));
        annotation->set_etag(absl::StrCat(sequence));
        *call.reply = *annotation;
        if (status.ok())
          events.push_back(std::make_shared<const std::string>(event.SerializeAsString()));
      }
      if (!events.empty()) fanout_->Publish(std::move(events));
      for (const Call& call : batch) call.reactor->Finish(status);
      batch.clear();
    }
  }

  const int fd_;
  Fanout* const fanout_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Call> queue_;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  std::thread thread_;
};

class AnnotationFloor final : public retro::v1::AnnotationService::CallbackService {
 public:
  explicit AnnotationFloor(Writer* writer) : writer_(writer) {}
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
  retro::bench::PrepareFloorProcess();
  const std::string path = absl::GetFlag(FLAGS_data_dir) + "/floor-annotations";
  const int fd = retro::bench::OpenAppendOnly(path);
  if (fd < 0) return 1;

  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  Fanout::Service watch_service;
  builder.RegisterService(&watch_service);
  std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
  auto fanout = std::make_unique<Fanout>(&watch_service);
  Writer writer(fd, fanout.get());
  AnnotationFloor annotations(&writer);
  builder.RegisterService(&annotations);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "fanout_floor_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  fanout->Start(std::move(queue));
  retro::bench::LogListening(absl::GetFlag(FLAGS_listen), port);

  // Presence: the count of watchers to all of them, within 100 ms of a
  // change.
  std::atomic<bool> stopping{false};
  std::thread presence([&] {
    int last = 0;
    while (!stopping.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const int now = fanout->watchers();
      if (now != last) {
        last = now;
        fanout->Publish({PresenceBytes(now)});
      }
    }
  });

  retro::bench::WaitForStopSignal();
  stopping.store(true);
  presence.join();
  // Streams never end by themselves: cancel what is left after a second.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  fanout.reset();  // drains its queue, after the server's shutdown
  close(fd);
  unlink(path.c_str());
  return 0;
}
