// The setup the end-to-end benchmarks share: an organization on a fresh
// retrod and one live, organization-wide session, as its presenter.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace retro::bench {

struct LiveSession {
  std::string token;  // the presenter's (the organization's administrator)
  std::string name;   // "sessions/..."
};

// root_token_file: the retrod's --root_token_file.
absl::StatusOr<LiveSession> OpenLiveSession(const std::shared_ptr<grpc::Channel>& channel,
                                            const std::string& root_token_file);

}  // namespace retro::bench
