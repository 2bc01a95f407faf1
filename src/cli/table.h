// Aligned text tables for the lts subcommands (`lts nodes`, `lts job list`, ...).
//
// Thread safety: pure functions.

#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace lts::cli {

// Columns are counted in code points so that UTF-8 text lines up (not East Asian wide ones).
size_t DisplayWidth(const std::string& text);

// Prints `rows` (the first is the header) with each column padded to its widest cell plus
// two spaces; trailing spaces are removed.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

}  // namespace lts::cli
