// Base64 as kubeconfig files and HTTP Basic credentials write it.
#include "sweeper/model/base64.h"

#include <doctest/doctest.h>

namespace gdsweep {
namespace {

TEST_CASE("base64 encodes with padding, RFC 4648's test vectors") {
  CHECK(EncodeBase64("") == "");
  CHECK(EncodeBase64("f") == "Zg==");
  CHECK(EncodeBase64("fo") == "Zm8=");
  CHECK(EncodeBase64("foo") == "Zm9v");
  CHECK(EncodeBase64("foob") == "Zm9vYg==");
  CHECK(EncodeBase64("fooba") == "Zm9vYmE=");
  CHECK(EncodeBase64("foobar") == "Zm9vYmFy");
  CHECK(EncodeBase64(std::string("\0\xff\xfe", 3)) == "AP/+");
}

TEST_CASE("base64 decodes what it encodes, across line breaks, and refuses what is not") {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\x01\xff\n";
  CHECK(DecodeBase64(EncodeBase64(pem)) == pem);
  CHECK(DecodeBase64("Zm9v\nYmFy\n") == "foobar");
  CHECK(DecodeBase64("Zm9vYg==") == "foob");
  CHECK(DecodeBase64("") == "");
  CHECK_FALSE(DecodeBase64("Zm9v!mFy").has_value());
  CHECK_FALSE(DecodeBase64("Zm9vYg=x").has_value());
}

}  // namespace
}  // namespace gdsweep
