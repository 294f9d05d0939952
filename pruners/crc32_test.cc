// CRC-32 against the standard check value and Python's binascii.crc32.
#include "pruners/crc32.h"

#include <doctest/doctest.h>

namespace gdsweep {

TEST_CASE("CRC-32 matches the standard check value and Python's binascii.crc32") {
  CHECK(Crc32("") == 0u);
  CHECK(Crc32("123456789") == 0xCBF43926u);  // the catalogue's check value
  // binascii.crc32(b"hb-a_0"), binascii.crc32(b"mnist.lr_sweep_17")
  CHECK(Crc32("hb-a_0") == 3055595386u);
  CHECK(Crc32("mnist.lr_sweep_17") == 3978628664u);
}

}  // namespace gdsweep
