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

}  // namespace retro::api
