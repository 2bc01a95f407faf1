// Tests for tests/testing/free_port.h.
#include "testing/free_port.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "testing/status_matchers.h"

namespace lts::testing {
namespace {

// Connects to 127.0.0.1:port; returns the connected fd or -1.
int ConnectToLoopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(BindToPortZeroTest, ReturnsAListeningSocketThatAcceptsConnections) {
  ASSERT_OK_AND_ASSIGN(ListeningSocket listener, BindToPortZero());
  EXPECT_GE(listener.fd(), 0);
  EXPECT_GT(listener.port(), 0);
  const int client = ConnectToLoopback(listener.port());
  ASSERT_GE(client, 0);
  const int accepted = ::accept(listener.fd(), nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  ::close(accepted);
  ::close(client);
}

TEST(BindToPortZeroTest, TwoSocketsGetDifferentPorts) {
  ASSERT_OK_AND_ASSIGN(ListeningSocket a, BindToPortZero());
  ASSERT_OK_AND_ASSIGN(ListeningSocket b, BindToPortZero());
  EXPECT_NE(a.port(), b.port());
}

TEST(BindToPortZeroTest, ReleaseHandsOverTheDescriptor) {
  ASSERT_OK_AND_ASSIGN(ListeningSocket listener, BindToPortZero());
  const int fd = listener.Release();
  EXPECT_EQ(-1, listener.fd());
  EXPECT_EQ(0, ::close(fd));  // Still open: the socket did not close it.
}

TEST(BindToPortZeroTest, MovingTransfersOwnership) {
  ASSERT_OK_AND_ASSIGN(ListeningSocket a, BindToPortZero());
  const int fd = a.fd();
  ListeningSocket b = std::move(a);
  EXPECT_EQ(fd, b.fd());
  EXPECT_EQ(-1, a.fd());  // NOLINT(bugprone-use-after-move): checking the moved-from state.
}

TEST(PickFreePortTest, ReturnsAPortThatCanBeBound) {
  ASSERT_OK_AND_ASSIGN(uint16_t port, PickFreePort());
  EXPECT_GT(port, 0);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  // Another process could take the port in between; that is the documented risk, and
  // too rare to make this test flaky.
  EXPECT_EQ(0, ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)));
  ::close(fd);
}

}  // namespace
}  // namespace lts::testing
