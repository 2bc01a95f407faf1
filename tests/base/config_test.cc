#include "base/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace lts {
namespace {

using ::lts::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

constexpr const char* kSample = R"(# LTS configuration
cluster: prod
jobtracker:
  host: 10.0.0.1
  port: 35001
  retry:
    max_attempts: 5
    backoff: 30s
  registry_addresses:
    - zk1:2181
    - zk2:2181
logging:
  verbose: yes
  level: ~
)";

Config Load(const std::string& text) {
  StatusOr<Config> config = Config::LoadString(text, "lts.yaml");
  EXPECT_OK(config);
  return config.ok() ? *config : Config();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

// --- Loading -----------------------------------------------------------------------

TEST(ConfigLoadTest, NestedMappingsAreAddressedWithDots) {
  const Config config = Load(kSample);
  EXPECT_EQ("prod", config.GetString("cluster", "").value());
  EXPECT_EQ("10.0.0.1", config.GetString("jobtracker.host", "").value());
  EXPECT_EQ(5, config.GetInt64("jobtracker.retry.max_attempts", 0, 1, 10).value());
}

TEST(ConfigLoadTest, HasReportsPresentKeysWhateverTheirValue) {
  const Config config = Load(kSample);
  EXPECT_TRUE(config.Has("cluster"));
  EXPECT_TRUE(config.Has("jobtracker"));
  EXPECT_TRUE(config.Has("jobtracker.retry"));
  EXPECT_TRUE(config.Has("jobtracker.registry_addresses"));
  EXPECT_TRUE(config.Has("logging.level"));  // Null.
  EXPECT_FALSE(config.Has("jobtracker.missing"));
  EXPECT_FALSE(config.Has("jobtracker.registry_addresses.0"));
  EXPECT_FALSE(config.Has(""));
}

TEST(ConfigLoadTest, LoadFileReadsTheFileAndNamesItInMessages) {
  testing::TempDir dir;
  const std::string path = dir.Join("lts.yaml");
  WriteFile(path, "jobtracker:\n  port: abc\n");
  ASSERT_OK_AND_ASSIGN(Config config, Config::LoadFile(path));
  EXPECT_EQ(path, config.name());
  EXPECT_THAT(config.GetInt64("jobtracker.port", 1, 1, 65535),
              StatusIs(StatusCode::kInvalidArgument, StartsWith(path + ":2:3: jobtracker.port")));
}

TEST(ConfigLoadTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  EXPECT_THAT(Config::LoadFile(dir.Join("absent.yaml")),
              StatusIs(StatusCode::kNotFound, HasSubstr("absent.yaml")));
}

TEST(ConfigLoadTest, DirectoryIsAnIOError) {
  testing::TempDir dir;
  EXPECT_THAT(Config::LoadFile(dir.path()), StatusIs(StatusCode::kIOError, HasSubstr(dir.path())));
}

TEST(ConfigLoadTest, EmptyOrCommentOnlyDocumentIsAnEmptyConfig) {
  for (const char* text : {"", "\n", "# only a comment\n", "---\n", "~\n"}) {
    ASSERT_OK_AND_ASSIGN(Config config, Config::LoadString(text, "empty.yaml"));
    EXPECT_FALSE(config.Has("anything")) << text;
    EXPECT_EQ(7, config.GetInt64("anything", 7, kMin, kMax).value());
  }
}

TEST(ConfigLoadTest, DefaultConstructedConfigReturnsDefaults) {
  const Config config;
  EXPECT_EQ("d", config.GetString("a.b", "d").value());
  EXPECT_TRUE(config.CheckKnownKeys({}).ok());
}

TEST(ConfigLoadTest, NonMappingRootIsRejectedWithItsPosition) {
  EXPECT_THAT(Config::LoadString("- a\n- b\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:1:1: the root must be a mapping of keys to values, got a list"));
  EXPECT_THAT(Config::LoadString("just a string\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got a scalar")));
}

