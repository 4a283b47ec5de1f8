// Numbers read from text a person or a file gave (flags, CSV cells, lists): whole-string parses
// whose errors say what was being read, never a bare "stoll".
#pragma once
#include <cstdint>
#include <string>

namespace easel {

int64_t parse_int(const std::string& text, const std::string& what);     // "12" -> 12; "12x", "" -> error
double parse_number(const std::string& text, const std::string& what);   // "1e-3" -> 0.001; finite only

}  // namespace easel
