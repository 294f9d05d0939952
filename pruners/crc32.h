// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zlib's
// crc32 and Python's binascii.crc32: Hyperband assigns trials to brackets
// with it, as Optuna does. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace gdsweep {

uint32_t Crc32(std::string_view bytes);

}  // namespace gdsweep
