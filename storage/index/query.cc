#include "storage/index/query.h"

#include "absl/strings/ascii.h"

namespace retro::index {

bool ParsedQuery::HasPositive() const {
  for (const QueryClause& clause : clauses) {
    if (!clause.excluded) return true;
  }
  return false;
}

namespace {

void AddClauses(absl::string_view text, bool phrase, bool excluded, const Analyzer& analyzer,
                ParsedQuery* query) {
  bool prefix = !phrase && !text.empty() && text.back() == '*';
  if (prefix) text.remove_suffix(1);
  std::vector<Token> tokens = analyzer.Analyze(text);
  if (tokens.empty()) {
    // A prefix made of a stop word ("th*") still means something.
    if (prefix) {
      std::vector<Token> all = analyzer.Analyze(text, /*keep_stop_words=*/true);
      if (all.size() == 1) tokens = std::move(all);
    }
    if (tokens.empty()) return;
  }
  if (phrase && tokens.size() > 1) {
    QueryClause clause;
    clause.phrase = true;
    clause.excluded = excluded;
    for (const Token& token : tokens) {
      clause.terms.push_back(token.term);
      clause.offsets.push_back(token.position - tokens.front().position);
      clause.words.push_back(token.folded);
    }
    query->clauses.push_back(std::move(clause));
    return;
  }
  // Words (a one-word "phrase" is a word; "a-b" splits into words).
  for (size_t i = 0; i < tokens.size(); ++i) {
    QueryClause clause;
    clause.terms.push_back(tokens[i].term);
    clause.offsets.push_back(0);
    clause.words.push_back(tokens[i].folded);
    clause.excluded = excluded;
    clause.prefix = prefix && i + 1 == tokens.size();
    query->clauses.push_back(std::move(clause));
  }
}

}  // namespace

ParsedQuery ParseQuery(absl::string_view text, const Analyzer& analyzer) {
  ParsedQuery query;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    bool excluded = false;
    if (text[i] == '-') {
      excluded = true;
      ++i;
      if (i >= text.size() || absl::ascii_isspace(static_cast<unsigned char>(text[i]))) continue;
    }
    if (text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == absl::string_view::npos) close = text.size();
      AddClauses(text.substr(i + 1, close - i - 1), /*phrase=*/true, excluded, analyzer, &query);
      i = close + 1;
      continue;
    }
    size_t end = i;
    while (end < text.size() && !absl::ascii_isspace(static_cast<unsigned char>(text[end])) &&
           text[end] != '"') {
      ++end;
    }
    AddClauses(text.substr(i, end - i), /*phrase=*/false, excluded, analyzer, &query);
    i = end;
  }
  return query;
}

}  // namespace retro::index
