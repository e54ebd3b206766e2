#include "services/core/library_controller.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/common/errors.h"
#include "services/common/names.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
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

absl::Status CheckDate(absl::string_view field, const retro::v1::Date& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return absl::OkStatus();
  absl::CivilDay day(date.year(), date.month(), date.day());
  if (date.year() < 1900 || date.year() > 2200 || day.year() != date.year() ||
      day.month() != date.month() || day.day() != date.day()) {
    return InvalidField(field, "is not a valid calendar date");
  }
  return absl::OkStatus();
}

}  // namespace

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
