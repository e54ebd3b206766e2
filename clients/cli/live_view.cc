// `retro live SESSION`: the full-screen view for teammates and presenters.
//
// Three threads share one LiveState under its mutex:
//  - the screen thread (this command's caller) reads keys and draws;
//  - the watch thread keeps WatchSessionBatches open, applying events to the model,
//    and on any break reconnects with exponential back-off, resuming after
//    the last sequence it applied;
//  - the worker thread runs the user's writes (annotate, vote, stage moves)
//    and the "learned before" suggestions, so the screen never waits on the
//    network.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <clocale>
#include <condition_variable>
#include <cwchar>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "clients/cli/commands.h"
#include "clients/cli/live_model.h"
#include "clients/cli/output.h"

// Last: curses defines macros (OK, ERR, timeout) that clash with gRPC's names.
#include <ncursesw/curses.h>

namespace retro::cli {
namespace {

using retro::v1::Annotation;
using Clock = std::chrono::steady_clock;

constexpr int kCtrlA = 1, kCtrlC = 3, kCtrlE = 5, kCtrlN = 14, kCtrlP = 16, kCtrlQ = 17,
              kCtrlR = 18, kCtrlV = 22, kEscape = 27, kTab = 9;

std::string ToUtf8(const std::wstring& text) {
  std::string out;
  std::mbstate_t state{};
  char buffer[MB_LEN_MAX];
  for (wchar_t c : text) {
    size_t n = std::wcrtomb(buffer, c, &state);
    if (n != static_cast<size_t>(-1)) out.append(buffer, n);
  }
  return out;
}

std::string RandomId() {
  static thread_local std::mt19937_64 generator(std::random_device{}());
  return absl::StrFormat("live-%016x", generator());
}

struct LiveState {
  std::mutex mu;
  LiveModel model;
  std::string me;  // the caller's user id
  // The connection line.
  std::string connection = "connecting...";
  bool connected = false;
  bool fatal = false;  // the stream ended for good (no access, session gone)
  // A message about the last action.
  std::string flash;
  Clock::time_point flash_time;
  // Suggestions for the draft.
  std::string suggested_for;
  std::vector<retro::v1::SearchHit> suggestions;
  // A note that failed to send, put back into the input line by the screen.
  std::wstring restore;
  uint64_t version = 0;  // bumped on every change the screen shows
  bool stopping = false;

