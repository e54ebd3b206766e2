// Reading protobuf records out of the Database, shared by the stores.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/database.h"
#include "storage/status_macros.h"

namespace retro::storage {

template <typename Message>
absl::StatusOr<std::optional<Message>> GetRecord(Database& database, Table table,
                                                 const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, database.Get(table, key));
  if (!value) return std::nullopt;
  Message message;
  if (!message.ParseFromString(*value)) {
    return absl::DataLossError(
        absl::StrCat("unreadable ", Message::descriptor()->name(), " record"));
  }
  return message;
}

// Visits the records directly under prefix (keys prefix + id), after
// after_id, in key order, until visit returns false.
template <typename Message>
absl::Status ScanRecords(Database& database, Table table, const std::string& prefix,
                         const std::string& after_id, const std::function<bool(Message&&)>& visit) {
  absl::Status parse_status;
  std::string start_after = after_id.empty() ? std::string() : prefix + after_id;
  RETURN_IF_ERROR(database.Scan(
      table, prefix, start_after, [&](absl::string_view key, absl::string_view value) {
        if (key.find('\0', prefix.size()) != absl::string_view::npos) return true;
        Message message;
        if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_status = absl::DataLossError(
              absl::StrCat("unreadable ", Message::descriptor()->name(), " record"));
          return false;
        }
        return visit(std::move(message));
      }));
  return parse_status;
}

}  // namespace retro::storage
