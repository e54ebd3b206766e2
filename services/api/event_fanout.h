// EventFanout: turns each durable append into encoded LiveEvents and hands
// them to the SessionHub. It is the EventLog's follower, so it runs in
// append order for each session. Each event is serialized once for
// everyone, and once more for its author when the author sees more
// (anonymous or not yet revealed annotations). Thread-safe.
#pragma once

#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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
  EventFanout(live::SessionHub& hub, Clock& clock);
  ~EventFanout() override;

  void OnAppended(const storage::SessionRef& session,
                  const std::vector<retro::v1::SessionEvent>& events) override;

  // Tells the session's watchers how many they are, at most once a second
  // per session (a join storm of thousands must not become millions of
  // presence messages). A change that falls inside the second is sent by a
  // background flush within the next second, so the count never stays
  // stale.
  void MaybePublishPresence(const std::string& hub_key);
  // A presence event (sequence 0) for `watchers`, serialized.
  static std::shared_ptr<const std::string> PresenceBytes(int watchers, absl::Time now);

 private:
  void PublishPresence(const std::string& hub_key);

  live::SessionHub& hub_;
  Clock& clock_;
  absl::Mutex presence_mu_;
  absl::flat_hash_map<std::string, absl::Time> last_presence_ ABSL_GUARDED_BY(presence_mu_);
  // Sessions whose count changed while throttled.
  absl::flat_hash_set<std::string> trailing_ ABSL_GUARDED_BY(presence_mu_);
  bool stopping_ ABSL_GUARDED_BY(presence_mu_) = false;
  std::thread flusher_;  // sends trailing_ once a second
};

}  // namespace retro::api
