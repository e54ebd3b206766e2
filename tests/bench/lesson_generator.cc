#include "tests/bench/lesson_generator.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/index/analyzer.h"

namespace retro::bench {
namespace {

const std::vector<std::string> kOpeners = {
    "We",          "The team",           "Our champion",
    "The rep",     "Sales engineering",  "The account manager",
    "Leadership",  "The buyer",          "Procurement",
    "Their CFO",   "The economic buyer", "Legal",
    "Our manager", "The customer",       "Marketing"};
const std::vector<std::string> kVerbs = {
    "discounted",     "engaged", "missed",  "ignored",   "anchored",   "qualified", "escalated",
    "underestimated", "delayed", "mapped",  "validated", "negotiated", "skipped",   "rushed",
    "multi-threaded", "priced",  "pitched", "scoped",    "forecast",   "lost"};
const std::vector<std::string> kObjects = {
    "the economic buyer",          "the pricing conversation",
    "the security review",         "the mutual action plan",
    "the executive sponsor",       "the implementation timeline",
    "the budget holder",           "the procurement process",
    "the proof of concept",        "the renewal date",
    "the competitor's discount",   "the business case",
    "the legal redlines",          "the champion's influence",
    "the success criteria",        "the integration requirements",
    "the onboarding plan",         "the reference calls",
    "the total cost of ownership", "the decision criteria"};
const std::vector<std::string> kContexts = {"too early in discovery",
                                            "before the demo",
                                            "during negotiation",
                                            "after the proposal",
                                            "late in the quarter",
                                            "without a clear next step",
                                            "against a cheaper competitor",
                                            "while the budget was frozen",
                                            "in the final week",
                                            "with the wrong stakeholders",
                                            "despite strong product fit",
                                            "because timing slipped",
                                            "after a reorganization",
                                            "when the champion left",
                                            "ahead of the board meeting",
                                            "with no executive sponsor"};
const std::vector<std::string> kLessons = {
    "next time confirm who signs",           "always quantify the value first",
    "bring security in on day one",          "map every stakeholder early",
    "write the success criteria together",   "never discount before value is agreed",
    "agree the close plan in writing",       "test the champion's access to power",
    "align with the buyer's buying process", "keep procurement informed weekly"};
const std::vector<std::string> kCompetitors = {
    "Globex",          "Initech",   "Hooli",   "Umbrella",  "Stark",    "Wayne",   "Acme",
    "Vehement",        "Soylent",   "Tyrell",  "Cyberdyne", "Wonka",    "Oscorp",  "Aperture",
    "Massive Dynamic", "Gringotts", "Monarch", "Duff",      "Nakatomi", "Blue Sun"};
const std::vector<std::string> kIndustries = {
    "Healthcare", "Retail",    "Finance", "Manufacturing", "Media",       "Education",
    "Government", "Logistics", "Energy",  "Telecom",       "Hospitality", "Insurance"};
const std::vector<std::string> kSegments = {"SMB", "Mid-Market", "Enterprise", "Strategic"};
const std::vector<std::string> kReasons = {
    "price",        "product_fit",          "timing",
    "no_budget",    "no_executive_sponsor", "competitor_strength",
    "relationship", "process_misalignment", "implementation_risk"};
const std::vector<std::string> kTags = {"pricing", "security", "champion", "procurement",
                                        "demo",    "legal",    "timeline", "roi"};

}  // namespace

const std::string& LessonGenerator::Pick(const std::vector<std::string>& from) {
  return from[random_() % from.size()];
}

std::string LessonGenerator::Word() {
  const std::string& phrase = Pick(random_() % 2 ? kObjects : kContexts);
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i <= phrase.size(); ++i) {
    if (i == phrase.size() || phrase[i] == ' ') {
      std::string w = phrase.substr(start, i - start);
      // A query word is a content word: one the analyzer keeps.
      if (w.size() > 3 &&
          !index::Analyzer::English().IsStopWord(index::Analyzer::English().Fold(w))) {
        words.push_back(w);
      }
      start = i + 1;
    }
  }
  return words.empty() ? "budget" : words[random_() % words.size()];
}

retro::v1::Lesson LessonGenerator::Next() {
  if (remaining_in_deal_ == 0) {
    ++deal_;
    remaining_in_deal_ = 3 + static_cast<int>(random_() % 6);
    deal_template_.Clear();
    deal_template_.set_session(absl::StrCat("sessions/deal-", deal_));
    deal_template_.set_session_title(absl::StrCat("Deal review ", deal_));
    deal_template_.set_team_id(absl::StrCat("team-", random_() % 10));
    deal_template_.set_visibility(random_() % 5 == 0 ? retro::v1::TEAM : retro::v1::ORGANIZATION);
    deal_template_.set_presenter(absl::StrCat("rep-", random_() % 200));
    retro::v1::Deal* deal = deal_template_.mutable_deal();
    deal->set_outcome(random_() % 3 == 0 ? retro::v1::WON : retro::v1::LOST);
    deal->set_stage_reached(static_cast<retro::v1::DealStage>(1 + random_() % 6));
    deal->set_competitor(Pick(kCompetitors));
    deal->set_industry(Pick(kIndustries));
    deal->set_segment(Pick(kSegments));
    deal->add_reasons(Pick(kReasons));
    if (random_() % 2) {
      const std::string& second = Pick(kReasons);
      if (second != deal->reasons(0)) deal->add_reasons(second);
    }
    deal->set_primary_reason(deal->reasons(0));
    deal->mutable_close_date()->set_year(2025 + static_cast<int>(random_() % 2));
    deal->mutable_close_date()->set_month(1 + static_cast<int>(random_() % 12));
    deal->mutable_close_date()->set_day(1 + static_cast<int>(random_() % 28));
    deal->mutable_amount()->set_currency_code("USD");
    deal->mutable_amount()->set_units(5000 + static_cast<int64_t>(random_() % 500000));
    deal_template_.mutable_publish_time()->set_seconds(1735689600 + deal_ * 600);
  }
  --remaining_in_deal_;
  retro::v1::Lesson lesson = deal_template_;
  lesson.set_kind(static_cast<retro::v1::Annotation::Kind>(1 + random_() % 3));
  lesson.set_stage(static_cast<retro::v1::Stage>(3 + random_() % 3));
  lesson.set_text(absl::StrCat(Pick(kOpeners), " ", Pick(kVerbs), " ", Pick(kObjects), " ",
                               Pick(kContexts), "; ", Pick(kLessons), "."));
  lesson.add_tags(Pick(kTags));
  lesson.set_vote_count(static_cast<int32_t>(random_() % 8));
  lesson.set_annotation(absl::StrCat(lesson.session(), "/annotations/a", remaining_in_deal_));
  return lesson;
}

std::string LessonGenerator::Query(int kind) {
  switch (kind) {
    case 0:
      return Word();
    case 1:
      return absl::StrCat(Word(), " ", Word());
    case 2:
      return absl::StrCat(Word(), " ", Word(), " ", Word());
    case 3:
      return absl::StrCat("\"", Pick(kObjects).substr(4), "\"");
    default: {
      std::string w = Word();
      return absl::StrCat(w.substr(0, std::max<size_t>(3, w.size() / 2 + 1)), "*");
    }
  }
}

}  // namespace retro::bench
