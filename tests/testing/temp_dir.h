// TempDir: a fresh, uniquely named directory for one test, removed with everything in
// it when the TempDir is destroyed.
//
//   TempDir dir;
//   ASSERT_OK(WriteFile(dir.Join("lts.yaml"), text));
//
// The directory is created under $TMPDIR (or /tmp when unset) as "lts-test-XXXXXX".
//
// Thread safety: path() and Join() may be called from any thread; the directory's
// contents are the test's business.

#pragma once

#include <string>
#include <string_view>

namespace lts::testing {

class TempDir {
 public:
  // Creates the directory; aborts the test binary if it cannot (there is no
  // meaningful way to continue a test without its scratch space).
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  // Removes the directory recursively; problems are reported on stderr, not fatal.
  ~TempDir();

  // Absolute path of the directory, without a trailing '/'.
  const std::string& path() const { return path_; }

  // path() + "/" + name. Does not create anything.
  std::string Join(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace lts::testing