  void Flash(std::string text) {
    flash = std::move(text);
    flash_time = Clock::now();
    ++version;
  }
};

class Worker {
 public:
  using Task = std::function<void()>;
  Worker() : thread_([this] { Run(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Post(Task task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
      if (stop_) return;
      Task task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

// Keeps the watch open until Stop(); reconnects with back-off.
class Watch {
 public:
  Watch(Connection* connection, std::string session, LiveState* state)
      : connection_(connection), session_(std::move(session)), state_(state) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Watch() { Stop(); }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static bool Retryable(grpc::StatusCode code) {
    return code != grpc::StatusCode::NOT_FOUND && code != grpc::StatusCode::PERMISSION_DENIED &&
           code != grpc::StatusCode::UNAUTHENTICATED && code != grpc::StatusCode::INVALID_ARGUMENT;
  }

  void Run() {
    std::mt19937 jitter(std::random_device{}());
    int failures = 0;
    bool ever_connected = false;
    while (true) {
      std::unique_ptr<grpc::ClientContext> context = connection_->NewContext(false);
      uint64_t after;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        after = state_->model.last_sequence();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) return;
        context_ = context.get();
      }
      retro::v1::WatchSessionRequest request;
      request.set_name(session_);
      request.set_after_sequence(after);
      // Batches: a long replay, or a burst while the terminal was busy,
      // arrives in a few messages and redraws once each.
      std::unique_ptr<grpc::ClientReader<retro::v1::SessionEventBatch>> reader =
          connection_->sessions().WatchSessionBatches(context.get(), request);
      retro::v1::SessionEventBatch batch;
      bool first = true;
      while (reader->Read(&batch)) {
        std::lock_guard<std::mutex> lock(state_->mu);
        if (first) {
          state_->connected = true;
          state_->connection = ever_connected && failures > 0
                                   ? absl::StrCat("reconnected: resumed after event #", after)
                                   : "connected";
          if (ever_connected && failures > 0) state_->Flash(state_->connection);
          ever_connected = true;
          failures = 0;
          first = false;
        }
        for (const retro::v1::SessionEvent& event : batch.events()) state_->model.Apply(event);
        ++state_->version;
      }
      grpc::Status status = reader->Finish();
      {
        std::lock_guard<std::mutex> lock(mu_);
        context_ = nullptr;
        if (stopped_) return;
      }
      double delay = 0;
      {
        std::lock_guard<std::mutex> lock(state_->mu);
        state_->connected = false;
        ++state_->version;
        if (!Retryable(status.error_code())) {
          state_->fatal = true;
          state_->connection = absl::StrCat("stream ended: ", Describe(FromGrpc(status)));
          return;
        }
        if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE) {
          // The server has fewer events than we saw (restored from a
          // backup): start over rather than show a mix.
          state_->model.Reset();
        }
        ++failures;
        const double base = std::min(8.0, 0.25 * (1 << std::min(failures, 6)));
        delay = base * std::uniform_real_distribution<double>(0.75, 1.25)(jitter);
        state_->connection = absl::StrFormat(
            "connection lost (%s); reconnecting in %.1fs (attempt %d), will resume after event #%d",
            absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), delay,
            failures, state_->model.last_sequence());
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::duration<double>(delay), [&] { return stopped_; });
        if (stopped_) return;
      }
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->connection = "reconnecting...";
      ++state_->version;
    }
  }

  Connection* connection_;
  const std::string session_;
  LiveState* state_;
  std::mutex mu_;
  std::condition_variable cv_;
  grpc::ClientContext* context_ = nullptr;  // the open call, for cancelling
  bool stopped_ = false;
  std::thread thread_;
};

const Annotation::Kind kKinds[] = {Annotation::LESSON, Annotation::WENT_WELL,
                                   Annotation::WENT_WRONG, Annotation::QUESTION};

Annotation::Kind KindForStage(retro::v1::Stage stage) {
  if (stage == retro::v1::WENT_WELL) return Annotation::WENT_WELL;
  if (stage == retro::v1::WENT_WRONG) return Annotation::WENT_WRONG;
  return Annotation::LESSON;
}

std::string StageTitle(retro::v1::Stage stage) {
  std::string text = EnumText(retro::v1::Stage_descriptor(), stage);
  for (char& c : text) c = c == '-' ? ' ' : static_cast<char>(std::toupper(c));
  return text.empty() ? "NO STAGE" : text;
}

class LiveScreen {
 public:
  LiveScreen(Connection* connection, std::string session)
      : connection_(connection), session_(std::move(session)) {}

  absl::Status Run() {
    retro::v1::WhoAmIResponse me;
    {
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      absl::Status status =
          FromGrpc(connection_->admin().WhoAmI(ctx.get(), retro::v1::WhoAmIRequest(), &me));
      if (!status.ok()) return status;
      // Fail before taking over the terminal if the session cannot be seen.
      retro::v1::GetSessionRequest get;
      get.set_name(session_);
      retro::v1::Session session;
      ctx = connection_->NewContext();
      status = FromGrpc(connection_->sessions().GetSession(ctx.get(), get, &session));
      if (!status.ok()) return status;
    }
    state_.me = me.user().name().empty() ? "root" : LastId(me.user().name());

    set_escdelay(25);
    initscr();
    raw();
    noecho();
    keypad(stdscr, TRUE);
    timeout(100);
    curs_set(1);
    if (has_colors()) {
      start_color();
      use_default_colors();
      init_pair(1, COLOR_GREEN, -1);
      init_pair(2, COLOR_RED, -1);
      init_pair(3, COLOR_YELLOW, -1);
      init_pair(4, COLOR_CYAN, -1);
    }
    {
      Worker worker;
      worker_ = &worker;
      Watch watch(connection_, session_, &state_);
      Loop();
      watch.Stop();
      worker_ = nullptr;
    }
    endwin();
    std::lock_guard<std::mutex> lock(state_.mu);
    if (state_.fatal) return absl::UnavailableError(state_.connection);
    return absl::OkStatus();
  }

