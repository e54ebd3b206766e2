// FaultInjection: a RocksDB Env whose file writes fail on demand, for tests
// of what a failed write leaves behind. Thread-safe.
//
//   FaultInjection faults;
//   options.env = faults.env();
//   faults.FailWrites(true);   // every append and sync now fails
#pragma once

#include <memory>

namespace rocksdb {
class Env;
}

namespace retro::storage {

class FaultInjection {
 public:
  FaultInjection();
  ~FaultInjection();

  // Borrowed by the database; lives as long as this object.
  rocksdb::Env* env();
  void FailWrites(bool fail);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace retro::storage
