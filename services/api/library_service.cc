#include "services/api/handler.h"
#include "services/api/services.h"

namespace retro::api {

grpc::Status LibraryServiceImpl::SearchLessons(grpc::ServerContext* context,
                                               const retro::v1::SearchLessonsRequest* request,
                                               retro::v1::SearchLessonsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return library_.SearchLessons(caller, *request);
  });
}

grpc::Status LibraryServiceImpl::GetLesson(grpc::ServerContext* context,
                                           const retro::v1::GetLessonRequest* request,
                                           retro::v1::Lesson* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return library_.GetLesson(caller, *request); });
}

grpc::Status LibraryServiceImpl::GetTrends(grpc::ServerContext* context,
                                           const retro::v1::GetTrendsRequest* request,
                                           retro::v1::GetTrendsResponse* response) {
  return Handle(admin_, context, response,
                [&](const core::Caller& caller) { return library_.GetTrends(caller, *request); });
}

grpc::Status LibraryServiceImpl::SuggestLessons(grpc::ServerContext* context,
                                                const retro::v1::SuggestLessonsRequest* request,
                                                retro::v1::SuggestLessonsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return library_.SuggestLessons(caller, *request);
  });
}

grpc::Status LibraryServiceImpl::ListRecurringLessons(
    grpc::ServerContext* context, const retro::v1::ListRecurringLessonsRequest* request,
    retro::v1::ListRecurringLessonsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return library_.ListRecurringLessons(caller, *request);
  });
}

grpc::Status LibraryServiceImpl::GetSearchInsights(
    grpc::ServerContext* context, const retro::v1::GetSearchInsightsRequest* request,
    retro::v1::GetSearchInsightsResponse* response) {
  return Handle(admin_, context, response, [&](const core::Caller& caller) {
    return library_.GetSearchInsights(caller, *request);
  });
}

grpc::Status LibraryServiceImpl::ExportLessons(grpc::ServerContext* context,
                                               const retro::v1::ExportLessonsRequest* request,
                                               grpc::ServerWriter<retro::v1::Lesson>* writer) {
  absl::StatusOr<core::Caller> caller = Authenticate(admin_, *context);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  bool broken = false;
  absl::Status status =
      library_.ExportLessons(*caller, *request, [&](std::vector<retro::v1::Lesson>&& lessons) {
        for (const retro::v1::Lesson& lesson : lessons) {
          if (context->IsCancelled() || !writer->Write(lesson)) {
            broken = true;
            return false;
          }
        }
        return true;
      });
  if (!status.ok()) return ToGrpcStatus(status);
  if (broken) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return grpc::Status::OK;
}

}  // namespace retro::api
