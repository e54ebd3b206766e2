// The CLI's pure parts: flag parsing, output formats, charts, credentials
// files and the live view's model.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "clients/cli/args.h"
#include "clients/cli/chart.h"
#include "clients/cli/config.h"
#include "clients/cli/live_model.h"
#include "clients/cli/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace retro::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

CommandSpec Spec() {
  return {"annotate",
          "SESSION TEXT",
          "add",
          "",
          {{"kind", "KIND", "kind"}, {"anonymous", "", "anon"}, {"tag", "TAG", "tag", true}},
          2,
          2};
}

TEST(ArgsTest, ParsesFlagsInEitherFormAndPositionalsAnywhere) {
  absl::StatusOr<Args> args =
      Args::Parse(Spec(), {"s1", "--kind=lesson", "--tag", "a,b", "text with spaces", "--tag=c",
                           "--anonymous", "--output", "json"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positionals(), ElementsAre("s1", "text with spaces"));
  EXPECT_EQ(args->Get("kind"), "lesson");
  EXPECT_TRUE(args->Has("anonymous"));
  EXPECT_FALSE(args->Has("server"));
  EXPECT_THAT(args->GetAll("tag"), ElementsAre("a", "b", "c"));
  EXPECT_EQ(args->Get("output"), "json");
  // "--" ends the flags: text may start with dashes.
  args = Args::Parse(Spec(), {"s1", "--", "--not-a-flag"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->positional(1), "--not-a-flag");
}

TEST(ArgsTest, RejectsWhatItDoesNotKnowNamingIt) {
  EXPECT_THAT(Args::Parse(Spec(), {"s", "t", "--colour=red"}).status().message(),
              HasSubstr("unknown flag --colour"));
  EXPECT_THAT(Args::Parse(Spec(), {"s", "t", "--kind"}).status().message(),
              HasSubstr("--kind needs a value"));
  EXPECT_THAT(Args::Parse(Spec(), {"s", "t", "--anonymous=yes"}).status().message(),
              HasSubstr("takes no value"));
  EXPECT_THAT(Args::Parse(Spec(), {"s"}).status().message(), HasSubstr("needs SESSION TEXT"));
  EXPECT_THAT(Args::Parse(Spec(), {"s", "two", "words"}).status().message(),
              HasSubstr("unexpected argument 'words'"));
  // --help needs no positionals.
  EXPECT_TRUE(Args::Parse(Spec(), {"--help"}).ok());
  absl::StatusOr<Args> numbers = Args::Parse(Spec(), {"s", "t", "--timeout", "ten"});
  ASSERT_TRUE(numbers.ok());
  EXPECT_FALSE(numbers->GetInt("timeout", 30, 1, 100).ok());
  EXPECT_EQ(*numbers->GetInt("missing", 30, 1, 100), 30);
}

TEST(ArgsTest, UsageListsEveryFlag) {
  std::string usage = Usage(Spec());
  EXPECT_THAT(usage, HasSubstr("Usage: retro annotate [flags] SESSION TEXT"));
  EXPECT_THAT(usage, HasSubstr("--kind=KIND"));
  EXPECT_THAT(usage, HasSubstr("--tag=TAG"));
  EXPECT_THAT(usage, HasSubstr("(repeatable"));
  EXPECT_THAT(usage, HasSubstr("--server=HOST:PORT"));
}

TEST(OutputTest, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(CsvRow({"plain", "a,b", "say \"hi\"", "two\nlines", ""}),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
}

TEST(OutputTest, TablesAlignByCodePointsAndCutLongCells) {
  Table table({"A", "TEXT"}, 10);
  table.AddRow({"é", "short"});
  table.AddRow({"xyz", "a very long cell indeed"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "A    TEXT\né    short\nxyz  a very lo…\n");
  EXPECT_EQ(Shorten("line\nbreak", 20), "line break");
  EXPECT_EQ(DisplayWidth("naïve"), 5u);
}

TEST(OutputTest, EnumsDatesAndNamesAsPeopleTypeThem) {
  EXPECT_EQ(*ParseEnum(retro::v1::Stage_descriptor(), "STAGE", "went-wrong"),
            retro::v1::WENT_WRONG);
  EXPECT_EQ(*ParseEnum(retro::v1::Stage_descriptor(), "STAGE", "Action_Plan"),
            retro::v1::ACTION_PLAN);
  EXPECT_FALSE(ParseEnum(retro::v1::Stage_descriptor(), "STAGE", "stage-unspecified").ok());
  EXPECT_EQ(EnumText(retro::v1::Stage_descriptor(), retro::v1::WENT_WELL), "went-well");
  EXPECT_EQ(DateText(*ParseDate("--due", "2026-12-01")), "2026-12-01");
  EXPECT_FALSE(ParseDate("--due", "12/01/2026").ok());
  EXPECT_FALSE(ParseDate("--due", "2026-13-01").ok());
  EXPECT_EQ(FullName("sessions", "q3"), "sessions/q3");
  EXPECT_EQ(FullName("sessions", "sessions/q3"), "sessions/q3");
  EXPECT_EQ(LastId("sessions/q3/annotations/a1"), "a1");
  retro::v1::Money money;
  money.set_currency_code("EUR");
  money.set_units(1234567);
  EXPECT_EQ(MoneyText(money), "EUR 1,234,567");
}

ChartData Sample() {
  ChartData data;
  data.title = "Deals by reason";
  data.periods = {"2026-07", "2026-08"};
  data.series = {"price", "timing"};
  data.counts = {{4, 2}, {0, 1}};
  data.low_sample = {{false, false}, {false, true}};
  return data;
}

TEST(ChartTest, BarsAreProportionalAndLowSamplesMarked) {
  std::string chart = BarChart(Sample(), 60);
  EXPECT_THAT(chart, HasSubstr("2026-07  price  "));
  EXPECT_THAT(chart, HasSubstr(" 4\n"));
  EXPECT_THAT(chart, HasSubstr("1 (few deals)"));
  EXPECT_THAT(chart, Not(HasSubstr("timing █")));  // zero: no bar in July
  EXPECT_EQ(BarChart(ChartData(), 60), "(no lessons match)\n");
}

TEST(ChartTest, LinesPutEachSeriesOnTheGridWithALegend) {
  std::string chart = LineChart(Sample(), 60, 5);
  std::vector<std::string> rows = absl::StrSplit(chart, '\n');
  // Title, blank, then the top row holds the maximum (price in July).
  ASSERT_GT(rows.size(), 4u);
  EXPECT_THAT(rows[2], HasSubstr("4 |"));
  EXPECT_THAT(rows[2], HasSubstr("A"));
  EXPECT_THAT(chart, HasSubstr("A  price (6)"));
  EXPECT_THAT(chart, HasSubstr("B  timing (1)"));
  EXPECT_THAT(chart, HasSubstr("2026-07"));
}

TEST(ConfigTest, CredentialsAreWrittenPrivatelyAndReadBack) {
  retro::testing::TempDir dir;
  const std::string path = dir.Join("nested/retro/credentials");
  Credentials credentials;
  credentials.server = "retro.example:443";
  credentials.token = "rt_1_secret";
  credentials.ca_file = "/etc/ca.pem";
  ASSERT_TRUE(SaveCredentialsFile(path, credentials).ok());
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir.Join("nested/retro").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  absl::StatusOr<Credentials> read = LoadCredentialsFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->server, "retro.example:443");
  EXPECT_EQ(read->token, "rt_1_secret");
  EXPECT_EQ(read->ca_file, "/etc/ca.pem");
  chmod(path.c_str(), 0640);
  EXPECT_EQ(LoadCredentialsFile(path).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(LoadCredentialsFile(dir.Join("missing"))->server.empty());
}

retro::v1::SessionEvent AnnotationEvent(uint64_t sequence, const std::string& id, int votes,
                                        const std::string& group = "") {
  retro::v1::SessionEvent event;
  event.set_sequence(sequence);
  retro::v1::Annotation* a = event.mutable_annotation();
  a->set_name("sessions/s/annotations/" + id);
  a->set_text("note " + id);
  a->set_stage(retro::v1::WENT_WRONG);
  a->set_vote_count(votes);
  if (!group.empty()) a->set_group("sessions/s/annotations/" + group);
  return event;
}

TEST(LiveModelTest, RowsGroupByStageMostVotedFirstWithDuplicatesUnderTheirHead) {
  LiveModel model;
  retro::v1::SessionEvent session;
  session.set_sequence(1);
  session.mutable_session()->set_name("sessions/s");
  session.mutable_session()->set_stage(retro::v1::LESSONS);
  model.Apply(session);
  model.Apply(AnnotationEvent(2, "a", 1));
  model.Apply(AnnotationEvent(3, "b", 3));
  model.Apply(AnnotationEvent(4, "c", 0, "a"));
  retro::v1::SessionEvent presence;
  presence.mutable_presence()->set_watchers(7);
  model.Apply(presence);
  EXPECT_EQ(model.last_sequence(), 4u);
  EXPECT_EQ(model.watchers(), 7);

  std::vector<LiveModel::Row> rows = model.Rows();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].type, LiveModel::Row::kStageHeader);
  EXPECT_EQ(rows[0].stage, retro::v1::WENT_WRONG);
  EXPECT_EQ(rows[0].count, 2);
  EXPECT_EQ(rows[1].annotation->text(), "note b");
  EXPECT_EQ(rows[2].annotation->text(), "note a");
  EXPECT_EQ(rows[3].type, LiveModel::Row::kGroupMember);
  EXPECT_EQ(rows[3].annotation->text(), "note c");
  // The current stage is shown even when empty.
  EXPECT_EQ(rows[4].stage, retro::v1::LESSONS);
  EXPECT_EQ(rows[4].count, 0);

  // A replayed overlap changes nothing; a deletion removes the note.
  model.Apply(AnnotationEvent(3, "b", 3));
  EXPECT_EQ(model.Rows().size(), 5u);
  retro::v1::SessionEvent deleted = AnnotationEvent(5, "b", 3);
  deleted.mutable_annotation()->set_deleted(true);
  model.Apply(deleted);
  EXPECT_EQ(model.Find("sessions/s/annotations/b"), nullptr);
  EXPECT_EQ(model.last_sequence(), 5u);
  model.Reset();
  EXPECT_EQ(model.last_sequence(), 0u);
  EXPECT_TRUE(model.Rows().empty());
}

}  // namespace
}  // namespace retro::cli