TEST(ConfigLoadTest, SyntaxErrorNamesTheFileAndOneBasedLine) {
  // An unclosed flow mapping.
  EXPECT_THAT(Config::LoadString("a: 1\nb: {c: 2\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::MatchesRegex("lts\\.yaml:[23]:[0-9]+: .+")));
}

TEST(ConfigLoadTest, TabIndentationIsASyntaxError) {
  EXPECT_THAT(Config::LoadString("a: 1\n\tb: 2\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:2:1: illegal tab when looking for indentation"));
}

TEST(ConfigLoadTest, UnclosedQuoteIsRejectedWithItsPosition) {
  // yaml-cpp itself would accept the first three, closing the string at the end.
  EXPECT_THAT(Config::LoadString("a: 1\nb: \"abc\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "lts.yaml:2:4: unterminated quoted string"));
  EXPECT_THAT(Config::LoadString("a: \"abc\\\"\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, "lts.yaml:1:4: unterminated quoted string"));
  EXPECT_THAT(Config::LoadString("\"key: 1\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("lts.yaml:1:1: ")));
  EXPECT_THAT(Config::LoadString("a: 'abc", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("lts.yaml:1:")));
}

TEST(ConfigLoadTest, ClosedQuotesWithEscapesAreAccepted) {
  const Config config = Load("a: \"x\\\"y\"\nb: 'it''s'\n\"c\": \"\"\n");
  EXPECT_EQ("x\"y", config.GetString("a", "").value());
  EXPECT_EQ("it's", config.GetString("b", "").value());
  EXPECT_EQ("", config.GetString("c", "d").value());
}

TEST(ConfigLoadTest, NulByteIsRejectedWithItsPosition) {
  EXPECT_THAT(Config::LoadString(std::string("a: 1\nbb\0: 2\n", 12), "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:2:3: NUL byte; a config file must be UTF-8 text"));
}

TEST(ConfigLoadTest, ByteOrderMarkIsSkippedAndPositionsStayRight) {
  const Config config = Load(
      "\xef\xbb\xbf"
      "a: 1\nport: \"x\"\n");
  EXPECT_EQ(1, config.GetInt64("a", 0, kMin, kMax).value());
  EXPECT_THAT(config.GetInt64("port", 0, 1, 65535),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("lts.yaml:2:1: port:")));
}

TEST(ConfigLoadTest, DuplicateKeyIsRejectedWithBothLines) {
  EXPECT_THAT(Config::LoadString("a: 1\nb: 2\na: 3\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:3:1: duplicate key \"a\" (first at line 1)"));
  EXPECT_THAT(Config::LoadString("x:\n  a: 1\n  a: 2\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("duplicate key \"x.a\"")));
}

TEST(ConfigLoadTest, KeysMustBePlainStringsWithoutDots) {
  EXPECT_THAT(Config::LoadString("a.b: 1\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("lts.yaml:1:1: key \"a.b\"")));
  EXPECT_THAT(Config::LoadString("? [a, b]\n: 1\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("keys must be strings")));
  EXPECT_THAT(Config::LoadString("\"\": 1\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must be non-empty")));
}

TEST(ConfigLoadTest, MoreThanOneDocumentIsRejected) {
  EXPECT_THAT(Config::LoadString("a: 1\n---\nb: 2\n", "lts.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("a second YAML document")));
}

TEST(ConfigLoadTest, FileLargerThanOneMebibyteIsRejected) {
  testing::TempDir dir;
  const std::string path = dir.Join("huge.yaml");
  std::string text = "padding: \"";
  text.append(kMaxConfigBytes, 'x');
  text += "\"\n";
  WriteFile(path, text);
  EXPECT_THAT(Config::LoadFile(path),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr(path), HasSubstr("1.0 MiB"))));
  EXPECT_THAT(Config::LoadString(text, "huge.yaml"),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("huge.yaml: ")));
}

TEST(ConfigLoadTest, FileOfExactlyOneMebibyteIsAccepted) {
  std::string text = "padding: ";
  text.append(kMaxConfigBytes - text.size() - 1, 'x');
  text += "\n";
  ASSERT_EQ(kMaxConfigBytes, text.size());
  ASSERT_OK_AND_ASSIGN(Config config, Config::LoadString(text, "big.yaml"));
  EXPECT_EQ(kMaxConfigBytes - 10, config.GetString("padding", "").value().size());
}

std::string NestedMappings(int depth) {
  std::string text;
  for (int level = 0; level < depth; ++level) {
    text += std::string(static_cast<size_t>(level) * 2, ' ') + "k" + std::to_string(level) + ":\n";
  }
  text += std::string(static_cast<size_t>(depth) * 2, ' ') + "leaf: 1\n";
  return text;
}

TEST(ConfigLoadTest, NestingUpToTheLimitIsAccepted) {
  // The root is level 1, so 31 named mappings below it make 32 levels.
  ASSERT_OK_AND_ASSIGN(Config config, Config::LoadString(NestedMappings(31), "deep.yaml"));
  std::string key;
  for (int level = 0; level < 31; ++level) key += "k" + std::to_string(level) + ".";
  EXPECT_EQ(1, config.GetInt64(key + "leaf", 0, kMin, kMax).value());
}

TEST(ConfigLoadTest, NestingDeeperThanTheLimitIsRejectedWithItsLine) {
  EXPECT_THAT(
      Config::LoadString(NestedMappings(32), "deep.yaml"),
      StatusIs(StatusCode::kInvalidArgument, "deep.yaml:33:65: nesting deeper than 32 levels"));
}

TEST(ConfigLoadTest, DeeplyNestedFlowCollectionsAreRejectedWithoutCrashing) {
  for (const std::string& text : {"a: " + std::string(40, '['), "a: " + std::string(100000, '['),
                                  "a: " + std::string(100000, '{'),
                                  "a: " + std::string(40, '[') + std::string(40, ']'), "a:\n" + [] {
                                    std::string dashes;
                                    for (int i = 0; i < 50000; ++i) dashes += "- ";
                                    return dashes + "x\n";
                                  }()}) {
    EXPECT_THAT(Config::LoadString(text, "deep.yaml"),
                StatusIs(StatusCode::kInvalidArgument, StartsWith("deep.yaml:")))
        << text.substr(0, 20);
  }
}

TEST(ConfigLoadTest, AliasExpansionIsBounded) {
  // "Billion laughs": each level names the previous one ten times.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 9; ++level) {
    const std::string previous = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i == 0 ? "" : ", ") + previous;
    text += "]\n";
  }
  EXPECT_THAT(Config::LoadString(text, "bomb.yaml"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("after expanding aliases")));
}

TEST(ConfigLoadTest, BinaryGarbageIsRejectedWithoutCrashing) {
  const uint32_t seed = std::random_device()();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  for (int round = 0; round < 200; ++round) {
    std::string garbage(static_cast<size_t>(rng() % 512), '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    // Half the rounds without NUL bytes, so that they get past the NUL check.
    if (round % 2 == 0) std::replace(garbage.begin(), garbage.end(), '\0', ':');
    // Any outcome but a crash is acceptable; a success must still be a mapping.
    StatusOr<Config> config = Config::LoadString(garbage, "garbage.yaml");
    if (!config.ok()) {
      EXPECT_EQ(StatusCode::kInvalidArgument, config.status().code());
      EXPECT_THAT(std::string(config.status().message()), StartsWith("garbage.yaml"));
    }
  }
  EXPECT_THAT(Config::LoadString(std::string("\0\x01\x02\xff\xfe", 5), "garbage.yaml"),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("garbage.yaml")));
  EXPECT_THAT(Config::LoadString("a: [1, 2\n}}}: ::\n", "garbage.yaml"),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("garbage.yaml:")));
}

// --- Getters -----------------------------------------------------------------------

TEST(ConfigGetTest, MissingAndNullKeysYieldTheDefault) {
  const Config config = Load(kSample);
  EXPECT_EQ("fallback", config.GetString("nope", "fallback").value());
  EXPECT_EQ("fallback", config.GetString("logging.level", "fallback").value());
  EXPECT_EQ(9, config.GetInt64("nope", 9, 0, 10).value());
  EXPECT_TRUE(config.GetBool("nope", true).value());
  EXPECT_EQ(1500, config.GetDurationMs("nope", 1500).value());
  EXPECT_THAT(config.GetStringList("nope", {"d"}).value(), ElementsAre("d"));
}

TEST(ConfigGetTest, GetStringReturnsScalarsAsWritten) {
  const Config config = Load("a: \"quoted: yes\"\nb: 0042\nc: plain text\n");
  EXPECT_EQ("quoted: yes", config.GetString("a", "").value());
  EXPECT_EQ("0042", config.GetString("b", "").value());
  EXPECT_EQ("plain text", config.GetString("c", "").value());
}

TEST(ConfigGetTest, GetStringOfAMappingNamesTheKeyAndPosition) {
  const Config config = Load(kSample);
  EXPECT_THAT(config.GetString("jobtracker.retry", ""),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:6:3: jobtracker.retry: expected a string, got a mapping"));
}

TEST(ConfigGetTest, GetInt64AcceptsValuesInsideTheRange) {
  const Config config = Load("a: 1\nb: 65535\nc: -9223372036854775808\nd: \"+7\"\n");
  EXPECT_EQ(1, config.GetInt64("a", 0, 1, 65535).value());
  EXPECT_EQ(65535, config.GetInt64("b", 0, 1, 65535).value());
  EXPECT_EQ(kMin, config.GetInt64("c", 0, kMin, kMax).value());
  EXPECT_EQ(7, config.GetInt64("d", 0, kMin, kMax).value());
}

TEST(ConfigGetTest, GetInt64OfTextNamesFileLineKeyRangeAndValue) {
  const Config config = Load("cluster: x\njobtracker:\n  host: h\n  port: abc\n");
  EXPECT_THAT(config.GetInt64("jobtracker.port", 35001, 1, 65535),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:4:3: jobtracker.port: expected an integer in [1, 65535], got "
                       "\"abc\""));
}

TEST(ConfigGetTest, GetInt64OutOfRangeIsRejected) {
  const Config config = Load("port: 65536\nzero: 0\nhuge: 99999999999999999999\n");
  EXPECT_THAT(config.GetInt64("port", 1, 1, 65535),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got \"65536\"")));
  EXPECT_THAT(config.GetInt64("zero", 1, 1, 65535),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got \"0\"")));
  EXPECT_THAT(config.GetInt64("huge", 1, kMin, kMax),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:3:1: huge: expected a 64-bit integer, got "
                       "\"99999999999999999999\""));
}

