// Run identifiers: sortable UTC start time plus a random suffix,
// e.g. 20250117T101502Z-3f9a.
#pragma once

#include <string>

namespace soi {
std::string new_run_id();
}