 private:
  bool CanDrive() {
    std::lock_guard<std::mutex> lock(state_.mu);
    const retro::v1::Session& s = state_.model.session();
    if (s.presenter() == state_.me) return true;
    return std::find(s.facilitators().begin(), s.facilitators().end(), state_.me) !=
           s.facilitators().end();
  }

  void Loop() {
    uint64_t drawn = ~0ull;
    auto last_draw = Clock::now();
    while (true) {
      wint_t key;
      int kind = get_wch(&key);
      bool changed = kind != ERR;
      if (kind == KEY_CODE_YES) {
        if (!HandleFunctionKey(static_cast<int>(key))) return;
      } else if (kind == OK) {
        if (!HandleKey(static_cast<wchar_t>(key))) return;
      }
      MaybeSuggest();
      uint64_t version;
      {
        std::lock_guard<std::mutex> lock(state_.mu);
        version = state_.version;
      }
      if (changed || version != drawn ||
          Clock::now() - last_draw > std::chrono::milliseconds(500)) {
        Draw();
        drawn = version;
        last_draw = Clock::now();
      }
    }
  }

  bool HandleFunctionKey(int key) {
    switch (key) {
      case KEY_UP:
        Move(-1);
        break;
      case KEY_DOWN:
        Move(1);
        break;
      case KEY_PPAGE:
        Move(-10);
        break;
      case KEY_NPAGE:
        Move(10);
        break;
      case KEY_BACKSPACE:
        if (!draft_.empty()) draft_.pop_back();
        break;
      case KEY_ENTER:
        Submit();
        break;
      case KEY_RESIZE:
        break;
      default:
        break;
    }
    return true;
  }

  bool HandleKey(wchar_t key) {
    switch (key) {
      case kCtrlC:
      case kCtrlQ:
      case kEscape:
        return false;
      case '\n':
      case '\r':
        Submit();
        return true;
      case 127:
      case 8:
        if (!draft_.empty()) draft_.pop_back();
        return true;
      case kTab:
        kind_index_ = (kind_index_ + 1) % 4;
        kind_chosen_ = true;
        return true;
      case kCtrlA:
        anonymous_ = !anonymous_;
        return true;
      case kCtrlV:
        VoteSelected();
        return true;
      case kCtrlN:
        NextStage(+1);
        return true;
      case kCtrlP:
        NextStage(-1);
        return true;
      case kCtrlR:
        Reveal();
        return true;
      case kCtrlE:
        EndSession();
        return true;
      default:
        if (key >= 32 && draft_.size() < 2000) draft_.push_back(key);
        return true;
    }
  }

  void Move(int delta) {
    std::lock_guard<std::mutex> lock(state_.mu);
    std::vector<LiveModel::Row> rows = state_.model.Rows();
    std::vector<std::string> selectable;
    for (const auto& row : rows) {
      if (row.annotation != nullptr) selectable.push_back(row.annotation->name());
    }
    if (selectable.empty()) return;
    auto it = std::find(selectable.begin(), selectable.end(), selected_);
    int index = it == selectable.end() ? (delta > 0 ? -1 : static_cast<int>(selectable.size()))
                                       : static_cast<int>(it - selectable.begin());
    index = std::clamp(index + delta, 0, static_cast<int>(selectable.size()) - 1);
    selected_ = selectable[index];
  }

  Annotation::Kind CurrentKind() {
    if (kind_chosen_) return kKinds[kind_index_];
    std::lock_guard<std::mutex> lock(state_.mu);
    return KindForStage(state_.model.session().stage());
  }

