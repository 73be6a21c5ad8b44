// Range checks for numeric options. CLI11's PositiveNumber and NonNegativeNumber
// report a failure as a range up to the largest double (a 300-digit number); these
// name the rule instead.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace bcd::cli {

inline CLI::Validator number_check(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        if (allow_zero ? value >= 0 : value > 0) return "";
        return text + (allow_zero ? " is negative" : " is not positive");
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}
inline const CLI::Validator positive = number_check(false);
inline const CLI::Validator non_negative = number_check(true);

}  // namespace bcd::cli