TEST(ConfigGetTest, GetInt64RejectsFractionsAndLists) {
  const Config config = Load("a: 1.5\nb: [1]\n");
  EXPECT_THAT(config.GetInt64("a", 0, kMin, kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got \"1.5\"")));
  EXPECT_THAT(config.GetInt64("b", 0, kMin, kMax),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("got a list")));
}

TEST(ConfigGetTest, GetBoolAcceptsTheUsualSpellings) {
  const Config config = Load("a: true\nb: FALSE\nc: yes\nd: no\ne: On\nf: off\n");
  EXPECT_TRUE(config.GetBool("a", false).value());
  EXPECT_FALSE(config.GetBool("b", true).value());
  EXPECT_TRUE(config.GetBool("c", false).value());
  EXPECT_FALSE(config.GetBool("d", true).value());
  EXPECT_TRUE(config.GetBool("e", false).value());
  EXPECT_FALSE(config.GetBool("f", true).value());
}

TEST(ConfigGetTest, GetBoolRejectsOtherValues) {
  const Config config = Load("flags:\n  verbose: maybe\n");
  EXPECT_THAT(config.GetBool("flags.verbose", false),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:2:3: flags.verbose: expected true or false, got \"maybe\""));
}

TEST(ConfigGetTest, GetDurationMsAcceptsUnitsAndPlainMilliseconds) {
  const Config config = Load("a: 500ms\nb: 30s\nc: 2m\nd: 1h\ne: 250\nf: 0s\n");
  EXPECT_EQ(500, config.GetDurationMs("a", 0).value());
  EXPECT_EQ(30'000, config.GetDurationMs("b", 0).value());
  EXPECT_EQ(120'000, config.GetDurationMs("c", 0).value());
  EXPECT_EQ(3'600'000, config.GetDurationMs("d", 0).value());
  EXPECT_EQ(250, config.GetDurationMs("e", 0).value());
  EXPECT_EQ(0, config.GetDurationMs("f", 0).value());
}

TEST(ConfigGetTest, GetDurationMsRejectsMalformedAndOverflowingValues) {
  const Config config =
      Load("a: 30x\nb: s\nc: -5s\nd: 1.5s\ne: 30 s\nf: 9999999999999999h\ng: \"\"\n");
  for (const char* key : {"a", "b", "c", "d", "e", "f", "g"}) {
    EXPECT_THAT(config.GetDurationMs(key, 0),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("expected a duration")))
        << key;
  }
  EXPECT_THAT(config.GetDurationMs("a", 0),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("lts.yaml:1:1: a: expected")));
}

