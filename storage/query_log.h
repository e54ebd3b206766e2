// QueryLog: how often each library query ran per day, and how often it
// found nothing, per organization; the evidence behind GetSearchInsights.
// Written without waiting for the disk: nobody was promised these counts,
// and a search must not wait for an fsync. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/database.h"

namespace retro::storage {

class QueryLog {
 public:
  // database is borrowed and must outlive the log.
  explicit QueryLog(Database& database) : database_(database) {}

  struct Counts {
    std::string query;
    int64_t count = 0;
    int64_t found_nothing = 0;
  };

  // day: days since 1970-01-01.
  [[nodiscard]] absl::Status Record(const std::string& org_id, int32_t day,
                                    const std::string& query, bool found_nothing);
  // Counts per query over [from_day, to_day], summed.
  [[nodiscard]] absl::StatusOr<std::vector<Counts>> Range(const std::string& org_id,
                                                          int32_t from_day, int32_t to_day);

 private:
  Database& database_;
  absl::Mutex mu_;  // Serializes read-modify-write of counters.
};

}  // namespace retro::storage
