// ThreadPool: a fixed number of threads running scheduled work in the order
// it was scheduled.
//
// For work that blocks (a synced write) and must not run on gRPC's callback
// threads, which have to stay free to move bytes. Thread-safe. The
// destructor runs what is still scheduled, then joins the threads; work
// scheduled after destruction began is a bug.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace retro {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(std::function<void()> work);
  // Whether scheduled work waits for a thread (a hint: it may change at once).
  bool HasWaitingWork();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> work_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace retro
