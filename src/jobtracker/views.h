// The JSON views of stored jobs and logs that JOB_QUERY answers with (and the Admin
// HTTP API will serve): docs/job_protocol.md lists their fields.

#pragma once

#include <nlohmann/json.hpp>

#include "lts/statusor.h"
#include "protocol/messages.h"
#include "store/job_store.h"

namespace lts::jobtracker {

// {"job": <Job>, "jobId", "queue", "retryTimes", "repeatedCount", "triggerTime",
//  "taskTracker", "jobTracker", "startedAt", "gmtCreated", "gmtModified"}.
nlohmann::json JobView(const store::JobRecord& rec, std::string_view queue);

// Runs a query against the store. Errors: kInvalidArgument naming an unknown queue or
// for kStats (the JobTracker answers it from memory); the store's.
StatusOr<nlohmann::json> RunQuery(store::JobStore* store, const protocol::QueryRequest& query);

}  // namespace lts::jobtracker
