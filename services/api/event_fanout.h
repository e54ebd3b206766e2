// EventFanout: turns each durable append into encoded LiveEvents and hands
// them to the SessionHub. It is the EventLog's follower, so it runs in
// append order for each session. Each event is serialized once for
// everyone, and once more for its author when the author sees more
// (anonymous or not yet revealed annotations). Thread-safe.
#pragma once

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/clock.h"
#include "services/live/session_hub.h"
#include "storage/event_log.h"

namespace retro::api {

// "org/session": the hub's key for a session.
std::string HubKey(const storage::SessionRef& ref);

class EventFanout final : public storage::EventFollower {
 public:
  // hub and clock are borrowed and must outlive the fanout.
  EventFanout(live::SessionHub& hub, Clock& clock) : hub_(hub), clock_(clock) {}

  void OnAppended(const storage::SessionRef& session,
                  const std::vector<retro::v1::SessionEvent>& events) override;

  // Tells the session's watchers how many they are, at most once a second
  // per session (a join storm of thousands must not become millions of
  // presence messages).
  void MaybePublishPresence(const std::string& hub_key);
  // A presence event (sequence 0) for `watchers`, serialized.
  static std::shared_ptr<const std::string> PresenceBytes(int watchers, absl::Time now);

 private:
  live::SessionHub& hub_;
  Clock& clock_;
  absl::Mutex presence_mu_;
  absl::flat_hash_map<std::string, absl::Time> last_presence_ ABSL_GUARDED_BY(presence_mu_);
};

}  // namespace retro::api
