// The `retro` binary against a real retrod over loopback: what presenters,
// teammates, enablement staff and operators type, with its output, exit
// codes and files checked.
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "retro/v1/annotation_service.pb.h"
#include "retro/v1/library_service.pb.h"
#include "retro/v1/session_service.pb.h"
#include "tests/testing/certificates.h"
#include "tests/testing/retrod_process.h"
#include "tests/testing/temp_dir.h"

namespace retro {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  auto status = google::protobuf::util::JsonStringToMessage(json, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << json;
  return message;
}

// One retrod and a HOME of its own for the CLI's credentials.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    retrod_ = std::make_unique<retro::testing::RetrodProcess>(
        RETROD_PATH, dir_.Join("data"), dir_.Join("root_token"), dir_.Join("retrod.log"));
    std::string error;
    ASSERT_TRUE(retrod_->Start(&error)) << error;
    root_ = std::string(absl::StripAsciiWhitespace(ReadAll(dir_.Join("root_token"))));
    mkdir(dir_.Join("home").c_str(), 0700);
  }

  // Runs retro with `args`; `token` goes in RETRO_TOKEN unless empty.
  Result Run(const std::vector<std::string>& args, const std::string& token = "",
             const std::string& stdin_text = "") {
    const std::string out_path = dir_.Join("out"), err_path = dir_.Join("err"),
                      in_path = dir_.Join("in");
    std::ofstream(in_path) << stdin_text;
    pid_t pid = fork();
    if (pid == 0) {
      clearenv();
      setenv("HOME", dir_.Join("home").c_str(), 1);
      setenv("PATH", "/usr/bin:/bin", 1);
      setenv("LANG", "C.UTF-8", 1);
      setenv("RETRO_SERVER", retrod_->address().c_str(), 1);
      if (!token.empty()) setenv("RETRO_TOKEN", token.c_str(), 1);
      int in = open(in_path.c_str(), O_RDONLY);
      int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(RETRO_PATH));
      for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      execv(RETRO_PATH, argv.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Result result;
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadAll(out_path);
    result.err = ReadAll(err_path);
    return result;
  }

  // Runs and expects success; returns stdout without the final newline.
  std::string Ok(const std::vector<std::string>& args, const std::string& token = "") {
    Result result = Run(args, token);
    EXPECT_EQ(result.code, 0) << "retro " << absl::StrJoin(args, " ") << "\n" << result.err;
    return std::string(absl::StripTrailingAsciiWhitespace(result.out));
  }

  // An organization with an admin, a team "east", presenter "rep",
  // teammate "mate" and enablement "enable"; their tokens.
  std::map<std::string, std::string> MakeOrg(const std::string& org) {
    std::map<std::string, std::string> tokens;
    tokens["admin"] = Ok({"admin", "org", "create", org, "--admin-user", "admin"}, root_);
    Ok({"admin", "team", "create", "east", "--display-name", "East"}, tokens["admin"]);
    Ok({"admin", "user", "create", "rep", "--team", "east", "--display-name", "Riley Rep"},
       tokens["admin"]);
    Ok({"admin", "user", "create", "mate", "--team", "east"}, tokens["admin"]);
    Ok({"admin", "user", "create", "enable", "--role", "enablement"}, tokens["admin"]);
    for (const char* user : {"rep", "mate", "enable"}) {
      tokens[user] = Ok({"admin", "token", "issue", user}, tokens["admin"]);
    }
    return tokens;
  }

  // A published lost deal with two lessons, one of them voted.
  void PublishDeal(std::map<std::string, std::string>& t, const std::string& id,
                   const std::string& reason, const std::string& close_date,
                   const std::string& lesson) {
    Ok({"session", "create", "--id", id, "--title", "Loss review " + id, "--team", "east",
        "--outcome", "lost", "--account", "Account " + id, "--competitor", "Globex", "--reason",
        reason, "--close-date", close_date},
       t["rep"]);
    Ok({"session", "start", id}, t["rep"]);
    Ok({"session", "stage", id, "lessons"}, t["rep"]);
    std::string name = Ok({"annotate", id, lesson}, t["mate"]);
    Ok({"annotate", id, "Write the mutual plan with the buyer, \"dates and owners\""}, t["rep"]);
    Ok({"vote", name}, t["rep"]);
    Ok({"session", "end", id}, t["rep"]);
    Ok({"session", "publish", id}, t["rep"]);
  }

  retro::testing::TempDir dir_;
  std::unique_ptr<retro::testing::RetrodProcess> retrod_;
  std::string root_;
};

