// RunOnGrpcExecutor: runs work on one of gRPC's own executor threads, the
// threads that run the callback API's reactions (OnWriteDone and the like).
//
// Why: gRPC 1.51 hands the completion of a stream write started on a thread
// it does not own to one of its executor threads, waking that thread when
// it is idle; the completion of a write started on an executor thread is
// queued behind the running work on that same thread. The hub's wake-ups
// start a write on each of a large session's streams, so running them here
// saves those hand-offs: at 1,000 watchers and 100 events a second, 11 to
// 23% of retrod's CPU, median 16% (docs/performance.md).
//
// The work must not block for long (it holds a thread that moves other
// calls' bytes) and must not wait for a session's writer. It may queue
// behind whatever else runs on that thread, which includes the callback
// API's handlers and reactions: so none of those may wait for a session's
// writer either, as the writer may be waiting for a share of wake-ups
// queued behind them (they do not: writes are handed over with
// MutateAsync, and the synchronous API's handlers, which do wait, run on
// threads of their own). The work runs exactly once, after
// RunOnGrpcExecutor has returned; gRPC stays initialized until it has run.
// Thread-safe.
#pragma once

#include <functional>

namespace retro::api {

void RunOnGrpcExecutor(std::function<void()> work);

}  // namespace retro::api
