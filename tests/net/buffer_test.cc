#include "net/buffer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lts::net {
namespace {

TEST(BufferTest, StartsEmptyWithCheapPrependAndInitialSpace) {
  Buffer buffer;
  EXPECT_EQ(0u, buffer.readable_bytes());
  EXPECT_EQ(Buffer::kCheapPrepend, buffer.prependable_bytes());
  EXPECT_EQ(Buffer::kInitialSize, buffer.writable_bytes());
}

TEST(BufferTest, AppendAndRetrieveMoveTheIndices) {
  Buffer buffer;
  buffer.Append(std::string(200, 'x'));
  EXPECT_EQ(200u, buffer.readable_bytes());
  EXPECT_EQ(Buffer::kInitialSize - 200, buffer.writable_bytes());

  EXPECT_EQ(std::string(50, 'x'), buffer.RetrieveAsString(50));
  EXPECT_EQ(150u, buffer.readable_bytes());
  EXPECT_EQ(Buffer::kCheapPrepend + 50, buffer.prependable_bytes());

  EXPECT_EQ(std::string(150, 'x'), buffer.RetrieveAllAsString());
  EXPECT_EQ(0u, buffer.readable_bytes());
  // Emptying resets both indices, so the whole space is writable again.
  EXPECT_EQ(Buffer::kCheapPrepend, buffer.prependable_bytes());
  EXPECT_EQ(Buffer::kInitialSize, buffer.writable_bytes());
}

TEST(BufferTest, GrowsToFitAnAppendBeyondCapacityKeepingContent) {
  Buffer buffer;
  buffer.Append("head-");
  const std::string big(5000, 'y');
  buffer.Append(big);
  EXPECT_EQ(5005u, buffer.readable_bytes());
  EXPECT_GE(buffer.capacity(), Buffer::kCheapPrepend + 5005);
  EXPECT_EQ("head-" + big, buffer.RetrieveAllAsString());
}

TEST(BufferTest, SlidesContentToTheFrontInsteadOfGrowingWhenThatIsEnough) {
  Buffer buffer;
  buffer.Append(std::string(800, 'a'));
  buffer.Retrieve(500);
  const size_t capacity = buffer.capacity();
  buffer.Append(std::string(600, 'b'));  // 300 + 600 < 1024: fits after sliding.
  EXPECT_EQ(capacity, buffer.capacity());
  EXPECT_EQ(Buffer::kCheapPrepend, buffer.prependable_bytes());
  EXPECT_EQ(std::string(300, 'a') + std::string(600, 'b'), buffer.RetrieveAllAsString());
}

TEST(BufferTest, BeginWriteAndHasWrittenAppendInPlace) {
  Buffer buffer;
  buffer.EnsureWritable(3000);
  ASSERT_GE(buffer.writable_bytes(), 3000u);
  std::memset(buffer.BeginWrite(), 'z', 3000);
  buffer.HasWritten(3000);
  EXPECT_EQ(std::string(3000, 'z'), buffer.RetrieveAllAsString());
}

TEST(BufferTest, PrependPutsAHeaderInFrontWithoutMovingTheBody) {
  Buffer buffer;
  buffer.Append("body");
  buffer.PrependInt32(4);
  EXPECT_EQ(Buffer::kCheapPrepend - 4, buffer.prependable_bytes());
  EXPECT_EQ(8u, buffer.readable_bytes());
  EXPECT_EQ(4, buffer.ReadInt32());
  EXPECT_EQ("body", buffer.RetrieveAllAsString());

  buffer.Append("x");
  buffer.Prepend("ab", 2);
  EXPECT_EQ("abx", buffer.RetrieveAllAsString());
}

TEST(BufferTest, IntegersAreBigEndianAndRoundTrip) {
  Buffer buffer;
  buffer.AppendInt32(0x01020304);
  EXPECT_EQ(std::string("\x01\x02\x03\x04", 4), std::string(buffer.Peek(), 4));
  buffer.AppendInt32(-7);
  buffer.AppendInt64(-1234567890123456789LL);
  EXPECT_EQ(0x01020304, buffer.PeekInt32());
  EXPECT_EQ(0x01020304, buffer.ReadInt32());
  EXPECT_EQ(-7, buffer.ReadInt32());
  EXPECT_EQ(-1234567890123456789LL, buffer.PeekInt64());
  EXPECT_EQ(-1234567890123456789LL, buffer.ReadInt64());
  EXPECT_EQ(0u, buffer.readable_bytes());
}

TEST(BufferTest, ReadFdTakesFarMoreThanTheFreeSpaceInOneCall) {
  int fds[2];
  ASSERT_EQ(0, ::pipe2(fds, O_CLOEXEC));
  std::string sent(60000, '\0');
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(i * 7);
  ASSERT_EQ(static_cast<ssize_t>(sent.size()), ::write(fds[1], sent.data(), sent.size()));

  Buffer buffer;  // 1 KiB free: the rest goes through the 64 KiB stack buffer.
  ASSERT_LT(buffer.writable_bytes(), sent.size());
  int saved_errno = 0;
  EXPECT_EQ(static_cast<ssize_t>(sent.size()), buffer.ReadFd(fds[0], &saved_errno));
  EXPECT_EQ(sent, buffer.RetrieveAllAsString());

  ::close(fds[1]);
  EXPECT_EQ(0, buffer.ReadFd(fds[0], &saved_errno));  // End of stream.
  ::close(fds[0]);
}

TEST(BufferTest, ReadFdAppendsAfterExistingContent) {
  int fds[2];
  ASSERT_EQ(0, ::pipe2(fds, O_CLOEXEC));
  Buffer buffer;
  buffer.Append(std::string(1000, 'p'));
  const std::string sent(5000, 'q');
  ASSERT_EQ(5000, ::write(fds[1], sent.data(), sent.size()));
  int saved_errno = 0;
  EXPECT_EQ(5000, buffer.ReadFd(fds[0], &saved_errno));
  EXPECT_EQ(std::string(1000, 'p') + sent, buffer.RetrieveAllAsString());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(BufferTest, ReadFdReportsErrno) {
  Buffer buffer;
  int saved_errno = 0;
  EXPECT_EQ(-1, buffer.ReadFd(-1, &saved_errno));
  EXPECT_EQ(EBADF, saved_errno);
}

TEST(BufferTest, ShrinkReleasesTheMemoryOfADrainedBigBuffer) {
  Buffer buffer;
  buffer.Append(std::string(1 << 20, 'm'));
  buffer.RetrieveAll();
  EXPECT_GT(buffer.capacity(), 1u << 20);
  buffer.Shrink();
  EXPECT_EQ(Buffer::kCheapPrepend + Buffer::kInitialSize, buffer.capacity());
  buffer.Append("still usable");
  EXPECT_EQ("still usable", buffer.RetrieveAllAsString());
}

TEST(BufferTest, ShrinkKeepsUnreadContent) {
  Buffer buffer;
  buffer.Append(std::string(100, 'a') + std::string(10000, 'b'));
  buffer.Retrieve(100);
  buffer.Shrink();
  EXPECT_EQ(Buffer::kCheapPrepend + 10000, buffer.capacity());
  EXPECT_EQ(std::string(10000, 'b'), buffer.RetrieveAllAsString());
}

TEST(BufferTest, SwapExchangesContents) {
  Buffer a;
  Buffer b;
  a.Append("first");
  b.Append(std::string(3000, 's'));
  a.Swap(b);
  EXPECT_EQ(std::string(3000, 's'), a.RetrieveAllAsString());
  EXPECT_EQ("first", b.RetrieveAllAsString());
}

}  // namespace
}  // namespace lts::net
