#include "services/api/watch_server.h"

#include "grpc/support/time.h"

namespace retro::api {
namespace {

// Calls asked for ahead, for each method and queue: a storm of joins finds
// one each without waiting for a thread to ask again.
constexpr int kCallsAhead = 64;

}  // namespace

WatchServer::~WatchServer() { Stop(); }

void WatchServer::Run(std::function<void()> work) {
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    if (serving_) {
      Lane& lane = *lanes_[next_lane_];
      next_lane_ = (next_lane_ + 1) % lanes_.size();
      lane.work.push_back(std::move(work));
      if (lane.alarm == nullptr) {
        // Already due: it comes back as soon as the thread looks.
        lane.alarm = std::make_unique<grpc::Alarm>();
        lane.alarm->Set(lane.queue.get(), gpr_time_0(GPR_CLOCK_MONOTONIC), &lane.run_tag);
      }
      return;
    }
  }
  work();
}

void WatchServer::Start(SessionServiceImpl* service,
                        std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues) {
  service_ = service;
  for (auto& queue : queues) {
    auto lane = std::make_unique<Lane>();
    lane->queue = std::move(queue);
    for (int i = 0; i < kCallsAhead; ++i) {
      service_->RequestWatch(WatchReactor::Framing::kEvent, lane->queue.get());
      service_->RequestWatch(WatchReactor::Framing::kBatch, lane->queue.get());
    }
    lanes_.push_back(std::move(lane));
  }
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    serving_ = !lanes_.empty();
  }
  for (auto& lane : lanes_) lane->thread = std::thread([this, lane = lane.get()] { Serve(lane); });
}

void WatchServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    serving_ = false;  // From here Run runs work on its caller's thread.
  }
  // A lane's alarm, if set, is due and comes back before its queue drains.
  for (auto& lane : lanes_) lane->queue->Shutdown();
  for (auto& lane : lanes_) lane->thread.join();
  std::vector<std::function<void()>> left;
  {
    std::lock_guard<std::mutex> lock(work_mu_);
    for (auto& lane : lanes_) {
      for (auto& work : lane->work) left.push_back(std::move(work));
      lane->work.clear();
    }
  }
  for (std::function<void()>& work : left) work();
  lanes_.clear();
}

void WatchServer::Serve(Lane* lane) {
  void* got = nullptr;
  bool ok = false;
  while (lane->queue->Next(&got, &ok)) {
    if (got == &lane->run_tag) {
      std::vector<std::function<void()>> batch;
      {
        std::lock_guard<std::mutex> lock(work_mu_);
        batch.swap(lane->work);
        lane->alarm.reset();  // It has come back.
      }
      for (std::function<void()>& work : batch) work();
      continue;
    }
    auto* tag = static_cast<WatchReactor::Tag*>(got);
    if (tag->kind == WatchReactor::Tag::kArrived && ok) {
      // Replace it first: the checks below read the database.
      service_->RequestWatch(tag->reactor->framing(), lane->queue.get());
      service_->StartWatch(tag->reactor);
      continue;
    }
    tag->reactor->OnTag(tag->kind, ok);
  }
}

}  // namespace retro::api
