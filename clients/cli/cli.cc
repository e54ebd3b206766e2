#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "clients/cli/commands.h"
#include "clients/cli/config.h"
#include "clients/cli/output.h"

namespace retro::cli {
namespace {

constexpr char kOverview[] =
    "retro: team deal retrospectives from the command line.\n"
    "\n"
    "Usage: retro COMMAND [flags] [arguments]    (retro COMMAND --help for more)\n";

// The first words of each command path, in the order help lists them.
const std::vector<std::pair<std::string, std::string>>& Groups() {
  static const auto* const kGroups = new std::vector<std::pair<std::string, std::string>>{
      {"Getting started", "login logout whoami"},
      {"Running a retrospective (presenter)", "session"},
      {"Taking part (teammates)", "live annotate annotations vote group action"},
      {"The lesson library (enablement)", "search lesson suggest trends recurring insights export"},
      {"Administration", "admin"},
  };
  return *kGroups;
}

std::string Overview(const std::vector<Command>& commands) {
  std::string out = kOverview;
  for (const auto& [title, firsts] : Groups()) {
    absl::StrAppend(&out, "\n", title, ":\n");
    for (absl::string_view first : absl::StrSplit(firsts, ' ')) {
      for (const Command& command : commands) {
        absl::string_view path = command.spec.path;
        if (path == first || absl::StartsWith(path, absl::StrCat(first, " "))) {
          std::string left = absl::StrCat("  ", path);
          left.resize(std::max<size_t>(left.size() + 2, 26), ' ');
          absl::StrAppend(&out, left, command.spec.summary, "\n");
        }
      }
    }
  }
  absl::StrAppend(&out,
                  "\nThe server and token come from --server/--token, then $RETRO_SERVER/"
                  "$RETRO_TOKEN,\nthen the file `retro login` writes (",
                  "~/.config/retro/credentials).\n");
  return out;
}

}  // namespace

absl::StatusOr<Connection*> Context::Connect(bool need_token) {
  if (connection_ == nullptr) {
    absl::StatusOr<Credentials> credentials = ResolveCredentials(args_, need_token);
    if (!credentials.ok()) return credentials.status();
    absl::StatusOr<int64_t> seconds = args_.GetInt("timeout", 30, 1, 86400);
    if (!seconds.ok()) return seconds.status();
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(*credentials, std::chrono::seconds(*seconds));
    if (!connection.ok()) return connection.status();
    connection_ = std::move(*connection);
  }
  return connection_.get();
}

bool Context::PrintJson(const google::protobuf::Message& message) {
  if (!json()) return false;
  out_ << ToJson(message) << "\n";
  return true;
}

absl::Status Context::ConnectWith(const Credentials& credentials) {
  absl::StatusOr<int64_t> seconds = args_.GetInt("timeout", 30, 1, 86400);
  if (!seconds.ok()) return seconds.status();
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(credentials, std::chrono::seconds(*seconds));
  if (!connection.ok()) return connection.status();
  connection_ = std::move(*connection);
  return absl::OkStatus();
}

absl::Status WithSpinner(Context& context, const std::string& label,
                         const std::function<absl::Status()>& work) {
  if (!isatty(STDERR_FILENO)) {
    context.err() << label << "...\n";
    return work();
  }
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread spinner([&] {
    static const char* const kFrames[] = {"|", "/", "-", "\\"};
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu);
    for (int frame = 0;; ++frame) {
      const auto elapsed =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
              .count();
      context.err() << "\r" << kFrames[frame % 4] << " " << label << " " << elapsed << "s "
                    << std::flush;
      if (done_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; })) break;
    }
    context.err() << "\r\033[K" << std::flush;
  });
  absl::Status status = work();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  done_cv.notify_all();
  spinner.join();
  return status;
}

int RunRetro(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  std::vector<Command> commands;
  AddAccountCommands(&commands);
  AddSessionCommands(&commands);
  AddLibraryCommands(&commands);
  AddLiveCommand(&commands);

  std::vector<std::string> words(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  if (words.empty() || words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    out << Overview(commands);
    return words.empty() ? 2 : 0;
  }
  // The longest command path that the leading words spell.
  const Command* match = nullptr;
  size_t match_words = 0;
  for (const Command& command : commands) {
    std::vector<std::string> path = absl::StrSplit(command.spec.path, ' ');
    if (path.size() > words.size() || path.size() <= match_words) continue;
    if (std::equal(path.begin(), path.end(), words.begin())) {
      match = &command;
      match_words = path.size();
    }
  }
  if (match == nullptr) {
    // A group name alone ("retro session") lists that group.
    std::vector<std::string> below;
    for (const Command& command : commands) {
      if (absl::StartsWith(command.spec.path, words[0] + " ")) {
        below.push_back(absl::StrCat("  retro ", command.spec.path, "  ", command.spec.summary));
      }
    }
    if (!below.empty() && (words.size() == 1 || words[1] == "--help")) {
      out << "Commands under `retro " << words[0] << "`:\n" << absl::StrJoin(below, "\n") << "\n";
      return words.size() == 1 ? 2 : 0;
    }
    err << "retro: unknown command '"
        << absl::StrJoin(words.begin(), words.begin() + std::min<size_t>(2, words.size()), " ")
        << "' (see retro --help)\n";
    return 2;
  }
  std::vector<std::string> rest(words.begin() + match_words, words.end());
  absl::StatusOr<Args> args = Args::Parse(match->spec, rest);
  if (!args.ok()) {
    err << "retro " << match->spec.path << ": " << args.status().message() << "\n";
    return 2;
  }
  if (args->Has("help")) {
    out << Usage(match->spec);
    return 0;
  }
  const std::string output = args->Get("output", "table");
  if (output != "table" && output != "json") {
    err << "retro " << match->spec.path << ": --output must be table or json\n";
    return 2;
  }
  Context context(*args, out, err);
  absl::Status status = match->run(context);
  out.flush();
  if (!status.ok()) {
    err << "retro " << match->spec.path << ": " << Describe(status) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace retro::cli
