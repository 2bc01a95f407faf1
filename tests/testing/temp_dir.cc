#include "testing/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "base/check.h"

namespace lts::testing {
namespace {

std::string TempRoot() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string root = (tmpdir != nullptr && tmpdir[0] != '\0') ? tmpdir : "/tmp";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

// A test may have left a directory unreadable or unwritable (to provoke I/O errors);
// give the owner full access again, top-down, so that remove_all() can get in.
void MakeRemovable(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, error);
  for (std::filesystem::directory_iterator it(dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    std::error_code ignored;
    if (it->is_directory(ignored) && !it->is_symlink(ignored)) MakeRemovable(it->path());
  }
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = TempRoot() + "/lts-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const char* created = mkdtemp(buffer.data());
  LTS_CHECK(created != nullptr) << "mkdtemp(" << pattern
                                << "): " << std::generic_category().message(errno);
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(created, error);
  path_ = error ? std::string(created) : absolute.string();
}

TempDir::~TempDir() {
  MakeRemovable(path_);
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  if (error) {
    std::fprintf(stderr, "TempDir: cannot remove %s: %s\n", path_.c_str(), error.message().c_str());
  }
}

std::string TempDir::Join(std::string_view name) const {
  std::string joined = path_;
  joined += '/';
  joined += name;
  return joined;
}

}  // namespace lts::testing
