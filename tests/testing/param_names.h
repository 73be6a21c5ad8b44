// Names of parameterized tests made from their parameters: gtest accepts only
// letters, digits and underscores ("squeezenet_v1.1" -> "squeezenet_v1_1").
#pragma once
#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace bcd::testutil {

inline std::string test_identifier(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

// The name generator of INSTANTIATE_TEST_SUITE_P for string parameters.
struct IdentifierOfParam {
  std::string operator()(const ::testing::TestParamInfo<std::string>& info) const {
    return test_identifier(info.param);
  }
};

}  // namespace bcd::testutil
