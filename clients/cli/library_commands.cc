// Enablement's commands over the lesson library: search, lesson show,
// suggest, trends, recurring, insights and export.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "clients/cli/chart.h"
#include "clients/cli/commands.h"
#include "clients/cli/output.h"

namespace retro::cli {
namespace {

using retro::v1::Annotation;
using retro::v1::Lesson;

int TerminalWidth() {
  struct winsize size;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 100;
}

// How wide a free-text column may be: the terminal's room, or whole text
// when the output goes to a pipe or file.
size_t TextColumn(int taken) {
  if (!isatty(STDOUT_FILENO)) return 400;
  return static_cast<size_t>(std::max(30, TerminalWidth() - taken));
}

std::vector<FlagSpec> FilterFlags() {
  return {
      {"outcome", "OUTCOME", "won, lost or no-decision", true},
      {"reason", "CODE", std::string("a win or loss reason: ") + kReasonCodes, true},
      {"competitor", "TEXT", "a competitor", true},
      {"industry", "TEXT", "an industry", true},
      {"segment", "TEXT", "a market segment", true},
      {"stage-reached", "STAGE", "how far the deal got: discovery ... closing", true},
      {"kind", "KIND", "lesson, went-well, went-wrong or question", true},
      {"team", "TEAM_ID", "a team's lessons", true},
      {"tag", "TAG", "a tag", true},
      {"from", "YYYY-MM-DD", "deals closed on or after"},
      {"to", "YYYY-MM-DD", "deals closed on or before"},
      {"min-votes", "N", "lessons with at least N votes"},
  };
}

absl::StatusOr<retro::v1::LessonFilter> ParseFilter(const Args& args) {
  retro::v1::LessonFilter filter;
  for (const std::string& text : args.GetAll("outcome")) {
    absl::StatusOr<int> value = ParseEnum(retro::v1::Outcome_descriptor(), "--outcome", text);
    if (!value.ok()) return value.status();
    filter.add_outcomes(static_cast<retro::v1::Outcome>(*value));
  }
  for (const std::string& text : args.GetAll("stage-reached")) {
    absl::StatusOr<int> value =
        ParseEnum(retro::v1::DealStage_descriptor(), "--stage-reached", text);
    if (!value.ok()) return value.status();
    filter.add_stages_reached(static_cast<retro::v1::DealStage>(*value));
  }
  for (const std::string& text : args.GetAll("kind")) {
    absl::StatusOr<int> value = ParseEnum(Annotation::Kind_descriptor(), "--kind", text);
    if (!value.ok()) return value.status();
    filter.add_kinds(static_cast<Annotation::Kind>(*value));
  }
  for (const std::string& v : args.GetAll("reason")) filter.add_reasons(ReasonCode(v));
  for (const std::string& v : args.GetAll("competitor")) filter.add_competitors(v);
  for (const std::string& v : args.GetAll("industry")) filter.add_industries(v);
  for (const std::string& v : args.GetAll("segment")) filter.add_segments(v);
  for (const std::string& v : args.GetAll("team")) filter.add_team_ids(LastId(v));
  for (const std::string& v : args.GetAll("tag")) filter.add_tags(v);
  if (absl::Status s = DateFlag(args, "from", filter.mutable_close_date_from()); !s.ok()) return s;
  if (absl::Status s = DateFlag(args, "to", filter.mutable_close_date_to()); !s.ok()) return s;
  absl::StatusOr<int64_t> votes = args.GetInt("min-votes", 0, 0, 1000000);
  if (!votes.ok()) return votes.status();
  filter.set_min_votes(static_cast<int32_t>(*votes));
  return filter;
}

// The query is every positional word, so `retro search lost on price` works.
std::string Query(const Args& args) { return absl::StrJoin(args.positionals(), " "); }

std::string Plain(const std::string& snippet) {
  return absl::StrReplaceAll(snippet, {{"<b>", ""}, {"</b>", ""}});
}

std::string DealLine(const retro::v1::Deal& deal) {
  std::vector<std::string> parts;
  if (deal.outcome() != 0)
    parts.push_back(EnumText(retro::v1::Outcome_descriptor(), deal.outcome()));
  if (!deal.account().empty()) parts.push_back(deal.account());
  if (!deal.competitor().empty()) parts.push_back("vs " + deal.competitor());
  if (!deal.primary_reason().empty()) parts.push_back(deal.primary_reason());
  return absl::StrJoin(parts, ", ");
}

absl::Status Search(Context& context) {
  const Args& args = context.args();
  retro::v1::SearchLessonsRequest request;
  request.set_query(Query(args));
  absl::StatusOr<retro::v1::LessonFilter> filter = ParseFilter(args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *filter;
  if (args.Has("sort")) {
    std::string sort = args.Get("sort");
    if (sort == "votes") sort = "most-voted";
    absl::StatusOr<int> value =
        ParseEnum(retro::v1::SearchLessonsRequest::Sort_descriptor(), "--sort", sort);
    if (!value.ok()) return value.status();
    request.set_sort(static_cast<retro::v1::SearchLessonsRequest::Sort>(*value));
  }
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 20, 1, 100);
  if (!limit.ok()) return limit.status();
  request.set_page_size(static_cast<int32_t>(*limit));
  request.set_page_token(args.Get("page"));
  retro::v1::SearchLessonsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().SearchLessons(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  std::ostream& out = context.out();
  for (const retro::v1::QueryCorrection& c : response.corrections()) {
    out << "(searched for \"" << c.corrected() << "\" instead of \"" << c.original() << "\")\n";
  }
  out << response.total_size() << " lesson" << (response.total_size() == 1 ? "" : "s")
      << (response.hits_size() < response.total_size()
              ? absl::StrCat(", the first ", response.hits_size())
              : "")
      << "\n";
  if (response.hits_size() == 0) return absl::OkStatus();
  Table table({"LESSON", "VOTES", "DEAL", "LESSON TEXT"}, TextColumn(60));
  for (const retro::v1::SearchHit& hit : response.hits()) {
    const Lesson& lesson = hit.lesson();
    table.AddRow({LastId(lesson.name()), absl::StrCat(lesson.vote_count()),
                  Shorten(DealLine(lesson.deal()), 36),
                  Plain(hit.snippet().empty() ? lesson.text() : hit.snippet())});
  }
  table.Print(out);
  if (args.Has("facets")) {
    for (const retro::v1::Facet& facet : response.facets()) {
      if (facet.counts_size() == 0) continue;
      std::vector<std::string> counts;
      for (const auto& c : facet.counts())
        counts.push_back(absl::StrCat(c.value(), " ", c.count()));
      out << "\n" << facet.field() << ": " << absl::StrJoin(counts, " · ");
    }
    out << "\n";
  }
  if (!response.next_page_token().empty()) {
    context.err() << "more: --page " << response.next_page_token() << "\n";
  }
  return absl::OkStatus();
}

absl::Status ShowLesson(Context& context) {
  retro::v1::GetLessonRequest request;
  request.set_name(FullName("lessons", context.args().positional(0)));
  Lesson lesson;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().GetLesson(ctx, request, &lesson);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(lesson)) return absl::OkStatus();
  std::ostream& out = context.out();
  out << lesson.text() << "\n\n"
      << "  " << EnumText(Annotation::Kind_descriptor(), lesson.kind()) << ", "
      << lesson.vote_count() << " votes";
  if (lesson.grouped_count() > 0) out << ", " << lesson.grouped_count() << " similar notes grouped";
  out << "\n  from:  " << lesson.session_title() << " (" << lesson.session() << ")\n"
      << "  deal:  " << DealLine(lesson.deal()) << "\n"
      << "  by:    " << (lesson.author().empty() ? "(anonymous)" : lesson.author())
      << ", published " << TimeText(lesson.publish_time()) << "\n";
  if (lesson.tags_size() > 0) out << "  tags:  " << absl::StrJoin(lesson.tags(), ", ") << "\n";
  return absl::OkStatus();
}

absl::Status Suggest(Context& context) {
  retro::v1::SuggestLessonsRequest request;
  request.set_draft(Query(context.args()));
  absl::StatusOr<int64_t> limit = context.args().GetInt("limit", 5, 1, 20);
  if (!limit.ok()) return limit.status();
  request.set_max_results(static_cast<int32_t>(*limit));
  retro::v1::SuggestLessonsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().SuggestLessons(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  if (response.lessons_size() == 0) context.out() << "(nothing learned before matches)\n";
  for (const retro::v1::SearchHit& hit : response.lessons()) {
    context.out() << "- " << hit.lesson().text() << "  [" << DealLine(hit.lesson().deal()) << "]\n";
  }
  return absl::OkStatus();
}

absl::StatusOr<ChartData> TrendChart(const retro::v1::GetTrendsResponse& response,
                                     const std::string& title, bool lessons, size_t max_series) {
  ChartData data;
  data.title = title;
  std::map<std::string, int64_t> totals;
  std::vector<std::string> periods;
  for (const retro::v1::TrendBucket& bucket : response.buckets()) {
    totals[bucket.value()] += lessons ? bucket.lesson_count() : bucket.deal_count();
    periods.push_back(bucket.period());
  }
  std::sort(periods.begin(), periods.end());
  periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
  std::vector<std::pair<int64_t, std::string>> ranked;
  for (const auto& [value, total] : totals) ranked.push_back({-total, value});
  std::sort(ranked.begin(), ranked.end());
  if (ranked.size() > max_series) ranked.resize(max_series);
  data.periods = periods;
  std::map<std::string, size_t> series_index, period_index;
  for (const auto& [negative, value] : ranked) {
    series_index[value] = data.series.size();
    data.series.push_back(value.empty() ? "(none)" : value);
  }
  for (size_t p = 0; p < periods.size(); ++p) period_index[periods[p]] = p;
  data.counts.assign(data.series.size(), std::vector<int64_t>(periods.size(), 0));
  data.low_sample.assign(data.series.size(), std::vector<bool>(periods.size(), false));
  for (const retro::v1::TrendBucket& bucket : response.buckets()) {
    auto s = series_index.find(bucket.value());
    if (s == series_index.end()) continue;
    size_t p = period_index[bucket.period()];
    data.counts[s->second][p] = lessons ? bucket.lesson_count() : bucket.deal_count();
    data.low_sample[s->second][p] = bucket.low_sample();
  }
  return data;
}

absl::Status Trends(Context& context) {
  const Args& args = context.args();
  retro::v1::GetTrendsRequest request;
  const std::string by = args.Get("by", "reason");
  absl::StatusOr<int> dimension = ParseEnum(retro::v1::GetTrendsRequest::Dimension_descriptor(),
                                            "--by", by == "stage" ? "stage-reached" : by);
  if (!dimension.ok()) return dimension.status();
  request.set_dimension(static_cast<retro::v1::GetTrendsRequest::Dimension>(*dimension));
  absl::StatusOr<int> period = ParseEnum(retro::v1::GetTrendsRequest::Period_descriptor(),
                                         "--period", args.Get("period", "month"));
  if (!period.ok()) return period.status();
  request.set_period(static_cast<retro::v1::GetTrendsRequest::Period>(*period));
  request.set_query(Query(args));
  absl::StatusOr<retro::v1::LessonFilter> filter = ParseFilter(args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *filter;
  const std::string chart = args.Get("chart", "bar");
  if (chart != "bar" && chart != "line")
    return absl::InvalidArgumentError("--chart must be bar or line");
  const std::string count = args.Get("count", "deals");
  if (count != "deals" && count != "lessons") {
    return absl::InvalidArgumentError("--count must be deals or lessons");
  }
  absl::StatusOr<int64_t> top = args.GetInt("top", 6, 1, 26);
  if (!top.ok()) return top.status();

  retro::v1::GetTrendsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().GetTrends(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.json()) {
    context.out() << ToJson(response) << "\n";
  }
  std::string title = absl::StrCat(count == "deals" ? "Deals" : "Lessons", " by ", by, " per ",
                                   args.Get("period", "month"));
  if (!request.query().empty()) absl::StrAppend(&title, ", matching \"", request.query(), "\"");
  absl::StatusOr<ChartData> data = TrendChart(response, title, count == "lessons", *top);
  if (!data.ok()) return data.status();
  if (!context.json()) {
    context.out() << (chart == "line" ? LineChart(*data, TerminalWidth(), 13)
                                      : BarChart(*data, TerminalWidth()));
  }
  if (args.Has("png")) {
    if (absl::Status png = WritePng(*data, chart, count, args.Get("png")); !png.ok()) return png;
    context.err() << "wrote " << args.Get("png") << "\n";
  }
  return absl::OkStatus();
}

absl::Status Recurring(Context& context) {
  const Args& args = context.args();
  retro::v1::ListRecurringLessonsRequest request;
  absl::StatusOr<retro::v1::LessonFilter> filter = ParseFilter(args);
  if (!filter.ok()) return filter.status();
  *request.mutable_filter() = *filter;
  absl::StatusOr<int64_t> min_deals = args.GetInt("min-deals", 0, 0, 1000000);
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 20, 1, 100);
  if (!min_deals.ok()) return min_deals.status();
  if (!limit.ok()) return limit.status();
  request.set_min_deals(static_cast<int32_t>(*min_deals));
  request.set_max_results(static_cast<int32_t>(*limit));
  retro::v1::ListRecurringLessonsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().ListRecurringLessons(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  if (response.recurring_size() == 0) {
    context.out() << "(no lesson recurs across deals yet)\n";
    return absl::OkStatus();
  }
  Table table({"DEALS", "LESSONS", "LAST SEEN", "LESSON"}, TextColumn(32));
  for (const retro::v1::RecurringLesson& r : response.recurring()) {
    table.AddRow({absl::StrCat(r.deal_count()), absl::StrCat(r.lesson_count()),
                  TimeText(r.last_published()).substr(0, 10), r.representative().text()});
  }
  table.Print(context.out());
  return absl::OkStatus();
}

absl::Status Insights(Context& context) {
  const Args& args = context.args();
  retro::v1::GetSearchInsightsRequest request;
  if (absl::Status s = DateFlag(args, "from", request.mutable_from()); !s.ok()) return s;
  if (absl::Status s = DateFlag(args, "to", request.mutable_to()); !s.ok()) return s;
  absl::StatusOr<int64_t> limit = args.GetInt("limit", 10, 1, 100);
  if (!limit.ok()) return limit.status();
  request.set_max_results(static_cast<int32_t>(*limit));
  retro::v1::GetSearchInsightsResponse response;
  absl::Status status = context.Call([&](Connection* c, grpc::ClientContext* ctx) {
    return c->library().GetSearchInsights(ctx, request, &response);
  });
  if (!status.ok()) return status;
  if (context.PrintJson(response)) return absl::OkStatus();
  Table top({"SEARCHES", "TOP QUERY"});
  for (const auto& q : response.top_queries()) top.AddRow({absl::StrCat(q.count()), q.query()});
  top.Print(context.out());
  context.out() << "\n";
  Table zero({"SEARCHES", "QUERY THAT FOUND NOTHING (a gap in the library)"});
  for (const auto& q : response.zero_result_queries()) {
    zero.AddRow({absl::StrCat(q.count()), q.query()});
  }
  zero.Print(context.out());
  return absl::OkStatus();
}

std::vector<std::string> CsvHeader() {
  return {"lesson",     "session",       "session_title", "team",    "visibility", "kind",
          "stage",      "text",          "tags",          "votes",   "grouped",    "author",
          "presenter",  "deal",          "account",       "outcome", "competitor", "primary_reason",
          "reasons",    "stage_reached", "industry",      "segment", "amount",     "currency",
          "close_date", "cycle_days",    "publish_time"};
}

std::vector<std::string> CsvCells(const Lesson& lesson) {
  const retro::v1::Deal& deal = lesson.deal();
  return {LastId(lesson.name()),
          LastId(lesson.session()),
          lesson.session_title(),
          lesson.team_id(),
          EnumText(retro::v1::Visibility_descriptor(), lesson.visibility()),
          EnumText(Annotation::Kind_descriptor(), lesson.kind()),
          EnumText(retro::v1::Stage_descriptor(), lesson.stage()),
          lesson.text(),
          absl::StrJoin(lesson.tags(), ";"),
          absl::StrCat(lesson.vote_count()),
          absl::StrCat(lesson.grouped_count()),
          lesson.author(),
          lesson.presenter(),
          deal.name(),
          deal.account(),
          EnumText(retro::v1::Outcome_descriptor(), deal.outcome()),
          deal.competitor(),
          deal.primary_reason(),
          absl::StrJoin(deal.reasons(), ";"),
          EnumText(retro::v1::DealStage_descriptor(), deal.stage_reached()),
          deal.industry(),
          deal.segment(),
          deal.has_amount() ? absl::StrCat(deal.amount().units()) : "",
          deal.amount().currency_code(),
          DateText(deal.close_date()),
          absl::StrCat(deal.cycle_days()),
          lesson.has_publish_time()
              ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                 absl::FromUnixSeconds(lesson.publish_time().seconds()),
                                 absl::UTCTimeZone())
              : ""};
}

absl::Status Export(Context& context) {
  const Args& args = context.args();
  const std::string format = args.Get("format", "csv");
  if (format != "csv" && format != "json") {
    return absl::InvalidArgumentError("--format must be csv or json (one lesson per line)");
  }
  absl::StatusOr<retro::v1::LessonFilter> filter = ParseFilter(args);
  if (!filter.ok()) return filter.status();
  absl::StatusOr<Connection*> connection = context.Connect();
  if (!connection.ok()) return connection.status();

  // How many to expect, for the progress line.
  retro::v1::SearchLessonsRequest count_request;
  count_request.set_query(Query(args));
  *count_request.mutable_filter() = *filter;
  count_request.set_page_size(1);
  retro::v1::SearchLessonsResponse count_response;
  {
    std::unique_ptr<grpc::ClientContext> ctx = (*connection)->NewContext();
    absl::Status status =
        FromGrpc((*connection)->library().SearchLessons(ctx.get(), count_request, &count_response));
    if (!status.ok()) return status;
  }
  const int64_t expected = count_response.total_size();

  std::ofstream file;
  const std::string path = args.Get("out");
  if (!path.empty()) {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) return absl::PermissionDeniedError(absl::StrCat("cannot write ", path));
  }
  std::ostream& out = path.empty() ? context.out() : file;
  if (format == "csv") out << CsvRow(CsvHeader());

  retro::v1::ExportLessonsRequest request;
  request.set_query(count_request.query());
  *request.mutable_filter() = *filter;
  std::unique_ptr<grpc::ClientContext> ctx = (*connection)->NewContext(false);
  std::unique_ptr<grpc::ClientReader<Lesson>> reader =
      (*connection)->library().ExportLessons(ctx.get(), request);
  const bool tty = isatty(STDERR_FILENO);
  auto last_report = std::chrono::steady_clock::now();
  int64_t written = 0;
  Lesson lesson;
  auto report = [&](bool final_line) {
    std::string line =
        absl::StrFormat("exported %d of %d lessons (%d%%)", written, std::max(expected, written),
                        expected > 0 ? written * 100 / std::max(expected, written) : 100);
    if (tty)
      context.err() << "\r" << line << (final_line ? "\n" : "") << std::flush;
    else
      context.err() << line << "\n";
  };
  while (reader->Read(&lesson)) {
    if (format == "csv")
      out << CsvRow(CsvCells(lesson));
    else
      out << ToJson(lesson, false) << "\n";
    ++written;
    auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::milliseconds(tty ? 100 : 2000)) {
      report(false);
      last_report = now;
    }
  }
  absl::Status status = FromGrpc(reader->Finish());
  out.flush();
  if (!status.ok()) return status;
  if (!out)
    return absl::DataLossError(absl::StrCat("writing ", path.empty() ? "stdout" : path, " failed"));
  report(true);
  if (!path.empty()) context.err() << "wrote " << path << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddLibraryCommands(std::vector<Command>* commands) {
  std::vector<FlagSpec> search_flags = FilterFlags();
  search_flags.push_back({"sort", "ORDER", "relevance, newest or votes"});
  search_flags.push_back({"limit", "N", "lessons per page (default 20)"});
  search_flags.push_back({"page", "TOKEN", "the next page, as printed by the previous one"});
  search_flags.push_back({"facets", "", "also print counts by outcome, reason, competitor..."});
  commands->push_back(
      {{"search", "[QUERY...]", "search published lessons",
        "The query takes words, \"exact phrases\", -excluded words and field:value\n"
        "terms (see docs/search.md). Example:\n  retro search procurement timeline --outcome lost "
        "--competitor Globex",
        search_flags, 0, -1},
       Search});
  commands->push_back(
      {{"lesson show", "LESSON", "show one lesson with its deal", "", {}, 1, 1}, ShowLesson});
  commands->push_back({{"suggest",
                        "DRAFT...",
                        "lessons learned before that match a draft note",
                        "",
                        {{"limit", "N", "at most N (default 5)"}},
                        1,
                        -1},
                       Suggest});
  std::vector<FlagSpec> trend_flags = FilterFlags();
  trend_flags.push_back({"by", "DIMENSION", "reason (default), competitor, stage, tag or outcome"});
  trend_flags.push_back({"period", "PERIOD", "month (default) or quarter"});
  trend_flags.push_back({"count", "WHAT", "deals (default) or lessons"});
  trend_flags.push_back({"chart", "STYLE", "bar (default) or line"});
  trend_flags.push_back({"top", "N", "the N biggest values (default 6)"});
  trend_flags.push_back({"png", "FILE", "also draw the chart into a PNG image (gnuplot)"});
  commands->push_back(
      {{"trends", "[QUERY...]", "chart lessons over time by reason, competitor...",
        "Example:\n  retro trends --by reason --outcome lost --period quarter --png losses.png",
        trend_flags, 0, -1},
       Trends});
  std::vector<FlagSpec> recurring_flags = FilterFlags();
  recurring_flags.push_back(
      {"min-deals", "N", "lessons seen in at least N deals (3 or more; default 3)"});
  recurring_flags.push_back({"limit", "N", "at most N (default 20)"});
  commands->push_back(
      {{"recurring", "", "lessons that keep coming back across deals", "", recurring_flags, 0, 0},
       Recurring});
  commands->push_back({{"insights",
                        "",
                        "what people search for, and what finds nothing",
                        "",
                        {{"from", "YYYY-MM-DD", "searches on or after"},
                         {"to", "YYYY-MM-DD", "searches on or before"},
                         {"limit", "N", "at most N queries a list (default 10)"}},
                        0,
                        0},
                       Insights});
  std::vector<FlagSpec> export_flags = FilterFlags();
  export_flags.push_back(
      {"format", "FORMAT", "csv (default, for spreadsheets) or json (a lesson a line)"});
  export_flags.push_back({"out", "FILE", "write to FILE instead of stdout"});
  commands->push_back(
      {{"export", "[QUERY...]", "export matching lessons as CSV or JSON lines",
        "Progress goes to stderr. Example:\n  retro export --outcome lost --out losses.csv",
        export_flags, 0, -1},
       Export});
}

}  // namespace retro::cli
