// bench_e2e's beanstalkd peer (beanstalk.h).

#include "beanstalk.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace lts::bench {

std::string Beanstalkd::Start(const std::string& dir, uint16_t port) {
  port_ = port;
  const std::string port_text = std::to_string(port);
  const std::string log = dir + "/beanstalkd.log";
  pid_ = fork();
  if (pid_ < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl("/usr/bin/beanstalkd", "beanstalkd", "-l", "127.0.0.1", "-p", port_text.c_str(), "-b",
          dir.c_str(), "-f", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100; ++i) {
    BeanstalkClient probe;
    if (probe.Connect(port).empty()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return "beanstalkd did not answer on port " + port_text + " (see " + log + ")";
}

Beanstalkd::~Beanstalkd() { Stop(); }

void Beanstalkd::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Beanstalkd::version() const {
  FILE* p = popen("dpkg-query -W -f='${Version}' beanstalkd 2>/dev/null", "r");
  if (p == nullptr) return "?";
  char buf[64] = {};
  size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  pclose(p);
  return std::string(buf, n);
}

BeanstalkClient::~BeanstalkClient() {
  if (fd_ >= 0) close(fd_);
}

std::string BeanstalkClient::Connect(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::strerror(errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return std::strerror(errno);
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return "";
}

bool BeanstalkClient::WriteAll(const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd_, data.data() + off, data.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool BeanstalkClient::ReadLine(std::string* line) {
  for (;;) {
    size_t pos = buffer_.find("\r\n");
    if (pos != std::string::npos) {
      *line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 2);
      return true;
    }
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

bool BeanstalkClient::ReadN(size_t n) {
  while (buffer_.size() < n) {
    char chunk[65536];
    ssize_t got = read(fd_, chunk, sizeof(chunk));
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  buffer_.erase(0, n);
  return true;
}

int64_t BeanstalkClient::PutMany(const std::string& body, int count, bool pipelined) {
  const std::string put = "put 100 0 60 " + std::to_string(body.size()) + "\r\n" + body + "\r\n";
  int64_t inserted = 0;
  std::string line;
  if (pipelined) {
    std::string all;
    all.reserve(put.size() * static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) all += put;
    if (!WriteAll(all)) return inserted;
    for (int i = 0; i < count; ++i) {
      if (!ReadLine(&line)) return inserted;
      inserted += line.rfind("INSERTED", 0) == 0;
    }
    return inserted;
  }
  for (int i = 0; i < count; ++i) {
    if (!WriteAll(put) || !ReadLine(&line)) return inserted;
    inserted += line.rfind("INSERTED", 0) == 0;
  }
  return inserted;
}

bool BeanstalkClient::ReserveDelete() {
  std::string line;
  if (!WriteAll("reserve-with-timeout 1\r\n") || !ReadLine(&line)) return false;
  if (line.rfind("RESERVED ", 0) != 0) return false;
  unsigned long long id = 0;
  size_t bytes = 0;
  if (std::sscanf(line.c_str(), "RESERVED %llu %zu", &id, &bytes) != 2) return false;
  if (!ReadN(bytes + 2)) return false;
  if (!WriteAll("delete " + std::to_string(id) + "\r\n") || !ReadLine(&line)) return false;
  return line == "DELETED";
}

}  // namespace lts::bench
