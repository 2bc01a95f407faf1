// The `body` column of job rows: a JobRecord's Job, real_task_id and internal
// parameters in a compact binary form (varints and length-prefixed bytes, base/coding.h),
// so every string comes back byte for byte and decoding needs no JSON parser.
// Format (docs/store.md): a version byte (1), then the fields in declaration order.
//
// Thread safety: plain functions.

#pragma once

#include <string>
#include <string_view>

#include "lts/status.h"
#include "store/job_store.h"

namespace lts::store::internal {

// Appends the body of `record` to `*out`.
void EncodeJobBody(const JobRecord& record, std::string* out);

// Fills record->job, real_task_id and internal_params. kCorruption on a malformed body.
Status DecodeJobBody(std::string_view body, JobRecord* record);

}  // namespace lts::store::internal
