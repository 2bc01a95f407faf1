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

namespace {

// A JobTracker's response body as a JSON object.
StatusOr<nlohmann::json> DecodeAnswer(uint16_t command, const rpc::RpcResponse& response) {
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

}  // namespace

StatusOr<nlohmann::json> ControlClient::Call(uint16_t command, const nlohmann::json& body) {
  if (links_ == nullptr) return FailedPrecondition("ControlClient: not started");
  LTS_ASSIGN_OR_RETURN(std::string encoded, protocol::EncodeJson(body, rpc::BodyFormat::kJson));
  LTS_ASSIGN_OR_RETURN(rpc::RpcResponse response,
                       links_->CallSync(command, std::move(encoded), options_.call_timeout));
  return DecodeAnswer(command, response);
}

std::vector<ControlClient::EachAnswer> ControlClient::CallEach(uint16_t command,
                                                               const nlohmann::json& body) {
  std::vector<EachAnswer> out;
  if (links_ == nullptr) return out;
  StatusOr<std::string> encoded = protocol::EncodeJson(body, rpc::BodyFormat::kJson);
  for (const auto& link : links_->ReadyLinks()) {
    EachAnswer each{link->server_address().ToString(), encoded.status()};
    if (encoded.ok()) {
      auto response =
          link->CallSync(command, rpc::BodyFormat::kJson, *encoded, options_.call_timeout);
      each.answer = response.ok() ? DecodeAnswer(command, *response)
                                  : StatusOr<nlohmann::json>(response.status());
    }
    out.push_back(std::move(each));
  }
  return out;
}

std::vector<ControlClient::EachAnswer> ControlClient::QueryEach(
    const protocol::QueryRequest& request) {
  return CallEach(rpc::ToWire(rpc::Command::kJobQuery), request.ToJson());
}

std::vector<ControlClient::EachAnswer> ControlClient::ControlEach(
    const protocol::ControlRequest& request) {
  return CallEach(rpc::ToWire(rpc::Command::kJobControl), request.ToJson());
}

template <typename Response>
StatusOr<Response> ControlClient::CallFor(uint16_t command, const nlohmann::json& body) {
  LTS_ASSIGN_OR_RETURN(nlohmann::json answer, Call(command, body));
  StatusOr<Response> response = Response::FromJson(answer);
  if (!response.ok()) {
    return Internal(fmt::format("malformed {} response from the JobTracker: {}",
                                rpc::CommandName(command), response.status().message()));
  }
  return response;
}

StatusOr<protocol::SubmitResponse> ControlClient::Submit(const protocol::SubmitRequest& request) {
  return CallFor<protocol::SubmitResponse>(rpc::ToWire(rpc::Command::kSubmitJob),
                                           request.ToJson());
}

StatusOr<protocol::ControlResponse> ControlClient::CallControl(uint16_t command,
                                                               const nlohmann::json& body) {
  return CallFor<protocol::ControlResponse>(command, body);
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
