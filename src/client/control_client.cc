// ControlClient (client/control_client.h).

#include "client/control_client.h"

#include <fmt/format.h>

#include "rpc/command.h"

namespace lts::client {

ControlClient::ControlClient(Options options) : options_(std::move(options)) {}

ControlClient::~ControlClient() { Stop(); }

Status ControlClient::Start(std::chrono::milliseconds connect_timeout) {
  if (links_ != nullptr) return FailedPrecondition("ControlClient: started twice");
  // Not registered: an operator tool is not a node of the cluster.
  links_ = std::make_unique<node::JobTrackerLinks>(MakeLinksOptions(options_.links));
  if (Status s = links_->Start(); !s.ok()) {
    links_->Stop();
    links_.reset();
    return s;
  }
  if (!links_->WaitReady(connect_timeout)) {
    return Unavailable(fmt::format("no JobTracker reachable at {} within {} ms", target(),
                                   connect_timeout.count()));
  }
  return Status::Ok();
}

void ControlClient::Stop() {
  if (links_ == nullptr) return;
  links_->Stop();
  links_.reset();
}

StatusOr<nlohmann::json> ControlClient::Call(uint16_t command, const nlohmann::json& body) {
  if (links_ == nullptr) return FailedPrecondition("ControlClient: not started");
  LTS_ASSIGN_OR_RETURN(std::string encoded, protocol::EncodeJson(body, rpc::BodyFormat::kJson));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       links_->CallSync(command, std::move(encoded), options_.call_timeout));
  StatusOr<nlohmann::json> decoded = protocol::DecodeJson(response.body, response.format);
  if (!decoded.ok()) {
    return Internal(fmt::format("malformed {} response from the JobTracker: {}",
                                rpc::CommandName(command), decoded.status().message()));
  }
  if (!decoded->is_object()) {
    return Internal(
        fmt::format("malformed {} response from the JobTracker: expected a JSON "
                    "object, got {}",
                    rpc::CommandName(command), decoded->type_name()));
  }
  return decoded;
}

StatusOr<protocol::ControlResponse> ControlClient::CallControl(uint16_t command,
                                                               const nlohmann::json& body) {
  LTS_ASSIGN_OR_RETURN(nlohmann::json answer, Call(command, body));
  StatusOr<protocol::ControlResponse> response = protocol::ControlResponse::FromJson(answer);
  if (!response.ok()) {
    return Internal(fmt::format("malformed {} response from the JobTracker: {}",
                                rpc::CommandName(command), response.status().message()));
  }
  return response;
}

StatusOr<protocol::ControlResponse> ControlClient::Control(
    const protocol::ControlRequest& request) {
  return CallControl(rpc::ToWire(rpc::Command::kJobControl), request.ToJson());
}

StatusOr<nlohmann::json> ControlClient::Query(const protocol::QueryRequest& request) {
  return Call(rpc::ToWire(rpc::Command::kJobQuery), request.ToJson());
}

StatusOr<protocol::ControlResponse> ControlClient::Cancel(const protocol::JobKey& key) {
  return CallControl(rpc::ToWire(rpc::Command::kCancelJob), key.ToJson());
}

}  // namespace lts::client
