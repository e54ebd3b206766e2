#include "services/api/event_fanout.h"

#include "absl/strings/str_cat.h"
#include "services/common/time_util.h"
#include "services/core/caller.h"

namespace retro::api {

std::string HubKey(const storage::SessionRef& ref) {
  return absl::StrCat(ref.org_id, "/", ref.session_id);
}

void EventFanout::OnAppended(const storage::SessionRef& session,
                             const std::vector<retro::v1::SessionEvent>& events) {
  std::vector<live::LiveEvent> live_events;
  live_events.reserve(events.size());
  for (const retro::v1::SessionEvent& event : events) {
    live::LiveEvent live;
    live.sequence = event.sequence();
    live.recheck_access = event.has_session();
    retro::v1::SessionEvent public_view;
    // "" is nobody's id: what any viewer who is not the author sees.
    if (core::ViewEvent(event, "", &public_view)) {
      live.public_bytes = std::make_shared<const std::string>(public_view.SerializeAsString());
    }
    if (event.has_annotation() &&
        (event.annotation().anonymous() || !event.annotation().revealed())) {
      live.author_id = event.annotation().author();
      live.author_bytes = std::make_shared<const std::string>(event.SerializeAsString());
    }
    live_events.push_back(std::move(live));
  }
  // Called by the session's writer, between its synced writes.
  hub_.Publish(HubKey(session), live_events, live::SessionHub::Pace::kAfterPreviousWakeUps);
}

EventFanout::EventFanout(live::SessionHub& hub, Clock& clock) : hub_(hub), clock_(clock) {
  flusher_ = std::thread([this] {
    while (true) {
      absl::flat_hash_set<std::string> keys;
      {
        absl::MutexLock lock(&presence_mu_);
        // Real time, not clock_: the flush must happen even under a test's
        // frozen clock.
        presence_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
        if (stopping_) return;
        keys.swap(trailing_);
        for (const std::string& key : keys) last_presence_[key] = clock_.Now();
      }
      for (const std::string& key : keys) PublishPresence(key);
    }
  });
}

EventFanout::~EventFanout() {
  {
    absl::MutexLock lock(&presence_mu_);
    stopping_ = true;
  }
  flusher_.join();
}

std::shared_ptr<const std::string> EventFanout::PresenceBytes(int watchers, absl::Time now) {
  retro::v1::SessionEvent event;
  event.set_sequence(0);
  SetTimestamp(now, event.mutable_time());
  event.mutable_presence()->set_watchers(watchers);
  return std::make_shared<const std::string>(event.SerializeAsString());
}

void EventFanout::MaybePublishPresence(const std::string& hub_key) {
  absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&presence_mu_);
    absl::Time& last = last_presence_[hub_key];
    if (now - last < absl::Seconds(1)) {
      trailing_.insert(hub_key);
      return;
    }
    last = now;
  }
  PublishPresence(hub_key);
}

void EventFanout::PublishPresence(const std::string& hub_key) {
  live::LiveEvent presence;
  presence.sequence = 0;
  presence.public_bytes = PresenceBytes(hub_.WatcherCount(hub_key), clock_.Now());
  hub_.Publish(hub_key, {presence});
}

}  // namespace retro::api