  void Submit() {
    if (draft_.empty()) return;
    retro::v1::AddAnnotationRequest request;
    request.set_parent(session_);
    // The same id until it is accepted, so pressing Enter again after a
    // failure cannot add the note twice.
    if (pending_id_.empty() || pending_text_ != draft_) pending_id_ = RandomId();
    pending_text_ = draft_;
    request.set_request_id(pending_id_);
    request.mutable_annotation()->set_kind(CurrentKind());
    request.mutable_annotation()->set_text(ToUtf8(draft_));
    request.mutable_annotation()->set_anonymous(anonymous_);
    const std::wstring sent = draft_;
    draft_.clear();
    worker_->Post([this, request, sent] {
      retro::v1::Annotation added;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      absl::Status status =
          FromGrpc(connection_->annotations().AddAnnotation(ctx.get(), request, &added));
      std::lock_guard<std::mutex> lock(state_.mu);
      if (status.ok()) {
        state_.Flash("sent: " + Shorten(added.text(), 60));
      } else {
        state_.Flash("not sent (" + Describe(status) + "); press Enter to retry");
        state_.restore = sent;
      }
    });
  }

  void VoteSelected() {
    std::string name;
    bool remove = false;
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      const Annotation* annotation = state_.model.Find(selected_);
      if (annotation == nullptr) {
        state_.Flash("select an annotation with the arrow keys first");
        return;
      }
      name = annotation->name();
      remove = annotation->voted_by_caller();
    }
    retro::v1::VoteAnnotationRequest request;
    request.set_name(name);
    request.set_remove(remove);
    worker_->Post([this, request] {
      retro::v1::Annotation voted;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      absl::Status status =
          FromGrpc(connection_->annotations().VoteAnnotation(ctx.get(), request, &voted));
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash(status.ok() ? absl::StrCat(request.remove() ? "vote taken back: " : "voted: ",
                                              voted.vote_count(), " now")
                               : "vote failed: " + Describe(status));
    });
  }

  // The newest session the worker knows: the stream's, or the last reply to
  // a drive call when the stream has not caught up with it yet, so that
  // Ctrl-N pressed three times moves three stages. Worker thread only.
  retro::v1::Session LatestSession() {
    std::lock_guard<std::mutex> lock(state_.mu);
    const retro::v1::Session& streamed = state_.model.session();
    return streamed.last_sequence() >= replied_.last_sequence() ? streamed : replied_;
  }

  void NextStage(int direction) {
    if (!CanDrive()) {
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash("only the presenter or a facilitator moves the agenda");
      return;
    }
    worker_->Post([this, direction] {
      const retro::v1::Session session = LatestSession();
      retro::v1::Session updated;
      absl::Status status;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      if (session.state() == retro::v1::DRAFT && direction > 0) {
        retro::v1::StartSessionRequest request;
        request.set_name(session_);
        status = FromGrpc(connection_->sessions().StartSession(ctx.get(), request, &updated));
      } else {
        int next = std::max<int>(session.stage(), direction > 0 ? 0 : 2) + direction;
        if (next < retro::v1::CONTEXT || next > retro::v1::ACTION_PLAN) {
          std::lock_guard<std::mutex> lock(state_.mu);
          state_.Flash(direction > 0 ? "last stage: Ctrl-E ends the session" : "first stage");
          return;
        }
        retro::v1::SetStageRequest request;
        request.set_name(session_);
        request.set_stage(static_cast<retro::v1::Stage>(next));
        status = FromGrpc(connection_->sessions().SetStage(ctx.get(), request, &updated));
      }
      if (status.ok()) replied_ = updated;
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash(status.ok() ? "stage: " + StageTitle(updated.stage())
                               : "cannot move on: " + Describe(status));
    });
  }

  void Reveal() {
    worker_->Post([this] {
      const retro::v1::Session session = LatestSession();
      retro::v1::RevealStageRequest request;
      request.set_name(session_);
      request.set_stage(session.stage());
      retro::v1::Session updated;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      absl::Status status =
          FromGrpc(connection_->sessions().RevealStage(ctx.get(), request, &updated));
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash(status.ok() ? "revealed " + StageTitle(session.stage())
                               : "cannot reveal: " + Describe(status));
    });
  }

