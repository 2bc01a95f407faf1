// What `lts submit` and `lts job` share: how they reach a cluster, how they read and print
// times, and how they print values of a JobTracker's JSON answers without trusting them.
//
// Thread safety: pure functions.

#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/node_flags.h"
#include "client/links.h"
#include "lts/statusor.h"

namespace lts::cli {

// The links settings of resolved node flags (registry or --jobtracker, secret).
client::LinkSettings LinkSettingsFrom(const NodeFlags& flags, std::string_view identity);

// Epoch milliseconds ("1795514400000") or ISO-8601 with a zone
// ("2026-11-24T10:00:00Z", "2026-11-24T11:00:00.250+01:00"). Errors: kInvalidArgument
// saying which forms are accepted.
StatusOr<int64_t> ParseTimeMs(std::string_view text);
// "2026-11-24T10:00:00.250Z" (milliseconds shown only when not zero).
std::string FormatTimeMs(int64_t ms);

// A cell for a table: strings as they are, numbers as numbers, null/missing as "",
// anything else as compact JSON. Never throws.
std::string JsonCell(const nlohmann::json& object, std::string_view key);
// A time cell: an epoch-ms number as FormatTimeMs (0 or missing as ""), else JsonCell.
std::string TimeCell(const nlohmann::json& object, std::string_view key);

}  // namespace lts::cli
