// Printing for `retro`: aligned tables for people, protobuf's JSON mapping
// for programs, RFC 4180 CSV for spreadsheets; and the small conversions
// between what people type ("lost", "went-wrong", "2026-10-01", "q3-loss")
// and the API's enums, dates and resource names. Pure functions.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "retro/v1/resources.pb.h"

namespace retro::cli {

// A table with a header row; columns are as wide as their widest cell
// (counted in code points), cells longer than `max_cell` are cut with "…".
class Table {
 public:
  explicit Table(std::vector<std::string> header, size_t max_cell = 60);
  void AddRow(std::vector<std::string> row);
  void Print(std::ostream& out) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  size_t max_cell_;
};

// Protobuf's JSON mapping, indented, every field printed (also defaults),
// field names in lowerCamelCase as the mapping specifies.
std::string ToJson(const google::protobuf::Message& message, bool multiline = true);

// One CSV record (RFC 4180: quoted where needed, CRLF ending).
std::string CsvRow(const std::vector<std::string>& cells);

// Cuts `text` to at most `max` code points, ending in "…" when cut, and
// folds line breaks to spaces.
std::string Shorten(absl::string_view text, size_t max);
size_t DisplayWidth(absl::string_view text);

// Enum names as people type them: case-insensitive, '-' for '_'.
// INVALID_ARGUMENT names the flag and lists the choices.
absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view flag,
                              absl::string_view text);
// "WENT_WRONG" -> "went-wrong"
std::string EnumText(const google::protobuf::EnumDescriptor* type, int value);
std::string Choices(const google::protobuf::EnumDescriptor* type);

// "2026-10-01" -> Date; INVALID_ARGUMENT naming the flag otherwise.
absl::StatusOr<retro::v1::Date> ParseDate(absl::string_view flag, absl::string_view text);
// Sets *date from the flag --`name` when it is given.
class Args;
absl::Status DateFlag(const Args& args, absl::string_view name, retro::v1::Date* date);
std::string DateText(const retro::v1::Date& date);
// "2026-11-22 14:03" in local time, or "" for an unset timestamp.
std::string TimeText(const google::protobuf::Timestamp& time);
std::string MoneyText(const retro::v1::Money& money);

// The API's reason codes as people type them: "Product fit" -> "product_fit".
std::string ReasonCode(absl::string_view text);
extern const char kReasonCodes[];

// Accepts an id or a full name: ("sessions", "q3") -> "sessions/q3",
// "sessions/q3" stays. For child resources pass the full name.
std::string FullName(absl::string_view collection, absl::string_view id_or_name);
// "sessions/q3/annotations/a1" -> "a1"
std::string LastId(absl::string_view name);

}  // namespace retro::cli