  void EndSession() {
    if (Clock::now() - end_armed_ > std::chrono::seconds(3)) {
      end_armed_ = Clock::now();
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash("press Ctrl-E again to end the session for everyone");
      return;
    }
    end_armed_ = Clock::time_point();
    worker_->Post([this] {
      retro::v1::EndSessionRequest request;
      request.set_name(session_);
      retro::v1::Session updated;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext();
      absl::Status status =
          FromGrpc(connection_->sessions().EndSession(ctx.get(), request, &updated));
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.Flash(status.ok() ? "session ended: now in review"
                               : "cannot end: " + Describe(status));
    });
  }

  // Asks for suggestions once typing pauses for 300 ms on a draft of at
  // least two words' worth of text.
  void MaybeSuggest() {
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      if (!state_.restore.empty() && draft_.empty()) draft_ = state_.restore;
      state_.restore.clear();
    }
    if (draft_ != last_draft_) {
      last_draft_ = draft_;
      last_typed_ = Clock::now();
      return;
    }
    const std::string text = ToUtf8(draft_);
    if (text == requested_ || Clock::now() - last_typed_ < std::chrono::milliseconds(300)) return;
    requested_ = text;
    if (text.size() < 4) {
      std::lock_guard<std::mutex> lock(state_.mu);
      state_.suggestions.clear();
      state_.suggested_for.clear();
      ++state_.version;
      return;
    }
    worker_->Post([this, text] {
      retro::v1::SuggestLessonsRequest request;
      request.set_draft(text);
      request.set_max_results(3);
      retro::v1::SuggestLessonsResponse response;
      std::unique_ptr<grpc::ClientContext> ctx = connection_->NewContext(false);
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      grpc::Status status = connection_->library().SuggestLessons(ctx.get(), request, &response);
      std::lock_guard<std::mutex> lock(state_.mu);
      if (!status.ok()) return;  // suggestions are a nicety; the line stays as it was
      state_.suggested_for = text;
      state_.suggestions.assign(response.lessons().begin(), response.lessons().end());
      ++state_.version;
    });
  }

  void Put(int y, int x, const std::string& text, int width, attr_t attributes = A_NORMAL) {
    if (width <= 0) return;
    attron(attributes);
    mvaddstr(y, x, Shorten(text, static_cast<size_t>(width)).c_str());
    attroff(attributes);
  }

