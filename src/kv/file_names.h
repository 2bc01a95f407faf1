// Names of ltsdb's numbered files: "<prefix><zero-padded decimal><suffix>", e.g.
// seg-0000000042.log and ckpt-00000000000000004711.idx (docs/kv_format.md).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lts::kv {

std::string NumberedFileName(std::string_view prefix, uint64_t number, int digits,
                             std::string_view suffix);
// The number in `name`, or 0 if `name` does not have exactly that shape.
uint64_t ParseNumberedFileName(std::string_view name, std::string_view prefix, int digits,
                               std::string_view suffix);

}  // namespace lts::kv
