#include "storage/retryable_writes.h"

#include <string>
#include <utility>

namespace retro::storage {
namespace {

rocksdb::IOStatus Retryable(rocksdb::IOStatus status) {
  if (status.ok()) return status;
  // RocksDB leaves a full disk to its SstFileManager, which polls for free
  // space every few seconds on a thread of its own; as a plain retryable
  // error it is resumed by Database like the others. The message stays.
  if (status.IsNoSpace()) {
    status = rocksdb::IOStatus::IOError("No space left on device",
                                        status.getState() ? status.getState() : "");
  }
  status.SetRetryable(true);
  return status;
}

class RetryableWritesFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  explicit RetryableWritesFile(std::unique_ptr<rocksdb::FSWritableFile> file)
      : FSWritableFileOwnerWrapper(std::move(file)) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Append(data, options, dbg));
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Append(data, options, info, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg));
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    return Retryable(
        FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, info, dbg));
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Flush(options, dbg));
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Sync(options, dbg));
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Fsync(options, dbg));
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    return Retryable(FSWritableFileOwnerWrapper::Close(options, dbg));
  }
};

class RetryableWritesFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit RetryableWritesFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  const char* Name() const override { return "RetroRetryableWrites"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    if (!status.ok()) return Retryable(std::move(status));
    *result = std::make_unique<RetryableWritesFile>(std::move(*result));
    return status;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus status = FileSystemWrapper::ReopenWritableFile(name, options, result, dbg);
    if (!status.ok()) return Retryable(std::move(status));
    *result = std::make_unique<RetryableWritesFile>(std::move(*result));
    return status;
  }
};

}  // namespace

std::shared_ptr<rocksdb::FileSystem> NewRetryableWritesFileSystem(
    std::shared_ptr<rocksdb::FileSystem> target) {
  return std::make_shared<RetryableWritesFileSystem>(target);
}

}  // namespace retro::storage
