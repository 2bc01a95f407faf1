// bench_registry: the CPU cost of the registry's own work, without a server.
//   NodeEncode / NodeDecode     one record with two attributes, to and from its child name.
//   SnapshotDiff/N              EventHub diffing a list of N nodes in which one node changed
//                               (what every watch, reconnection or reconciliation costs).
//   EmbeddedRegisterToEvent     Register() in one embedded registry until a listener of another
//                               has received the ADD (one event through the listener thread).
// Usage: bench_registry [--benchmark_min_time=0.1]

#include <benchmark/benchmark.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "registry/event_hub.h"
#include "registry/registry.h"

namespace lts::registry {
namespace {

Node SampleNode(int i) {
  Node node;
  node.type = NodeType::kTaskTracker;
  node.cluster = "bench_cluster";
  node.group = "workers";
  node.identity = "TT_10.0.0.5_1234_10-00-00.123_" + std::to_string(i);
  node.ip = "10.0.0.5";
  node.threads = 64;
  node.create_time_ms = 1500000000000;
  node.attributes = {{"hostName", "host-1"}, {"httpCmdPort", "8719"}};
  return node;
}

void NodeEncode(benchmark::State& state) {
  const Node node = SampleNode(1);
  for (auto _ : state) benchmark::DoNotOptimize(node.Encode());
}
BENCHMARK(NodeEncode);

void NodeDecode(benchmark::State& state) {
  const std::string name = *SampleNode(1).Encode();
  for (auto _ : state) benchmark::DoNotOptimize(Node::Decode(name));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * name.size()));
}
BENCHMARK(NodeDecode);

void SnapshotDiff(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<Node> nodes;
  for (int i = 0; i < n; ++i) nodes.push_back(SampleNode(i));
  internal::EventHub hub;  // Not started: events queue up and are dropped with the hub.
  hub.ApplySnapshot(NodeType::kTaskTracker, nodes);
  int round = 0;
  for (auto _ : state) {
    nodes[0].threads = ++round % 2 == 0 ? 64 : 32;
    hub.ApplySnapshot(NodeType::kTaskTracker, nodes);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(SnapshotDiff)->Arg(100)->Arg(1000)->Arg(10000);

void EmbeddedRegisterToEvent(benchmark::State& state) {
  RegistryOptions options;
  options.address = "embedded://bench";
  options.cluster = "bench_cluster";
  auto writer = std::move(*CreateRegistry(options));
  auto reader = std::move(*CreateRegistry(options));
  if (!writer->Start().ok() || !reader->Start().ok()) {
    state.SkipWithError("start failed");
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  int adds = 0;
  if (!reader
           ->Subscribe(NodeType::kTaskTracker,
                       [&](const NodeEvent& event) {
                         if (event.kind != NodeEvent::Kind::kAdd) return;
                         std::lock_guard<std::mutex> lock(mu);
                         ++adds;
                         cv.notify_one();
                       })
           .ok()) {
    state.SkipWithError("subscribe failed");
    return;
  }
  Node node = SampleNode(0);
  int expected = 0;
  for (auto _ : state) {
    node.threads = ++expected;  // A changed record: one REMOVE and one ADD.
    if (!writer->Register(node).ok()) state.SkipWithError("register failed");
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return adds >= expected; });
  }
  reader->Stop();
  writer->Stop();
}
BENCHMARK(EmbeddedRegisterToEvent)->UseRealTime();

}  // namespace
}  // namespace lts::registry

BENCHMARK_MAIN();
