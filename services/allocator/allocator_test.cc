// The program runs on jemalloc with retro's options: they are a symbol
// jemalloc looks up at start-up, which a link-order or visibility slip
// would silently lose.
#include <jemalloc/jemalloc.h>

#include <cstdlib>

#include "gtest/gtest.h"

namespace {

TEST(AllocatorTest, RunsOnJemallocWithBackgroundThreadsAndHugePages) {
  // MALLOC_CONF overrides the program's options by design; the test is
  // about the program's own.
  if (const char* env = std::getenv("MALLOC_CONF"); env != nullptr && *env != '\0') {
    GTEST_SKIP() << "MALLOC_CONF is set: " << env;
  }
  const char* version = nullptr;
  size_t size = sizeof(version);
  ASSERT_EQ(mallctl("version", &version, &size, nullptr, 0), 0) << "not running on jemalloc";

  bool background_thread = false;
  size = sizeof(background_thread);
  ASSERT_EQ(mallctl("opt.background_thread", &background_thread, &size, nullptr, 0), 0);
  EXPECT_TRUE(background_thread) << "jemalloc " << version << " did not read retro's malloc_conf";

  const char* thp = nullptr;
  size = sizeof(thp);
  ASSERT_EQ(mallctl("opt.thp", &thp, &size, nullptr, 0), 0);
  EXPECT_STREQ(thp, "always") << "jemalloc " << version << " did not read retro's malloc_conf";
}

}  // namespace
