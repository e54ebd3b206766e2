#include "storage/query_log.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "storage/index/posting_block.h"
#include "storage/keys.h"
#include "storage/status_macros.h"

namespace retro::storage {
namespace {

std::string DayPrefix(const std::string& org_id, int32_t day) {
  std::string key = org_id;
  key.push_back('\0');
  uint32_t value = static_cast<uint32_t>(day);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(value >> shift));
  return key;
}

}  // namespace

absl::Status QueryLog::Record(const std::string& org_id, int32_t day, const std::string& query,
                              bool found_nothing) {
  absl::MutexLock lock(&mu_);
  std::string key = DayPrefix(org_id, day) + query;
  ASSIGN_OR_RETURN(std::optional<std::string> value, database_.Get(Table::kQueries, key));
  uint64_t count = 0, nothing = 0;
  if (value) {
    size_t pos = 0;
    if (!index::GetVarint(*value, &pos, &count) || !index::GetVarint(*value, &pos, &nothing)) {
      count = nothing = 0;
    }
  }
  std::string updated;
  index::PutVarint(count + 1, &updated);
  index::PutVarint(nothing + (found_nothing ? 1 : 0), &updated);
  Database::Batch batch;
  batch.Put(Table::kQueries, key, updated);
  return database_.WriteUnsynced(batch);
}

absl::StatusOr<std::vector<QueryLog::Counts>> QueryLog::Range(const std::string& org_id,
                                                              int32_t from_day, int32_t to_day) {
  std::map<std::string, Counts> totals;
  std::string prefix = org_id;
  prefix.push_back('\0');
  std::string start = DayPrefix(org_id, from_day);
  std::string end = DayPrefix(org_id, to_day + 1);
  RETURN_IF_ERROR(database_.Scan(
      Table::kQueries, prefix, "", [&](absl::string_view key, absl::string_view value) {
        if (key.size() < prefix.size() + 4) return true;
        if (key.substr(0, end.size()) >= end) return false;
        if (key < start) return true;
        std::string query(key.substr(prefix.size() + 4));
        uint64_t count = 0, nothing = 0;
        size_t pos = 0;
        if (index::GetVarint(value, &pos, &count) && index::GetVarint(value, &pos, &nothing)) {
          Counts& counts = totals[query];
          counts.query = query;
          counts.count += static_cast<int64_t>(count);
          counts.found_nothing += static_cast<int64_t>(nothing);
        }
        return true;
      }));
  std::vector<Counts> out;
  for (auto& [query, counts] : totals) out.push_back(std::move(counts));
  return out;
}

}  // namespace retro::storage
