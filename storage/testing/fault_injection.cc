#include "storage/testing/fault_injection.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace retro::storage {
namespace {

using Fault = FaultInjection::Fault;

struct State {
  std::atomic<Fault> fault{Fault::kNone};
  std::atomic<uint64_t> refused{0};
  std::atomic<int> sync_delay_ms{0};

  void DelaySync() {
    if (int ms = sync_delay_ms.load(); ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }

  // The error a write gets now, or OK.
  rocksdb::IOStatus Check(bool creating_file) {
    switch (fault.load()) {
      case Fault::kNone:
        return rocksdb::IOStatus::OK();
      case Fault::kIoError:
        if (creating_file) return rocksdb::IOStatus::OK();
        ++refused;
        return rocksdb::IOStatus::IOError("injected I/O error");
      case Fault::kNoSpace:
        if (creating_file) return rocksdb::IOStatus::OK();
        ++refused;
        return rocksdb::IOStatus::NoSpace("injected: No space left on device");
      case Fault::kReadOnly:
        ++refused;
        return rocksdb::IOStatus::IOError("injected: Read-only file system");
    }
    return rocksdb::IOStatus::OK();
  }
};

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, State& state)
      : FSWritableFileOwnerWrapper(std::move(file)), state_(state) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = state_.Check(false); !s.ok()) return s;
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = state_.Check(false); !s.ok()) return s;
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    state_.DelaySync();
    if (auto s = state_.Check(false); !s.ok()) return s;
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    state_.DelaySync();
    if (auto s = state_.Check(false); !s.ok()) return s;
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  State& state_;
};

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, State& state)
      : FileSystemWrapper(target), state_(state) {}
  const char* Name() const override { return "RetroFaultyFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (auto s = state_.Check(true); !s.ok()) return s;
    rocksdb::IOStatus status = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    if (status.ok()) *result = std::make_unique<FaultyFile>(std::move(*result), state_);
    return status;
  }

 private:
  State& state_;
};

}  // namespace

struct FaultInjection::Impl {
  State state;
  std::shared_ptr<FaultyFileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

FaultInjection::FaultInjection() : impl_(std::make_unique<Impl>()) {
  impl_->fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default(), impl_->state);
  impl_->env = rocksdb::NewCompositeEnv(impl_->fs);
}

FaultInjection::~FaultInjection() = default;

rocksdb::Env* FaultInjection::env() { return impl_->env.get(); }

void FaultInjection::Inject(Fault fault) { impl_->state.fault.store(fault); }

void FaultInjection::DelaySyncs(int milliseconds) {
  impl_->state.sync_delay_ms.store(milliseconds);
}

uint64_t FaultInjection::refused() const { return impl_->state.refused.load(); }

}  // namespace retro::storage
