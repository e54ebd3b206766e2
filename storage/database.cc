#include "storage/database.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/keys.h"
#include "storage/retryable_writes.h"
#include "storage/status_macros.h"

namespace retro::storage {
namespace {

const char* const kTableNames[kTableCount] = {
    "directory", "sessions", "annotations", "action_items", "votes",   "events",      "requests",
    "lessons",   "postings", "terms",       "doc_values",   "queries", "index_stats",
};

rocksdb::Slice ToSlice(absl::string_view view) { return rocksdb::Slice(view.data(), view.size()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsIOError() || s.IsNoSpace() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() ||
      s.IsIncomplete()) {
    return absl::UnavailableError(message);
  }
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

// For the memtable's insert hints: a key less its last four bytes. The
// index's lessons and doc values are keyed by an organization's prefix and
// a big-endian doc id, and a bulk load writes each batch's docs in rising
// order, so each key goes right after the last one with its prefix: with a
// hint the skip list links it there instead of searching from the top
// (RocksDB keeps the hint per prefix). A hint is only where a search
// starts, so a key that does not fit the layout is still put in its place.
class AllButLastFourBytes : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "retro.AllButLastFourBytes"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 4);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 4; }
};

}  // namespace

struct Database::Batch::Op {
  enum Kind { kPut, kDelete, kDeleteRange };
  Table table;
  Kind kind;
  std::string key;
  std::string value;
};

Database::Batch::Batch() : ops_(std::make_unique<std::vector<Op>>()) {}
Database::Batch::~Batch() = default;
Database::Batch::Batch(Batch&&) noexcept = default;
Database::Batch& Database::Batch::operator=(Batch&&) noexcept = default;

void Database::Batch::Put(Table table, absl::string_view key, absl::string_view value) {
  ops_->push_back(Op{table, Op::kPut, std::string(key), std::string(value)});
}
void Database::Batch::Put(Table table, std::string&& key, std::string&& value) {
  ops_->push_back(Op{table, Op::kPut, std::move(key), std::move(value)});
}
void Database::Batch::Delete(Table table, absl::string_view key) {
  ops_->push_back(Op{table, Op::kDelete, std::string(key), std::string()});
}
void Database::Batch::DeleteRange(Table table, absl::string_view begin, absl::string_view end) {
  ops_->push_back(Op{table, Op::kDeleteRange, std::string(begin), std::string(end)});
}
int Database::Batch::Count() const { return static_cast<int>(ops_->size()); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::unique_ptr<Database> database(new Database());
  rocksdb::Env* base_env = options.env ? options.env : rocksdb::Env::Default();
  database->env_ =
      rocksdb::NewCompositeEnv(NewRetryableWritesFileSystem(base_env->GetFileSystem()));
  db_options.env = database->env_.get();
  // After disk trouble RocksDB refuses writes until resumed (see
  // retryable_writes.h). Database resumes it on the next write rather than
  // RocksDB on a thread of its own: closing the database while that thread
  // retries can hang (RocksDB 7.8), and a write is what needs it anyway.
  db_options.max_bgerror_resume_count = 0;
  db_options.IncreaseParallelism(2);
  db_options.max_open_files = 512;
  // Many writers commit through one leader; each still waits for the sync.
  db_options.enable_pipelined_write = false;
  db_options.manual_wal_flush = false;

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(64 << 20);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  cf_options.compression = rocksdb::kLZ4Compression;
  cf_options.write_buffer_size = 16 << 20;

  // The index's per-lesson columns are read in order, when an
  // organization's columns are loaded into memory, and are mostly small
  // strings repeated across lessons: zstd over large blocks stores them in
  // a fraction of LZ4's space, and its slower decompression is paid once.
  // Level 3 as they are flushed, level 9 once compacted to the bottom:
  // level 9 at every flush cost a fifth of a bulk load's CPU. With 256 KiB
  // blocks rather than 64 the doc values of 1,000,000 lessons take 39.6 MB
  // as flushed (42.2 before, all level 9) and 34.8 MB compacted (40.5).
  rocksdb::BlockBasedTableOptions dense_table_options = table_options;
  dense_table_options.block_size = 256 << 10;
  rocksdb::ColumnFamilyOptions dense_cf_options = cf_options;
  dense_cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(dense_table_options));
  dense_cf_options.compression = rocksdb::kZSTD;
  dense_cf_options.compression_opts.level = 3;
  dense_cf_options.bottommost_compression = rocksdb::kZSTD;
  dense_cf_options.bottommost_compression_opts.level = 9;
  dense_cf_options.bottommost_compression_opts.enabled = true;

  auto insert_hints = std::make_shared<AllButLastFourBytes>();
  rocksdb::ColumnFamilyOptions lessons_cf_options = cf_options;
  lessons_cf_options.memtable_insert_with_hint_prefix_extractor = insert_hints;
  dense_cf_options.memtable_insert_with_hint_prefix_extractor = insert_hints;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (int table = 0; table < kTableCount; ++table) {
    const Table which = static_cast<Table>(table);
    descriptors.emplace_back(kTableNames[table], which == Table::kDocValues ? dense_cf_options
                                                 : which == Table::kLessons ? lessons_cf_options
                                                                            : cf_options);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &db);
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening database at ", options.path));
  database->db_.reset(db);
  database->log_ = options.log;
  // handles[0] is the default column family, which retro does not use.
  database->handles_.assign(handles.begin(), handles.end());
  return database;
}

Database::~Database() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Database::Handle(Table table) const {
  return handles_[static_cast<int>(table) + 1];
}

