// RetryableWritesFileSystem: wraps a RocksDB FileSystem and marks every
// failed write (creating, appending to, syncing or closing a file) as
// retryable (a full disk included, as a plain retryable I/O error).
//
// Why: RocksDB treats a failed write-ahead-log write that is not marked
// retryable as fatal, and a fatal database refuses writes until it is
// reopened. A full or read-only disk is exactly the kind of trouble that
// passes, so retrod tells RocksDB so: it then refuses writes until
// Database asks it to resume, which flushes to a new log once the disk
// allows (so the torn record of the failed write is never replayed).
// Internal to storage/.
#pragma once

#include <memory>

#include "rocksdb/file_system.h"

namespace retro::storage {

std::shared_ptr<rocksdb::FileSystem> NewRetryableWritesFileSystem(
    std::shared_ptr<rocksdb::FileSystem> target);

}  // namespace retro::storage
