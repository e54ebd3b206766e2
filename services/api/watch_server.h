// WatchServer: the threads that serve the WatchSession and
// WatchSessionBatches streams, on gRPC's completion-queue API, and run the
// hub's wake-ups of large audiences. Each thread reads a completion queue
// of its own; a stream belongs to the queue it arrived on.
//
// Why threads of our own, not gRPC's callback API: an event for a
// thousand watchers starts a thousand stream writes. On the callback API
// (gRPC 1.51) each write's completion wakes one of gRPC's two callback
// threads, which preempt the thread still starting the rest (hundreds of
// thread switches an event), and the wake-ups ran on a gRPC executor
// thread that the completions of its own writes queued behind. Here the
// thread that starts an event's writes is the one that takes their
// completions: they wait in the queue until it is done with the event, and
// it takes them in a run (when the stream is its own; with more than one
// thread, some completions go to the others). fanout_bench measured the
// difference (see docs/performance.md).
//
// Life: construct; hand Run to the SessionHub as its WakeRunner; register
// the SessionServiceImpl and one completion queue a thread with the gRPC
// server; once it runs, Start; after the server's Shutdown and Wait, Stop.
// Everything a stream does on its own (replay, joining the hub, access
// checks) runs on its thread, so none of it may wait for a session's
// writer. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grpcpp/alarm.h"
#include "grpcpp/grpcpp.h"
#include "services/api/services.h"

namespace retro::api {

class WatchServer {
 public:
  WatchServer() = default;
  ~WatchServer();  // Stops, if Stop was not called.

  // Runs work on a serving thread (each in turn), after the work handed to
  // that thread before it (the SessionHub's WakeRunner). Before Start and
  // once stopping, runs it on the caller's thread instead, so it always
  // runs exactly once.
  void Run(std::function<void()> work);

  // Asks gRPC for the service's watch calls on each of queues (which the
  // gRPC server was built with, and now runs) and serves each on a thread
  // of its own until Stop.
  void Start(SessionServiceImpl* service,
             std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues);

  // After the gRPC server's Shutdown and Wait: drains the queues, runs what
  // work is left and joins the threads.
  void Stop();

 private:
  // One serving thread and what it owns.
  struct Lane {
    std::unique_ptr<grpc::ServerCompletionQueue> queue;
    std::thread thread;
    std::vector<std::function<void()>> work;  // guarded by work_mu_
    // Set while work waits for the thread; it returns run_tag, whose
    // address tells it from the reactors' tags.
    std::unique_ptr<grpc::Alarm> alarm;  // guarded by work_mu_
    char run_tag = 0;
  };

  void Serve(Lane* lane);

  SessionServiceImpl* service_ = nullptr;
  std::vector<std::unique_ptr<Lane>> lanes_;

  std::mutex work_mu_;
  bool serving_ = false;  // guarded by work_mu_
  size_t next_lane_ = 0;  // guarded by work_mu_: the lane Run hands to next
};

}  // namespace retro::api
