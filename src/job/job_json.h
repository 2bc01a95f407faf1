// Job <-> nlohmann::json values, for messages that embed a job (protocol/, admin/).
// Job::ToJson / Job::FromJson are these plus serialisation and the input limits.

#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "lts/job.h"
#include "lts/statusor.h"

namespace lts {

enum class JobJsonForm {
  kFull,     // Every field (Job::ToJson, what users and the console see).
  kCompact,  // Fields at their default value left out (the wire: JobFromJsonValue reads
             // an absent field as its default, so both forms read back the same Job).
};

// The JSON object of `job` (field names as in Java LTS; include/lts/job.h).
nlohmann::json JobToJsonValue(const Job& job, JobJsonForm form = JobJsonForm::kFull);
// Reads and validates a job object; errors name "<prefix>.<field>". The caller has
// checked size and depth limits of the text it parsed.
StatusOr<Job> JobFromJsonValue(const nlohmann::json& value, std::string_view prefix);

}  // namespace lts
