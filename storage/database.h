// Database: the one embedded RocksDB instance of a retrod data directory,
// with a column family per kind of data (see keys.h for the layouts).
//
// Only storage/ uses this class; everything above storage talks to the
// stores and the event log built on it. Thread-safe: RocksDB serializes
// writers and shares one fsync among concurrent synced writes (group
// commit). Every Write is synced before it returns: acknowledged means
// durable.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace retro::storage {

enum class Table {
  kDirectory,
  kSessions,
  kAnnotations,
  kActionItems,
  kVotes,
  kEvents,
  kRequests,
  kLessons,
  kPostings,
  kTerms,
  kDocValues,
  kQueries,
  kIndexStats,
};
inline constexpr int kTableCount = 13;

struct DatabaseOptions {
  // The data directory; created when missing.
  std::string path;
  // Borrowed; nullptr means the default Env. Tests inject faulty ones.
  rocksdb::Env* env = nullptr;
  // Receives one line when writes start failing (disk full, read-only, I/O
  // error) and one when they work again. May be empty.
  std::function<void(const std::string&)> log;
};

class Database {
 public:
  // How often a failing database is asked to resume writes.
  static constexpr absl::Duration kResumeInterval = absl::Milliseconds(200);

  // A set of writes applied atomically by Database::Write. Not thread-safe.
  class Batch {
   public:
    Batch();
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;

    void Put(Table table, absl::string_view key, absl::string_view value);
    // The same, taking the strings rather than copying them.
    void Put(Table table, std::string&& key, std::string&& value);
    void Delete(Table table, absl::string_view key);
    // Deletes every key in [begin, end).
    void DeleteRange(Table table, absl::string_view begin, absl::string_view end);
    int Count() const;

   private:
    friend class Database;
    // Writes are recorded per table and bound to handles at Write time, so a
    // Batch can be built without a Database at hand.
    struct Op;
    std::unique_ptr<std::vector<Op>> ops_;
  };

  // Opens (creating when missing) the database at options.path.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);
  // Flushes nothing extra: every acknowledged write was already synced.
  ~Database();

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Applies the batch atomically and syncs it before returning. Disk
  // trouble (full, read-only, I/O error) is UNAVAILABLE, and nothing of the
  // batch is applied. RocksDB then refuses every write until it is resumed:
  // each later write first tries to resume it (at most every
  // kResumeInterval), so writes work again, without a restart, as soon as
  // the disk does. Reads keep working throughout.
  [[nodiscard]] absl::Status Write(const Batch& batch);
  // Applies the batch without waiting for the disk: only for what nobody was
  // promised (search statistics), never for acknowledged writes.
  [[nodiscard]] absl::Status WriteUnsynced(const Batch& batch);

  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(Table table, absl::string_view key);

  // Calls visit(key, value) for keys starting with prefix, in key order,
  // beginning after start_after (or at the prefix when empty), until visit
  // returns false.
  [[nodiscard]] absl::Status Scan(
      Table table, absl::string_view prefix, absl::string_view start_after,
      const std::function<bool(absl::string_view key, absl::string_view value)>& visit);

  // Flushes a table and returns its size in SST files: its footprint as
  // written, before compactions rewrite it (for benchmarks and operators).
  [[nodiscard]] absl::StatusOr<uint64_t> WrittenSize(Table table);
  // Flushes and fully compacts a table, then returns its size in SST files:
  // the steady-state footprint (for benchmarks and operators).
  [[nodiscard]] absl::StatusOr<uint64_t> CompactedSize(Table table);

  // Writes an openable copy of the whole database, consistent as of now,
  // into directory (absolute, must not exist), while writes go on: SST files
  // are hard-linked where possible. Returns the bytes in the copy.
  [[nodiscard]] absl::StatusOr<uint64_t> Checkpoint(const std::string& directory);

  // The greatest key starting with prefix, if any.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> LastKeyWithPrefix(
      Table table, absl::string_view prefix);

 private:
  Database() = default;
  rocksdb::ColumnFamilyHandle* Handle(Table table) const;
  absl::Status WriteBatch(const Batch& batch, bool sync);
  // While writes are failing: tries to resume RocksDB (at most every
  // kResumeInterval); the last failure when still failing.
  absl::Status ResumeIfFailed();
  void NoteWriteFailure(const absl::Status& failure);

  // Declared before db_, so it outlives it.
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // Owned; indexed by Table.
  std::function<void(const std::string&)> log_;

  // Write health. failing_ is read without the lock on every write.
  std::atomic<bool> failing_{false};
  absl::Mutex health_mu_;
  absl::Status last_failure_ ABSL_GUARDED_BY(health_mu_);
  absl::Time last_resume_attempt_ ABSL_GUARDED_BY(health_mu_) = absl::InfinitePast();
};

}  // namespace retro::storage
