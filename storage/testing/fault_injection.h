// FaultInjection: a RocksDB Env whose file writes fail on demand, for tests
// of what a failed write leaves behind and of recovery when the disk
// comes back. Thread-safe.
//
//   FaultInjection faults;
//   options.env = faults.env();
//   faults.Inject(FaultInjection::Fault::kNoSpace);  // appends and syncs fail
//   faults.Inject(FaultInjection::Fault::kNone);     // the disk is back
#pragma once

#include <cstdint>
#include <memory>

namespace rocksdb {
class Env;
}

namespace retro::storage {

class FaultInjection {
 public:
  enum class Fault {
    kNone,
    // Every append and sync fails with an I/O error.
    kIoError,
    // Every append and sync fails with "No space left on device".
    kNoSpace,
    // Creating files fails, and appends and syncs to open files too, as on
    // a file system remounted read-only.
    kReadOnly,
  };

  FaultInjection();
  ~FaultInjection();

  // Borrowed by the database; lives as long as this object.
  rocksdb::Env* env();
  void Inject(Fault fault);
  // Inject(kIoError) or Inject(kNone).
  void FailWrites(bool fail) { Inject(fail ? Fault::kIoError : Fault::kNone); }
  // Every sync of a file takes this much longer (a slow disk); 0 for none.
  void DelaySyncs(int milliseconds);
  // Writes refused since construction.
  uint64_t refused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace retro::storage