  void Draw() {
    int height, width;
    getmaxyx(stdscr, height, width);
    erase();
    std::lock_guard<std::mutex> lock(state_.mu);
    const retro::v1::Session& s = state_.model.session();
    const bool drives = s.presenter() == state_.me ||
                        std::find(s.facilitators().begin(), s.facilitators().end(), state_.me) !=
                            s.facilitators().end();

    // Header.
    std::string state_text = EnumText(retro::v1::SessionState_descriptor(), s.state());
    std::string head = absl::StrCat(" retro live · ", s.title().empty() ? session_ : s.title(),
                                    " · ", state_text.empty() ? "loading" : state_text);
    if (s.stage() != retro::v1::STAGE_UNSPECIFIED)
      absl::StrAppend(&head, " · ", StageTitle(s.stage()));
    if (s.has_stage_deadline()) {
      int64_t left = s.stage_deadline().seconds() - absl::ToUnixSeconds(absl::Now());
      absl::StrAppend(&head, left > 0 ? absl::StrFormat(" (%d:%02d left)", left / 60, left % 60)
                                      : " (time is up)");
    }
    absl::StrAppend(&head, " · ", state_.model.watchers(), " watching ");
    attron(A_REVERSE);
    mvhline(0, 0, ' ', width);
    attroff(A_REVERSE);
    Put(0, 0, head, width, A_REVERSE | A_BOLD);
    const retro::v1::Deal& deal = s.deal();
    std::vector<std::string> about;
    if (!deal.account().empty()) about.push_back(deal.account());
    if (deal.outcome() != 0)
      about.push_back(EnumText(retro::v1::Outcome_descriptor(), deal.outcome()));
    if (!deal.competitor().empty()) about.push_back("vs " + deal.competitor());
    if (!deal.primary_reason().empty()) about.push_back(deal.primary_reason());
    std::string deal_line =
        absl::StrCat(" ", about.empty() ? "" : absl::StrJoin(about, ", ") + " · ", "presenter ",
                     s.presenter(), " · you: ", state_.me, drives ? " (driving)" : "");
    Put(1, 0, deal_line, width);
    Put(2, 0, " " + state_.connection, width,
        COLOR_PAIR(state_.connected ? 1 : 2) | (state_.connected ? A_NORMAL : A_BOLD));

    // Annotations.
    const int list_top = 4, list_bottom = height - 8;  // exclusive
    std::vector<LiveModel::Row> rows = state_.model.Rows();
    int selected_row = -1;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].annotation != nullptr && rows[i].annotation->name() == selected_)
        selected_row = static_cast<int>(i);
    }
    const int visible = std::max(1, list_bottom - list_top);
    if (selected_row >= 0) {
      if (selected_row < scroll_) scroll_ = std::max(0, selected_row - 1);
      if (selected_row >= scroll_ + visible) scroll_ = selected_row - visible + 1;
    }
    scroll_ = std::clamp(scroll_, 0, std::max(0, static_cast<int>(rows.size()) - visible));
    for (int i = 0; i < visible && scroll_ + i < static_cast<int>(rows.size()); ++i) {
      const LiveModel::Row& row = rows[scroll_ + i];
      const int y = list_top + i;
      switch (row.type) {
        case LiveModel::Row::kStageHeader: {
          bool current = row.stage == s.stage();
          Put(y, 0,
              absl::StrCat("── ", StageTitle(row.stage), current ? " (now)" : "", " · ", row.count,
                           " ", std::string(std::max(0, width), '-')),
              width, A_BOLD | (current ? COLOR_PAIR(4) : A_NORMAL));
          break;
        }
        case LiveModel::Row::kPlanHeader:
          Put(y, 0,
              absl::StrCat("── ACTION PLAN · ", row.count, " ",
                           std::string(std::max(0, width), '-')),
              width, A_BOLD);
          break;
        case LiveModel::Row::kActionItem: {
          const retro::v1::ActionItem& item = *row.action_item;
          Put(y, 0,
              absl::StrCat("   [",
                           EnumText(retro::v1::ActionItem::Status_descriptor(), item.status()),
                           "] ", item.text(), " — ", item.owner(),
                           item.has_due_date() ? " by " + DateText(item.due_date()) : ""),
              width);
          break;
        }
        case LiveModel::Row::kAnnotation:
        case LiveModel::Row::kGroupMember: {
          const Annotation& a = *row.annotation;
          std::string author = a.author().empty() ? "anonymous" : a.author();
          if (a.anonymous() && !a.author().empty()) author += ", anonymously";
          std::string kind = EnumText(Annotation::Kind_descriptor(), a.kind());
          std::string line = absl::StrCat(
              row.type == LiveModel::Row::kGroupMember ? "      ↳ " : " ",
              absl::StrFormat("▲%2d%s ", a.vote_count(), a.voted_by_caller() ? "*" : " "), "[",
              kind, "] ", a.text(), "  — ", author, a.revealed() ? "" : " (hidden)");
          attr_t attributes = a.name() == selected_ ? A_REVERSE : A_NORMAL;
          if (a.kind() == Annotation::WENT_WELL) attributes |= COLOR_PAIR(1);
          if (a.kind() == Annotation::WENT_WRONG) attributes |= COLOR_PAIR(2);
          if (a.kind() == Annotation::QUESTION) attributes |= COLOR_PAIR(3);
          Put(y, 0, line, width, attributes);
          break;
        }
      }
    }
    if (rows.empty()) Put(list_top, 1, "(no annotations yet: type one below)", width, A_DIM);

    // Suggestions for the draft.
    Put(height - 7, 0, "Learned before:", width, A_BOLD);
    if (state_.suggestions.empty()) {
      Put(height - 6, 2,
          draft_.empty() ? "(type a note to see lessons from past deals)" : "(nothing yet)",
          width - 2, A_DIM);
    }
    for (size_t i = 0; i < state_.suggestions.size() && i < 3; ++i) {
      const retro::v1::Lesson& lesson = state_.suggestions[i].lesson();
      std::string deal_text = absl::StrCat(
          lesson.deal().account(),
          lesson.deal().outcome()
              ? ", " + EnumText(retro::v1::Outcome_descriptor(), lesson.deal().outcome())
              : "");
      Put(height - 6 + static_cast<int>(i), 2,
          absl::StrCat("• ", lesson.text(), "  (", deal_text, ")"), width - 2, COLOR_PAIR(4));
    }
    if (!state_.flash.empty() && Clock::now() - state_.flash_time < std::chrono::seconds(8)) {
      Put(height - 3, 0, " " + state_.flash, width, A_BOLD);
    }

    // Input line and keys.
    std::string prompt =
        absl::StrCat("[",
                     EnumText(Annotation::Kind_descriptor(),
                              kind_chosen_ ? kKinds[kind_index_] : KindForStage(s.stage())),
                     anonymous_ ? "|anonymous" : "", "] > ");
    std::string keys = " Enter send · Tab kind · ^A anonymous · ↑↓ select · ^V vote · ^Q quit";
    if (drives) keys += " · ^N/^P stage · ^R reveal · ^E end";
    Put(height - 1, 0, keys, width, A_DIM);
    Put(height - 2, 0, prompt, width, A_BOLD);
    // The draft's tail when it is wider than the line.
    const int room = width - static_cast<int>(DisplayWidth(prompt)) - 1;
    std::wstring shown = draft_;
    if (room > 0 && static_cast<int>(shown.size()) > room)
      shown = shown.substr(shown.size() - room);
    if (room > 0) mvaddwstr(height - 2, static_cast<int>(DisplayWidth(prompt)), shown.c_str());
    refresh();
  }

  Connection* connection_;
  const std::string session_;
  LiveState state_;
  Worker* worker_ = nullptr;
  retro::v1::Session replied_;  // worker thread only

  // Screen-thread state.
  std::wstring draft_, last_draft_, pending_text_;
  std::string pending_id_, requested_, selected_;
  Clock::time_point last_typed_, end_armed_;
  int kind_index_ = 0;
  bool kind_chosen_ = false;
  bool anonymous_ = false;
  int scroll_ = 0;
};

absl::Status Live(Context& context) {
  absl::StatusOr<Connection*> connection = context.Connect();
  if (!connection.ok()) return connection.status();
  LiveScreen screen(*connection, FullName("sessions", context.args().positional(0)));
  return screen.Run();
}

}  // namespace

void AddLiveCommand(std::vector<Command>* commands) {
  commands->push_back(
      {{"live",
        "SESSION",
        "join a session full-screen: see notes arrive, add yours, vote",
        "Keys: type a note and press Enter to send it; Tab switches its kind (lesson,\n"
        "went-well, went-wrong, question); Ctrl-A toggles anonymous; Up/Down select a\n"
        "note and Ctrl-V votes for it (again to take the vote back). The presenter and\n"
        "facilitators also have Ctrl-N/Ctrl-P (next/previous stage; Ctrl-N in DRAFT\n"
        "starts the session), Ctrl-R (reveal the stage's hidden notes) and Ctrl-E twice\n"
        "(end the session). Ctrl-Q or Esc quits.\n"
        "While you type, \"Learned before\" shows matching lessons from past deals.\n"
        "A dropped connection is retried with back-off and the view resumes where it\n"
        "left off.",
        {},
        1,
        1},
       Live});
}

}  // namespace retro::cli
