// The beanstalkd side of bench_e2e: a beanstalkd started with its binlog and fsync on
// every write (-b dir -f 0), and a raw text-protocol client (put / reserve / delete), so the
// peer runs the same no-op workload as LTS in the same run.

#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lts::bench {

class Beanstalkd {
 public:
  // Starts /usr/bin/beanstalkd on 127.0.0.1:`port` with binlog in `dir`, fsync on every
  // write. Empty error on success.
  std::string Start(const std::string& dir, uint16_t port);
  ~Beanstalkd();
  void Stop();
  uint16_t port() const { return port_; }
  std::string version() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// One connection speaking the text protocol.
class BeanstalkClient {
 public:
  ~BeanstalkClient();
  // Empty on success, else what failed.
  std::string Connect(uint16_t port);
  // Sends `count` puts of `body` and reads their replies; pipelined: all sent, then all
  // read. Returns the number of INSERTED replies.
  int64_t PutMany(const std::string& body, int count, bool pipelined);
  // reserve-with-timeout 1 then delete; false when the timeout expired.
  bool ReserveDelete();

 private:
  bool WriteAll(const std::string& data);
  bool ReadLine(std::string* line);
  bool ReadN(size_t n);

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace lts::bench
