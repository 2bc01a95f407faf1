// Tests for tests/testing/temp_dir.h (test helpers are tested in base_test).
#include "testing/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace lts::testing {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, CreatesAnEmptyAbsoluteDirectory) {
  TempDir dir;
  EXPECT_TRUE(fs::is_directory(dir.path()));
  EXPECT_TRUE(fs::path(dir.path()).is_absolute());
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(TempDirTest, EachInstanceGetsItsOwnDirectory) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDirTest, JoinAppendsANameWithoutCreatingIt) {
  TempDir dir;
  EXPECT_EQ(dir.path() + "/x.txt", dir.Join("x.txt"));
  EXPECT_FALSE(fs::exists(dir.Join("x.txt")));
}

TEST(TempDirTest, RemovesEverythingInsideOnDestruction) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    fs::create_directories(dir.Join("a/b/c"));
    std::ofstream(dir.Join("a/b/c/file")) << "data";
    // A locked-down directory must not defeat cleanup.
    fs::create_directories(dir.Join("locked/inner"));
    std::ofstream(dir.Join("locked/inner/file")) << "data";
    fs::permissions(dir.Join("locked"), fs::perms::none);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, HonoursTmpdir) {
  TempDir outer;
  const char* previous = std::getenv("TMPDIR");
  const std::string saved = previous != nullptr ? previous : "";
  ASSERT_EQ(0, setenv("TMPDIR", outer.path().c_str(), 1));
  {
    TempDir inner;
    EXPECT_EQ(outer.path(), fs::path(inner.path()).parent_path().string());
  }
  if (previous != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace lts::testing