TEST(ConfigGetTest, GetStringListReadsBlockAndFlowSequences) {
  const Config config = Load(kSample + std::string("flow: [a, \"b c\", 3]\nempty: []\n"));
  EXPECT_THAT(config.GetStringList("jobtracker.registry_addresses", {}).value(),
              ElementsAre("zk1:2181", "zk2:2181"));
  EXPECT_THAT(config.GetStringList("flow", {}).value(), ElementsAre("a", "b c", "3"));
  EXPECT_TRUE(config.GetStringList("empty", {"d"}).value().empty());
}

TEST(ConfigGetTest, GetStringListRejectsScalarsAndNestedItems) {
  const Config config = Load("one: a\nnested:\n  - a\n  - [b]\n  - ~\n");
  EXPECT_THAT(config.GetStringList("one", {}),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:1:1: one: expected a list of strings, got \"a\""));
  EXPECT_THAT(config.GetStringList("nested", {}),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:4:5: nested[1]: expected a string, got a list"));
}

TEST(ConfigGetTest, CopiesShareTheParsedDocument) {
  const Config original = Load(kSample);
  const Config copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(original.GetString("cluster", "").value(), copy.GetString("cluster", "").value());
}

// --- CheckKnownKeys ----------------------------------------------------------------

const std::vector<std::string> kKnownKeys = {
    "cluster",
    "jobtracker.host",
    "jobtracker.port",
    "jobtracker.retry.max_attempts",
    "jobtracker.retry.backoff",
    "jobtracker.registry_addresses",
    "logging.verbose",
    "logging.level",
    "labels.*",
};

