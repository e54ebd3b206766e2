#include "services/api/grpc_executor.h"

#include "grpc/support/time.h"
#include "grpcpp/alarm.h"

namespace retro::api {

void RunOnGrpcExecutor(std::function<void()> work) {
  // A callback alarm that is already due: gRPC runs its callback on an
  // executor thread. The alarm lives until then (deleting it inside its own
  // callback is allowed) so that gRPC stays initialized for the work. The
  // callback runs whether the alarm fired or was cancelled, and so does the
  // work.
  auto* alarm = new grpc::Alarm();
  alarm->Set(gpr_time_0(GPR_CLOCK_MONOTONIC), [alarm, work = std::move(work)](bool /*fired*/) {
    work();
    delete alarm;
  });
}

}  // namespace retro::api
