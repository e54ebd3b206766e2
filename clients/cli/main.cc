// retro: the command-line client for presenters, teammates and enablement
// staff. See `retro --help` and docs/quickstart-*.md.
#include <clocale>
#include <iostream>
#include <string>
#include <vector>

#include "clients/cli/commands.h"

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  std::vector<std::string> args(argv, argv + argc);
  return retro::cli::RunRetro(args, std::cout, std::cerr);
}
