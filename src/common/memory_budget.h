#pragma once
// Requests that cannot fit are refused before any work, with what would fit: a run or a sample whose arrays alone
// exceed the memory this machine has left would otherwise die in the allocator after minutes of work (or take the
// machine into swap). The estimates are lower bounds — the arrays a request must hold at once — so a refusal is
// certain, and a request that passes may still need more for temporaries.
#include <cstdint>
#include <string>

namespace nmflow {

// Bytes this process may still allocate: MemAvailable of /proc/meminfo on Linux, else the free physical pages;
// NMFLOW_MEMORY_LIMIT (bytes, e.g. for tests and shared machines) caps it.
double available_memory_bytes();

// Throws nmflow::Error when `items` × `bytes_per_item` exceeds available_memory_bytes() (requests under 256 MB are
// taken to fit without asking):
//   "<what>: <items> <item_name> need at least 12.3 GB (<bytes_per_item> bytes each), but 22.1 GB is available;
//    at most <N> fit<advice>"
void check_memory_fits(const std::string& what, double items, double bytes_per_item, const std::string& item_name,
                       const std::string& advice = "");

// "12.3 GB", "512 MB", "1.5 PB" (powers of 1000).
std::string format_bytes(double bytes);

}  // namespace nmflow
