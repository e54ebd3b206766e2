// Caller: who an authenticated request comes from, and the access rules
// that follow from it. Plain values and pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "retro/v1/resources.pb.h"

namespace retro::core {

struct Caller {
  // Empty for the root token, which belongs to no organization.
  std::string org_id;
  std::string user_id;
  retro::v1::Role role = retro::v1::ROLE_UNSPECIFIED;
  std::vector<std::string> team_ids;
  std::string token_id;
  bool root = false;
  // The deadline the client set on this request: work still queued when it
  // passes is dropped, since the client has stopped waiting.
  absl::Time deadline = absl::InfiniteFuture();

  bool privileged() const { return role == retro::v1::ADMIN || role == retro::v1::ENABLEMENT; }
  bool InTeam(const std::string& team_id) const;
};

// ORGANIZATION sessions: everyone in the organization. TEAM sessions: the
// team, the presenter and facilitators, and ADMIN/ENABLEMENT users.
bool CanSee(const Caller& caller, const retro::v1::Session& session);
// The presenter and facilitators drive the state and the stage.
bool CanDrive(const Caller& caller, const retro::v1::Session& session);

// Whether the viewer may see the annotation at all: revealed, or its own.
bool VisibleTo(const retro::v1::Annotation& annotation, const std::string& viewer_id);
// The annotation as the viewer may see it: the author of an anonymous
// annotation is removed for everyone but the author.
retro::v1::Annotation ViewOf(const retro::v1::Annotation& annotation, const std::string& viewer_id);
// An event as the viewer may see it; false when the viewer may not see it.
bool ViewEvent(const retro::v1::SessionEvent& event, const std::string& viewer_id,
               retro::v1::SessionEvent* view);

}  // namespace retro::core
