// docs/rpc_protocol.md lists the command and status tables; these tests fail when the
// code and the page disagree, so the specification cannot drift from the wire.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "rpc/command.h"
#include "rpc/frame_format.h"
#include "rpc/status_codes.h"

namespace lts::rpc {
namespace {

using ::testing::HasSubstr;

std::string ReadProtocolDoc() {
  const char* source = std::getenv("LTS_SOURCE_DIR");
  const std::filesystem::path path =
      std::filesystem::path(source != nullptr ? source : LTS_TEST_SOURCE_DIR) / "docs" /
      "rpc_protocol.md";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ProtocolDocTest, ListsEveryCommandWithItsCodeNameAndDirection) {
  const std::string doc = ReadProtocolDoc();
  for (const CommandInfo& info : kCommandTable) {
    const std::string row = "| " + std::to_string(ToWire(info.command)) + " | `" +
                            std::string(info.name) + "` | " + std::string(info.direction) + " |";
    EXPECT_THAT(doc, HasSubstr(row));
  }
}

TEST(ProtocolDocTest, ListsEveryWireStatus) {
  const std::string doc = ReadProtocolDoc();
  for (const WireStatus& row : kWireStatusTable) {
    EXPECT_THAT(doc, HasSubstr("| " + std::to_string(row.wire) + " | `" +
                               std::string(StatusCodeName(row.code)) + "` |"));
  }
}

TEST(ProtocolDocTest, StatesTheHeaderConstants) {
  const std::string doc = ReadProtocolDoc();
  EXPECT_THAT(doc, HasSubstr("| 20 | 4 | body length |"));
  EXPECT_THAT(doc, HasSubstr("| 32 | n | body |"));
  EXPECT_EQ(32u, kFrameHeaderSize);
  EXPECT_EQ(20u, kBodyLengthOffset);
  EXPECT_THAT(doc, HasSubstr("16 MiB"));
  EXPECT_EQ(16u * 1024 * 1024, kDefaultMaxBodyBytes);
}

}  // namespace
}  // namespace lts::rpc