TEST_F(CliTest, LoginSavesCredentialsPrivatelyAndTheEnvironmentOverridesThem) {
  auto t = MakeOrg("acme");
  Result login =
      Run({"login", "--server", retrod_->address(), "--token", "-"}, "", t["rep"] + "\n");
  ASSERT_EQ(login.code, 0) << login.err;
  EXPECT_THAT(login.out, HasSubstr("as users/rep (member) in organization acme"));
  const std::string path = dir_.Join("home/.config/retro/credentials");
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_THAT(ReadAll(path), HasSubstr("token=" + t["rep"]));

  // No RETRO_TOKEN: the saved one. With it: the variable wins.
  EXPECT_THAT(Ok({"whoami"}), StartsWith("users/rep"));
  EXPECT_THAT(Ok({"whoami"}, t["mate"]), StartsWith("users/mate"));
  EXPECT_THAT(Ok({"whoami", "--token", t["enable"]}, t["mate"]), StartsWith("users/enable"));

  // A bad token is refused and nothing is saved over the good one.
  Result bad = Run({"login", "--server", retrod_->address(), "--token", "rt_0_bogus"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err, "retro login: unauthenticated: invalid or revoked token\n");
  EXPECT_THAT(ReadAll(path), HasSubstr("token=" + t["rep"]));

  // A token file others can read is refused rather than used.
  chmod(path.c_str(), 0644);
  Result exposed = Run({"whoami"});
  EXPECT_EQ(exposed.code, 1);
  EXPECT_THAT(exposed.err, HasSubstr("chmod 600"));
  chmod(path.c_str(), 0600);

  EXPECT_EQ(Run({"logout"}).code, 0);
  Result none = Run({"whoami"});
  EXPECT_EQ(none.code, 1);
  EXPECT_THAT(none.err, HasSubstr("retro login"));
}

TEST_F(CliTest, UsageErrorsExitTwoAndServerErrorsExitOneWithOneLine) {
  auto t = MakeOrg("acme");
  Result unknown = Run({"sesion", "list"}, t["rep"]);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown command 'sesion list'"));
  Result flag = Run({"session", "list", "--colour"}, t["rep"]);
  EXPECT_EQ(flag.code, 2);
  EXPECT_EQ(flag.err,
            "retro session list: unknown flag --colour for `retro session list` (see --help)\n");
  Result missing = Run({"annotate", "only-a-session"}, t["rep"]);
  EXPECT_EQ(missing.code, 2);

  Result help = Run({"annotate", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("Usage: retro annotate [flags] SESSION TEXT"));
  EXPECT_THAT(help.out, HasSubstr("--anonymous"));
  EXPECT_THAT(Run({"--help"}).out, HasSubstr("The lesson library (enablement)"));

  Result not_found = Run({"session", "show", "nope"}, t["rep"]);
  EXPECT_EQ(not_found.code, 1);
  EXPECT_EQ(not_found.err, "retro session show: not found: session sessions/nope not found\n");
  Result bad_enum = Run({"session", "create", "--title", "x", "--outcome", "tie"}, t["rep"]);
  EXPECT_EQ(bad_enum.code, 1);
  EXPECT_THAT(bad_enum.err, HasSubstr("--outcome: 'tie' is not one of: won, lost, no-decision"));
  Result invalid = Run({"session", "create", "--title", ""}, t["rep"]);
  EXPECT_EQ(invalid.code, 1);
  EXPECT_THAT(invalid.err, HasSubstr("invalid argument: session.title"));
  Result refused = Run({"admin", "backup", dir_.Join("b")}, t["admin"]);
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("permission denied"));
  EXPECT_THAT(refused.err, Not(HasSubstr("\n\n")));
}

TEST_F(CliTest, APresenterRunsARetrospectiveAndTeammatesAnnotate) {
  auto t = MakeOrg("acme");
  EXPECT_EQ(Ok({"session",
                "create",
                "--id",
                "acme-q3",
                "--title",
                "Acme renewal, lost to Globex",
                "--team",
                "east",
                "--outcome",
                "lost",
                "--account",
                "Acme",
                "--amount",
                "120000",
                "--competitor",
                "Globex",
                "--reason",
                "price",
                "--stage-reached",
                "negotiation",
                "--close-date",
                "2026-10-30",
                "--facilitator",
                "mate",
                "--votes",
                "3",
                "--note",
                "context=Three-year renewal, procurement-led"},
               t["rep"]),
            "created sessions/acme-q3 (draft): Acme renewal, lost to Globex");
  EXPECT_EQ(Ok({"session", "start", "acme-q3"}, t["rep"]),
            "sessions/acme-q3 started: live, stage context");
  EXPECT_EQ(Ok({"session", "stage", "acme-q3", "went-wrong", "--minutes", "5"}, t["rep"]),
            "sessions/acme-q3 moved on: live, stage went-wrong");
  // A teammate may not drive.
  EXPECT_EQ(Run({"session", "stage", "acme-q3", "lessons"}, t["enable"]).code, 1);

  std::string late = Ok({"annotate", "acme-q3", "We found the procurement owner too late", "--kind",
                         "went-wrong", "--tag", "procurement"},
                        t["mate"]);
  EXPECT_THAT(late, StartsWith("sessions/acme-q3/annotations/"));
  std::string dupe = Ok({"annotate", "acme-q3", "Procurement showed up in week 11", "--kind",
                         "went-wrong", "--anonymous"},
                        t["rep"]);
  std::string lesson =
      Ok({"annotate", "acme-q3", "Find the procurement owner in discovery", "--stage", "lessons"},
         t["mate"]);
  // A retry with the same request id adds nothing.
  std::string once =
      Ok({"annotate", "acme-q3", "Ask who signs", "--stage", "lessons", "--request-id", "r1"},
         t["mate"]);
  EXPECT_EQ(Ok({"annotate", "acme-q3", "Ask who signs", "--stage", "lessons", "--request-id", "r1"},
               t["mate"]),
            once);

  EXPECT_EQ(Ok({"vote", late}, t["rep"]), late + ": 1 vote");
  EXPECT_EQ(Ok({"vote", late.substr(late.rfind('/') + 1), "--session", "acme-q3"}, t["mate"]),
            late + ": 2 votes");
  Result twice = Run({"vote", late}, t["rep"]);
  EXPECT_EQ(twice.code, 1);
  EXPECT_THAT(twice.err, HasSubstr("already exists"));
  EXPECT_EQ(Ok({"vote", late, "--remove"}, t["rep"]), late + ": 1 vote");

  EXPECT_EQ(Ok({"group", "acme-q3", lesson, late, dupe}, t["mate"]),
            "grouped 2 annotations under " + lesson.substr(lesson.rfind('/') + 1));
  std::string action = Ok({"action", "add", "acme-q3", "Add procurement to the discovery checklist",
                           "--owner", "mate", "--due", "2026-12-15", "--from", lesson},
                          t["rep"]);
  EXPECT_THAT(action, StartsWith("sessions/acme-q3/actionItems/"));

  // Reads, for people and as JSON.
  std::string shown = Ok({"session", "show", "acme-q3"}, t["mate"]);
  EXPECT_THAT(shown, HasSubstr("presenter:  rep (facilitators: mate)"));
  EXPECT_THAT(shown, HasSubstr("context: Three-year renewal, procurement-led"));
  EXPECT_THAT(shown, HasSubstr("USD 120,000"));
  EXPECT_THAT(shown, HasSubstr("↳ Procurement showed up in week 11"));
  EXPECT_THAT(shown, HasSubstr("(anonymous)"));
  EXPECT_THAT(shown, Not(HasSubstr("rep (anon)")));  // a teammate never sees who
  EXPECT_THAT(shown, HasSubstr("Add procurement to the discovery checklist"));

  auto session = FromJson<retro::v1::Session>(
      Ok({"session", "show", "acme-q3", "--output", "json"}, t["rep"]));
  EXPECT_EQ(session.state(), retro::v1::LIVE);
  EXPECT_EQ(session.deal().amount().units(), 120000);
  auto listed = FromJson<retro::v1::ListAnnotationsResponse>(
      Ok({"annotations", "acme-q3", "--stage", "went-wrong", "--output", "json"}, t["mate"]));
  ASSERT_EQ(listed.annotations_size(), 2);
  auto sessions = FromJson<retro::v1::ListSessionsResponse>(
      Ok({"session", "list", "--state", "live", "--output", "json"}, t["mate"]));
  ASSERT_EQ(sessions.sessions_size(), 1);
  EXPECT_THAT(Ok({"session", "list"}, t["mate"]), HasSubstr("acme-q3  live   went-wrong  lost"));

  EXPECT_THAT(Ok({"action", "done", action}, t["mate"]), HasSubstr(": done, owner mate"));
  auto items = FromJson<retro::v1::ListActionItemsResponse>(
      Ok({"action", "list", "acme-q3", "--output", "json"}, t["rep"]));
  ASSERT_EQ(items.action_items_size(), 1);
  EXPECT_EQ(items.action_items(0).status(), retro::v1::ActionItem::DONE);

  EXPECT_EQ(Ok({"session", "end", "acme-q3"}, t["rep"]),
            "sessions/acme-q3 ended: review, stage went-wrong");
  EXPECT_EQ(Ok({"session", "publish", "acme-q3"}, t["rep"]),
            "sessions/acme-q3 published: published, stage went-wrong");
}

TEST_F(CliTest, EnablementSearchesChartsAndExportsTheLibrary) {
  auto t = MakeOrg("acme");
  PublishDeal(t, "d1", "price", "2026-07-15", "Engage procurement before the proposal stage");
  PublishDeal(t, "d2", "timing", "2026-08-15", "Engage procurement before the proposal, always");
  PublishDeal(t, "d3", "price", "2026-09-15", "Engage procurement before the proposal goes out");

  std::string found = Ok({"search", "procurement", "proposal", "--outcome", "lost"}, t["enable"]);
  EXPECT_THAT(found, StartsWith("3 lessons\n"));
  EXPECT_THAT(found, HasSubstr("lost, Account d2, vs Globex, timing"));
  auto response = FromJson<retro::v1::SearchLessonsResponse>(Ok(
      {"search", "procurement", "--reason", "price", "--output", "json", "--facets"}, t["enable"]));
  EXPECT_EQ(response.total_size(), 2);
  EXPECT_EQ(Ok({"search", "nothing-like-this"}, t["enable"]), "0 lessons");

  std::string lesson = response.hits(0).lesson().name();
  EXPECT_THAT(Ok({"lesson", "show", lesson}, t["enable"]), HasSubstr("from:  Loss review d"));

  std::string bars = Ok({"trends", "--by", "reason", "--outcome", "lost"}, t["enable"]);
  EXPECT_THAT(bars, HasSubstr("Deals by reason per month"));
  EXPECT_THAT(bars, HasSubstr("2026-08  timing"));
  std::string lines = Ok({"trends", "--by", "reason", "--chart", "line"}, t["enable"]);
  EXPECT_THAT(lines, HasSubstr("A  price (2)"));
  EXPECT_THAT(lines, HasSubstr("B  timing (1)"));
  Result png =
      Run({"trends", "--by", "competitor", "--period", "quarter", "--png", dir_.Join("t.png")},
          t["enable"]);
  ASSERT_EQ(png.code, 0) << png.err;
  EXPECT_EQ(ReadAll(dir_.Join("t.png")).substr(1, 3), "PNG");

  std::string recurring = Ok({"recurring", "--min-deals", "3"}, t["enable"]);
  EXPECT_THAT(recurring, HasSubstr("Engage procurement before the proposal"));
  EXPECT_THAT(recurring, StartsWith("DEALS  LESSONS"));

  // CSV: a header and one record per lesson, quoting commas and quotes.
  Result csv = Run({"export", "--outcome", "lost", "--out", dir_.Join("lost.csv")}, t["enable"]);
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_THAT(csv.err, HasSubstr("exported 6 of 6 lessons (100%)"));
  std::string text = ReadAll(dir_.Join("lost.csv"));
  std::vector<std::string> records = absl::StrSplit(text, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(records.size(), 7u);
  EXPECT_THAT(records[0], StartsWith("lesson,session,session_title,team,"));
  EXPECT_THAT(text,
              HasSubstr("\"Write the mutual plan with the buyer, \"\"dates and owners\"\"\""));
  EXPECT_THAT(text, HasSubstr("Engage procurement before the proposal, always"));

  // JSON lines, one Lesson each.
  std::string jsonl = Ok({"export", "procurement", "--format", "json"}, t["enable"]);
  std::vector<std::string> json_lines = absl::StrSplit(jsonl, '\n');
  ASSERT_EQ(json_lines.size(), 3u);
  for (const std::string& line : json_lines) {
    EXPECT_THAT(FromJson<retro::v1::Lesson>(line).text(), HasSubstr("procurement"));
  }
  EXPECT_THAT(Ok({"insights"}, t["admin"]), HasSubstr("nothing-like-this"));
  EXPECT_THAT(Ok({"suggest", "engage", "procurement", "early"}, t["mate"]),
              HasSubstr("- Engage procurement"));
}

TEST_F(CliTest, AnOperatorBacksUpWhileServingAndTheBackupRestores) {
  auto t = MakeOrg("acme");
  PublishDeal(t, "kept", "price", "2026-07-15", "Engage procurement early");
  Result backup = Run({"admin", "backup", dir_.Join("backup-1")}, root_);
  ASSERT_EQ(backup.code, 0) << backup.err;
  EXPECT_THAT(backup.out,
              StartsWith("backup written to " + dir_.Join("backup-1") + " on the server ("));
  EXPECT_THAT(backup.err, HasSubstr("backing up"));  // progress, on stderr
  Ok({"session", "create", "--id", "later", "--title", "After the backup"}, t["rep"]);

  // Restore = start retrod on a copy of the backup directory.
  retrod_->Terminate();
  retrod_ = std::make_unique<retro::testing::RetrodProcess>(
      RETROD_PATH, dir_.Join("backup-1"), dir_.Join("root_token"), dir_.Join("restored.log"));
  std::string error;
  ASSERT_TRUE(retrod_->Start(&error)) << error;
  EXPECT_THAT(Ok({"session", "show", "kept"}, t["rep"]), HasSubstr("state:      published"));
  EXPECT_EQ(Run({"session", "show", "later"}, t["rep"]).code, 1);
  EXPECT_THAT(Ok({"search", "procurement"}, t["enable"]), StartsWith("1 lesson\n"));
}

TEST_F(CliTest, SpeaksTlsWithCaAndMutualTlsWithAClientCertificate) {
  retro::testing::Certificates certificates;
  ASSERT_TRUE(certificates.ok()) << "openssl failed";
  retrod_->Terminate();
  retrod_ = std::make_unique<retro::testing::RetrodProcess>(
      RETROD_PATH, dir_.Join("tls-data"), dir_.Join("tls_root_token"), dir_.Join("tls.log"));
  retrod_->set_extra_args({"--tls_cert=" + certificates.Path("server.pem"),
                           "--tls_key=" + certificates.Path("server.key"),
                           "--tls_client_ca=" + certificates.Path("ca.pem")});
  std::string error;
  ASSERT_TRUE(retrod_->Start(&error)) << error;
  const std::string root =
      std::string(absl::StripAsciiWhitespace(ReadAll(dir_.Join("tls_root_token"))));
  const std::string ca = "--ca=" + certificates.Path("ca.pem");
  const std::string cert = "--cert=" + certificates.Path("client.pem");
  const std::string key = "--key=" + certificates.Path("client.key");

  Result plaintext = Run({"whoami", "--timeout", "5"}, root);
  EXPECT_EQ(plaintext.code, 1);
  EXPECT_THAT(plaintext.err, HasSubstr("retro whoami: unavailable"));
  EXPECT_EQ(Run({"whoami", "--timeout", "5", ca}, root).code, 1);  // no client certificate
  EXPECT_THAT(Run({"whoami", ca, cert}, root).err, HasSubstr("--cert and --key go together"));
  EXPECT_THAT(Ok({"whoami", ca, cert, key}, root), StartsWith("root"));

  // login keeps the TLS settings with the token.
  Result login = Run({"login", "--server", retrod_->address(), "--token", root, ca, cert, key});
  ASSERT_EQ(login.code, 0) << login.err;
  EXPECT_THAT(ReadAll(dir_.Join("home/.config/retro/credentials")),
              HasSubstr("ca=" + certificates.Path("ca.pem")));
  EXPECT_THAT(Ok({"whoami"}), StartsWith("root"));
}

}  // namespace
}  // namespace retro