absl::Status Database::Write(const Batch& batch) { return WriteBatch(batch, /*sync=*/true); }

absl::Status Database::WriteUnsynced(const Batch& batch) {
  return WriteBatch(batch, /*sync=*/false);
}

absl::Status Database::WriteBatch(const Batch& batch, bool sync) {
  // Reserved up front: an index write is megabytes, copied again each time
  // a growing buffer doubled.
  size_t bytes = 12;  // The batch header.
  for (const Batch::Op& op : *batch.ops_) bytes += 16 + op.key.size() + op.value.size();
  rocksdb::WriteBatch write_batch(bytes);
  for (const Batch::Op& op : *batch.ops_) {
    rocksdb::Status s;
    switch (op.kind) {
      case Batch::Op::kPut:
        s = write_batch.Put(Handle(op.table), op.key, op.value);
        break;
      case Batch::Op::kDelete:
        s = write_batch.Delete(Handle(op.table), op.key);
        break;
      case Batch::Op::kDeleteRange:
        s = write_batch.DeleteRange(Handle(op.table), op.key, op.value);
        break;
    }
    if (!s.ok()) return FromRocks(s, "building write batch");
  }
  RETURN_IF_ERROR(ResumeIfFailed());
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  absl::Status status = FromRocks(db_->Write(write_options, &write_batch), "writing");
  if (absl::IsUnavailable(status)) {
    status = absl::UnavailableError(
        absl::StrCat("the data directory cannot be written: ", status.message()));
    NoteWriteFailure(status);
  }
  return status;
}

void Database::NoteWriteFailure(const absl::Status& failure) {
  absl::MutexLock lock(&health_mu_);
  last_failure_ = failure;
  last_resume_attempt_ = absl::Now();
  if (failing_.exchange(true)) return;
  if (log_) {
    log_("storage: writes are failing, the data directory cannot be written (" +
         std::string(failure.message()) + "); reads go on, writes resume when it can");
  }
}

absl::Status Database::ResumeIfFailed() {
  if (!failing_.load(std::memory_order_acquire)) return absl::OkStatus();
  absl::MutexLock lock(&health_mu_);
  if (!failing_.load()) return absl::OkStatus();  // Another writer resumed it.
  const absl::Time now = absl::Now();
  if (now - last_resume_attempt_ < kResumeInterval) return last_failure_;
  last_resume_attempt_ = now;
  // Resume flushes the memtables and starts a new write-ahead log, so it
  // fails for as long as the disk does.
  absl::Status resumed = FromRocks(db_->Resume(), "resuming writes");
  if (!resumed.ok()) {
    last_failure_ = absl::UnavailableError(
        absl::StrCat("the data directory cannot be written (still failing): ", resumed.message()));
    return last_failure_;
  }
  failing_.store(false, std::memory_order_release);
  if (log_) log_("storage: writes resumed");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Database::Get(Table table, absl::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Handle(table), ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "reading");
  return value;
}

absl::Status Database::Scan(
    Table table, absl::string_view prefix, absl::string_view start_after,
    const std::function<bool(absl::string_view key, absl::string_view value)>& visit) {
  std::string upper = keys::PrefixEnd(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read_options;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, Handle(table)));
  if (start_after.empty()) {
    it->Seek(ToSlice(prefix));
  } else {
    it->Seek(ToSlice(start_after));
    if (it->Valid() && it->key() == ToSlice(start_after)) it->Next();
  }
  for (; it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, absl::string_view(it->value().data(), it->value().size()))) break;
  }
  return FromRocks(it->status(), "scanning");
}

absl::StatusOr<uint64_t> Database::Checkpoint(const std::string& directory) {
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "starting checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // Flush first, so the copy holds no write-ahead log to replay.
  RETURN_IF_ERROR(FromRocks(checkpoint->CreateCheckpoint(directory, /*log_size_for_flush=*/0),
                            absl::StrCat("writing checkpoint to ", directory)));
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  }
  return bytes;
}

absl::StatusOr<uint64_t> Database::WrittenSize(Table table) {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  RETURN_IF_ERROR(FromRocks(db_->Flush(flush, Handle(table)), "flushing"));
  uint64_t size = 0;
  if (!db_->GetIntProperty(Handle(table), "rocksdb.total-sst-files-size", &size)) {
    return absl::InternalError("no SST size property");
  }
  return size;
}

absl::StatusOr<uint64_t> Database::CompactedSize(Table table) {
  rocksdb::FlushOptions flush;
  flush.wait = true;
  RETURN_IF_ERROR(FromRocks(db_->Flush(flush, Handle(table)), "flushing"));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  RETURN_IF_ERROR(
      FromRocks(db_->CompactRange(compact, Handle(table), nullptr, nullptr), "compacting"));
  uint64_t size = 0;
  if (!db_->GetIntProperty(Handle(table), "rocksdb.total-sst-files-size", &size)) {
    return absl::InternalError("no SST size property");
  }
  return size;
}

absl::StatusOr<std::optional<std::string>> Database::LastKeyWithPrefix(Table table,
                                                                       absl::string_view prefix) {
  std::string upper = keys::PrefixEnd(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(table)));
  if (upper.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(upper);
    if (it->Valid() && it->key() == rocksdb::Slice(upper)) it->Prev();
  }
  if (!it->Valid()) {
    if (!it->status().ok()) return FromRocks(it->status(), "seeking");
    return std::nullopt;
  }
  absl::string_view key(it->key().data(), it->key().size());
  if (key.substr(0, prefix.size()) != prefix) return std::nullopt;
  return std::string(key);
}

}  // namespace retro::storage
