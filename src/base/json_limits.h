// Pre-parse limits for JSON from peers and users. nlohmann-json parses recursively and
// has no depth limit, so every JSON entry point calls CheckJsonLimits first: a deep
// "[[[[..." would otherwise overflow the stack.

#pragma once

#include <cstddef>
#include <string_view>

#include "lts/status.h"

namespace lts {

// Returns kInvalidArgument naming `what` if `text` is larger than `max_bytes` or nests
// arrays/objects deeper than `max_depth` (strings are skipped, escapes honoured).
Status CheckJsonLimits(std::string_view text, std::string_view what, size_t max_bytes,
                       int max_depth);

}  // namespace lts