TEST(ConfigKnownKeysTest, AcceptsAConfigOfKnownKeys) {
  const Config config = Load(kSample + std::string("labels:\n  team: infra\n  tier: 1\n"));
  EXPECT_OK(config.CheckKnownKeys(kKnownKeys));
}

TEST(ConfigKnownKeysTest, NamesTheFirstUnknownKeyWithItsLineAndASuggestion) {
  const Config config = Load("cluster: c\njobtracker:\n  prot: 1\n  hots: h\n");
  EXPECT_THAT(config.CheckKnownKeys(kKnownKeys),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:3:3: unknown key \"jobtracker.prot\" (did you mean "
                       "\"jobtracker.port\"?)"));
}

TEST(ConfigKnownKeysTest, UnknownSectionIsReportedBeforeItsChildren) {
  const Config config = Load("jobtraker:\n  port: 1\n");
  EXPECT_THAT(config.CheckKnownKeys(kKnownKeys),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:1:1: unknown key \"jobtraker\" (did you mean \"jobtracker\"?)"));
}

TEST(ConfigKnownKeysTest, UnrelatedUnknownKeyGetsNoSuggestion) {
  const Config config = Load("completely_different: 1\n");
  EXPECT_THAT(
      config.CheckKnownKeys(kKnownKeys),
      StatusIs(StatusCode::kInvalidArgument, "lts.yaml:1:1: unknown key \"completely_different\""));
}

TEST(ConfigKnownKeysTest, ScalarWhereASectionBelongsIsRejected) {
  const Config config = Load("jobtracker: 35001\n");
  EXPECT_THAT(config.CheckKnownKeys(kKnownKeys),
              StatusIs(StatusCode::kInvalidArgument,
                       "lts.yaml:1:1: jobtracker: expected a mapping, got \"35001\""));
}

TEST(ConfigKnownKeysTest, EmptySectionIsAllowed) {
  const Config config = Load("jobtracker:\nlabels:\n");
  EXPECT_OK(config.CheckKnownKeys(kKnownKeys));
}

}  // namespace
}  // namespace lts
