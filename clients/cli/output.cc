#include "clients/cli/output.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/cli/args.h"

namespace retro::cli {
namespace {

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  for (char c : text) width += IsContinuationByte(static_cast<unsigned char>(c)) ? 0 : 1;
  return width;
}

std::string Shorten(absl::string_view text, size_t max) {
  std::string flat = absl::StrReplaceAll(text, {{"\r\n", " "}, {"\n", " "}, {"\t", " "}});
  if (DisplayWidth(flat) <= max) return flat;
  size_t kept = 0, i = 0;
  for (; i < flat.size(); ++i) {
    if (!IsContinuationByte(static_cast<unsigned char>(flat[i]))) {
      if (kept + 1 == max) break;
      ++kept;
    }
  }
  flat.resize(i);
  return flat + "…";
}

Table::Table(std::vector<std::string> header, size_t max_cell)
    : header_(std::move(header)), max_cell_(max_cell) {}

void Table::AddRow(std::vector<std::string> row) {
  row.resize(header_.size());
  for (std::string& cell : row) cell = Shorten(cell, max_cell_);
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths(header_.size());
  for (size_t c = 0; c < header_.size(); ++c) widths[c] = DisplayWidth(header_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      absl::StrAppend(&line, row[c]);
      if (c + 1 < row.size()) line.append(widths[c] - DisplayWidth(row[c]) + 2, ' ');
    }
    out << line << "\n";
  };
  print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

std::string ToJson(const google::protobuf::Message& message, bool multiline) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = multiline;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return absl::StrCat("{\"error\": \"", status.ToString(), "\"}");
  if (multiline && !json.empty() && json.back() == '\n') json.pop_back();
  return json;
}

std::string CsvRow(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& cell = cells[i];
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
      line += cell;
    } else {
      absl::StrAppend(&line, "\"", absl::StrReplaceAll(cell, {{"\"", "\"\""}}), "\"");
    }
  }
  return line + "\r\n";
}

std::string EnumText(const google::protobuf::EnumDescriptor* type, int value) {
  const google::protobuf::EnumValueDescriptor* descriptor = type->FindValueByNumber(value);
  if (descriptor == nullptr) return absl::StrCat(value);
  if (value == 0) return "";
  return absl::StrReplaceAll(absl::AsciiStrToLower(descriptor->name()), {{"_", "-"}});
}

std::string Choices(const google::protobuf::EnumDescriptor* type) {
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) names.push_back(EnumText(type, type->value(i)->number()));
  }
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* type, absl::string_view flag,
                              absl::string_view text) {
  std::string wanted = absl::StrReplaceAll(absl::AsciiStrToUpper(text), {{"-", "_"}, {" ", "_"}});
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    if (value->number() != 0 && value->name() == wanted) return value->number();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": '", text, "' is not one of: ", Choices(type)));
}

absl::StatusOr<retro::v1::Date> ParseDate(absl::string_view flag, absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  int year = 0, month = 0, day = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &year) ||
      !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day) || month < 1 ||
      month > 12 || day < 1 || day > 31) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", text, "' is not a YYYY-MM-DD date"));
  }
  retro::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

absl::Status DateFlag(const Args& args, absl::string_view name, retro::v1::Date* date) {
  if (!args.Has(name)) return absl::OkStatus();
  absl::StatusOr<retro::v1::Date> parsed = ParseDate(absl::StrCat("--", name), args.Get(name));
  if (!parsed.ok()) return parsed.status();
  *date = *parsed;
  return absl::OkStatus();
}

std::string DateText(const retro::v1::Date& date) {
  if (date.year() == 0) return "";
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

std::string TimeText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  std::time_t seconds = static_cast<std::time_t>(time.seconds());
  std::tm local;
  localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M", &local);
  return buffer;
}

std::string MoneyText(const retro::v1::Money& money) {
  if (money.currency_code().empty() && money.units() == 0) return "";
  std::string digits = absl::StrCat(money.units());
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return absl::StrCat(money.currency_code(), " ", grouped);
}

const char kReasonCodes[] =
    "price, product_fit, timing, no_budget, no_executive_sponsor, competitor_strength, "
    "relationship, process_misalignment, implementation_risk";

std::string ReasonCode(absl::string_view text) {
  std::string code = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  for (char& c : code) {
    if (c == '-' || c == ' ') c = '_';
  }
  return code;
}

std::string FullName(absl::string_view collection, absl::string_view id_or_name) {
  if (id_or_name.find('/') != absl::string_view::npos) return std::string(id_or_name);
  return absl::StrCat(collection, "/", id_or_name);
}

std::string LastId(absl::string_view name) {
  size_t slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace retro::cli
