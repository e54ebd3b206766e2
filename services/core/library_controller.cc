#include "services/core/library_controller.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
#include "services/core/rules.h"
#include "services/core/taxonomy.h"
#include "storage/status_macros.h"

namespace retro::core {
namespace {

constexpr int kDefaultSearchPageSize = 10;
constexpr int kMaxSearchPageSize = 100;

absl::Status RequireMember(const Caller& caller) {
  if (caller.root || caller.org_id.empty()) {
    return absl::PermissionDeniedError("the root token only creates organizations");
  }
  return absl::OkStatus();
}

template <typename Values, typename Valid>
absl::Status CheckEnums(absl::string_view field, const Values& values, Valid valid) {
  for (int i = 0; i < values.size(); ++i) {
    if (values[i] == 0 || !valid(values[i])) {
      return InvalidField(absl::StrCat(field, "[", i, "]"), "is not a known value");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTexts(absl::string_view field,
                        const google::protobuf::RepeatedPtrField<std::string>& values,
                        size_t max_bytes) {
  if (values.size() > 50) return InvalidField(field, "at most 50 values");
  for (int i = 0; i < values.size(); ++i) {
    RETURN_IF_ERROR(CheckText(absl::StrCat(field, "[", i, "]"), values[i], max_bytes, false, true));
  }
  return absl::OkStatus();
}

// A query as counted in the insights: lower-case, single spaces, trimmed.
std::string NormalizeQuery(const std::string& query) {
  std::string out;
  for (char c : query) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > 200) out.resize(200);
  return out;
}

int32_t DayOf(const retro::v1::Date& date) {
  return static_cast<int32_t>(absl::CivilDay(date.year(), date.month(), date.day()) -
                              absl::CivilDay(1970, 1, 1));
}

}  // namespace

int32_t LibraryController::Today() {
  return static_cast<int32_t>(absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()) -
                              absl::CivilDay(1970, 1, 1));
}

index::Viewer ViewerOf(const Caller& caller) {
  index::Viewer viewer;
  viewer.user_id = caller.user_id;
  viewer.team_ids = caller.team_ids;
  viewer.sees_everything = caller.privileged();
  return viewer;
}

absl::Status LibraryController::CheckFilter(const Caller& caller,
                                            const retro::v1::LessonFilter& filter) {
  RETURN_IF_ERROR(CheckEnums("filter.outcomes", filter.outcomes(), retro::v1::Outcome_IsValid));
  RETURN_IF_ERROR(
      CheckEnums("filter.stages_reached", filter.stages_reached(), retro::v1::DealStage_IsValid));
  RETURN_IF_ERROR(CheckEnums("filter.kinds", filter.kinds(), retro::v1::Annotation::Kind_IsValid));
  for (int i = 0; i < filter.reasons_size(); ++i) {
    if (ReasonCodes().count(filter.reasons(i)) == 0) {
      return InvalidField(absl::StrCat("filter.reasons[", i, "]"),
                          absl::StrCat("unknown reason code '", filter.reasons(i), "'"));
    }
  }
  RETURN_IF_ERROR(CheckTexts("filter.competitors", filter.competitors(), 100));
  RETURN_IF_ERROR(CheckTexts("filter.industries", filter.industries(), 100));
  RETURN_IF_ERROR(CheckTexts("filter.segments", filter.segments(), 100));
  RETURN_IF_ERROR(CheckTexts("filter.tags", filter.tags(), kMaxTagBytes));
  for (int i = 0; i < filter.team_ids_size(); ++i) {
    std::string field = absl::StrCat("filter.team_ids[", i, "]");
    RETURN_IF_ERROR(CheckId(field, filter.team_ids(i)));
    ASSIGN_OR_RETURN(auto team, directory_.GetTeam(caller.org_id, filter.team_ids(i)));
    if (!team) return InvalidField(field, absl::StrCat("no team '", filter.team_ids(i), "'"));
  }
  RETURN_IF_ERROR(CheckDate("filter.close_date_from", filter.close_date_from()));
  RETURN_IF_ERROR(CheckDate("filter.close_date_to", filter.close_date_to()));
  if (filter.min_votes() < 0) return InvalidField("filter.min_votes", "must not be negative");
  return absl::OkStatus();
}

absl::StatusOr<retro::v1::SearchLessonsResponse> LibraryController::SearchLessons(
    const Caller& caller, const retro::v1::SearchLessonsRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  RETURN_IF_ERROR(CheckText("query", request.query(), kMaxQueryBytes, /*allow_empty=*/true));
  RETURN_IF_ERROR(CheckFilter(caller, request.filter()));
  if (!retro::v1::SearchLessonsRequest::Sort_IsValid(request.sort())) {
    return InvalidField("sort", "is not a known sort order");
  }
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  int page_size = request.page_size() == 0 ? kDefaultSearchPageSize
                                           : std::min(request.page_size(), kMaxSearchPageSize);
  // A page token belongs to one query of one user.
  retro::v1::SearchLessonsRequest fingerprint = request;
  fingerprint.clear_page_token();
  fingerprint.clear_page_size();
  std::string query_key =
      absl::StrCat("SearchLessons/", caller.user_id, "/", fingerprint.SerializeAsString());
  ASSIGN_OR_RETURN(std::string offset_text, DecodePageToken(query_key, request.page_token()));
  size_t offset = 0;
  if (!offset_text.empty() && !absl::SimpleAtoi(offset_text, &offset)) {
    return InvalidField("page_token", "is not a page token of this server");
  }

  index::SearchOptions options;
  options.query = request.query();
  options.filter = request.filter();
  options.sort = request.sort();
  options.offset = offset;
  options.limit = static_cast<size_t>(page_size);
  ASSIGN_OR_RETURN(index::SearchResults results,
                   index_.Search(caller.org_id, ViewerOf(caller), options));
  retro::v1::SearchLessonsResponse response;
  for (auto& hit : results.hits) {
    retro::v1::SearchHit* out = response.add_hits();
    *out->mutable_lesson() = std::move(hit.lesson);
    out->set_score(hit.score);
    out->set_snippet(std::move(hit.snippet));
  }
  response.set_total_size(static_cast<int64_t>(results.total));
  for (auto& facet : results.facets) *response.add_facets() = std::move(facet);
  for (auto& correction : results.corrections) *response.add_corrections() = std::move(correction);
  if (!request.query().empty()) {
    // Statistics only: a failure to count must not fail the search.
    queries_.Record(caller.org_id, Today(), NormalizeQuery(request.query()), results.total == 0)
        .IgnoreError();
  }
  size_t next = offset + results.hits.size();
  if (!results.hits.empty() && next < results.total) {
    response.set_next_page_token(EncodePageToken(query_key, absl::StrCat(next)));
  }
  return response;
}

absl::StatusOr<retro::v1::Lesson> LibraryController::GetLesson(
    const Caller& caller, const retro::v1::GetLessonRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  ASSIGN_OR_RETURN(auto ids, ParseName("name", request.name(), {"lessons"}));
  ASSIGN_OR_RETURN(std::optional<retro::v1::Lesson> lesson,
                   index_.GetLesson(caller.org_id, ViewerOf(caller), ids[0]));
  if (!lesson) return absl::NotFoundError(absl::StrCat("lesson ", request.name(), " not found"));
  return *std::move(lesson);
}

}  // namespace retro::core

namespace retro::core {

absl::StatusOr<retro::v1::GetTrendsResponse> LibraryController::GetTrends(
    const Caller& caller, const retro::v1::GetTrendsRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  if (!retro::v1::GetTrendsRequest::Dimension_IsValid(request.dimension())) {
    return InvalidField("dimension", "must be REASON, COMPETITOR, STAGE_REACHED, TAG or OUTCOME");
  }
  if (!retro::v1::GetTrendsRequest::Period_IsValid(request.period())) {
    return InvalidField("period", "must be MONTH or QUARTER");
  }
  RETURN_IF_ERROR(CheckText("query", request.query(), kMaxQueryBytes, true));
  RETURN_IF_ERROR(CheckFilter(caller, request.filter()));
  index::TrendOptions options;
  options.dimension = request.dimension() == retro::v1::GetTrendsRequest::DIMENSION_UNSPECIFIED
                          ? retro::v1::GetTrendsRequest::REASON
                          : request.dimension();
  options.quarterly = request.period() == retro::v1::GetTrendsRequest::QUARTER;
  options.query = request.query();
  options.filter = request.filter();
  ASSIGN_OR_RETURN(auto buckets, index_.Trends(caller.org_id, ViewerOf(caller), options));
  retro::v1::GetTrendsResponse response;
  for (auto& bucket : buckets) *response.add_buckets() = std::move(bucket);
  return response;
}

absl::StatusOr<retro::v1::SuggestLessonsResponse> LibraryController::SuggestLessons(
    const Caller& caller, const retro::v1::SuggestLessonsRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  RETURN_IF_ERROR(CheckText("draft", request.draft(), kMaxAnnotationBytes, true));
  if (request.max_results() < 0) return InvalidField("max_results", "must not be negative");
  size_t max_results = request.max_results() == 0 ? 5 : std::min(request.max_results(), 20);
  ASSIGN_OR_RETURN(auto hits,
                   index_.Suggest(caller.org_id, ViewerOf(caller), request.draft(), max_results));
  retro::v1::SuggestLessonsResponse response;
  for (auto& hit : hits) {
    retro::v1::SearchHit* out = response.add_lessons();
    *out->mutable_lesson() = std::move(hit.lesson);
    out->set_score(hit.score);
    out->set_snippet(std::move(hit.snippet));
  }
  return response;
}

absl::StatusOr<retro::v1::ListRecurringLessonsResponse> LibraryController::ListRecurringLessons(
    const Caller& caller, const retro::v1::ListRecurringLessonsRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  RETURN_IF_ERROR(CheckFilter(caller, request.filter()));
  if (request.min_deals() != 0 && request.min_deals() < 3) {
    return InvalidField("min_deals", "a lesson recurs in at least 3 deals");
  }
  if (request.max_results() < 0) return InvalidField("max_results", "must not be negative");
  index::RecurringOptions options;
  options.filter = request.filter();
  options.min_deals = request.min_deals() == 0 ? 3 : static_cast<size_t>(request.min_deals());
  options.max_results =
      request.max_results() == 0 ? 20 : static_cast<size_t>(std::min(request.max_results(), 100));
  ASSIGN_OR_RETURN(auto recurring, index_.Recurring(caller.org_id, ViewerOf(caller), options));
  retro::v1::ListRecurringLessonsResponse response;
  for (auto& r : recurring) *response.add_recurring() = std::move(r);
  return response;
}

absl::StatusOr<retro::v1::GetSearchInsightsResponse> LibraryController::GetSearchInsights(
    const Caller& caller, const retro::v1::GetSearchInsightsRequest& request) {
  RETURN_IF_ERROR(RequireMember(caller));
  if (!caller.privileged()) {
    return absl::PermissionDeniedError("search insights are for ENABLEMENT and ADMIN users");
  }
  RETURN_IF_ERROR(CheckDate("from", request.from()));
  RETURN_IF_ERROR(CheckDate("to", request.to()));
  if (request.max_results() < 0) return InvalidField("max_results", "must not be negative");
  int32_t to = request.to().year() == 0 ? Today() : DayOf(request.to());
  int32_t from = request.from().year() == 0 ? to - 29 : DayOf(request.from());
  if (from > to) return InvalidField("from", "must not be after to");
  size_t limit =
      request.max_results() == 0 ? 20 : static_cast<size_t>(std::min(request.max_results(), 100));
  ASSIGN_OR_RETURN(auto counts, queries_.Range(caller.org_id, from, to));
  retro::v1::GetSearchInsightsResponse response;
  auto top = [&](auto value, auto* out) {
    std::vector<std::pair<int64_t, std::string>> ranked;
    for (const auto& c : counts) {
      if (value(c) > 0) ranked.emplace_back(value(c), c.query);
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < ranked.size() && i < limit; ++i) {
      retro::v1::QueryCount* q = out->Add();
      q->set_query(ranked[i].second);
      q->set_count(ranked[i].first);
    }
  };
  top([](const storage::QueryLog::Counts& c) { return c.count; }, response.mutable_top_queries());
  top([](const storage::QueryLog::Counts& c) { return c.found_nothing; },
      response.mutable_zero_result_queries());
  return response;
}

absl::Status LibraryController::ExportLessons(
    const Caller& caller, const retro::v1::ExportLessonsRequest& request,
    const std::function<bool(std::vector<retro::v1::Lesson>&&)>& emit) {
  RETURN_IF_ERROR(RequireMember(caller));
  RETURN_IF_ERROR(CheckText("query", request.query(), kMaxQueryBytes, true));
  RETURN_IF_ERROR(CheckFilter(caller, request.filter()));
  return index_.Export(caller.org_id, ViewerOf(caller), request.query(), request.filter(), emit);
}

}  // namespace retro::core
