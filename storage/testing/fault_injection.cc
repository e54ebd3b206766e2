#include "storage/testing/fault_injection.h"

#include <atomic>

#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace retro::storage {
namespace {

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<bool>& fail)
      : FSWritableFileOwnerWrapper(std::move(file)), fail_(fail) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (fail_.load()) return rocksdb::IOStatus::IOError("injected write failure");
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (fail_.load()) return rocksdb::IOStatus::IOError("injected write failure");
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (fail_.load()) return rocksdb::IOStatus::IOError("injected sync failure");
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (fail_.load()) return rocksdb::IOStatus::IOError("injected sync failure");
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  const std::atomic<bool>& fail_;
};

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target,
                   const std::atomic<bool>& fail)
      : FileSystemWrapper(target), fail_(fail) {}
  const char* Name() const override { return "RetroFaultyFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    if (status.ok()) *result = std::make_unique<FaultyFile>(std::move(*result), fail_);
    return status;
  }

 private:
  const std::atomic<bool>& fail_;
};

}  // namespace

struct FaultInjection::Impl {
  std::atomic<bool> fail{false};
  std::shared_ptr<FaultyFileSystem> fs;
  std::unique_ptr<rocksdb::Env> env;
};

FaultInjection::FaultInjection() : impl_(std::make_unique<Impl>()) {
  impl_->fs = std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default(), impl_->fail);
  impl_->env = rocksdb::NewCompositeEnv(impl_->fs);
}

FaultInjection::~FaultInjection() = default;

rocksdb::Env* FaultInjection::env() { return impl_->env.get(); }

void FaultInjection::FailWrites(bool fail) { impl_->fail.store(fail); }

}  // namespace retro::storage
