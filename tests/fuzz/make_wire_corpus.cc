// Writes the fuzz seeds (wire_seeds.h) into a corpus directory:
//   make_wire_corpus tests/fuzz/corpus/wire
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/fuzz/wire_seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_wire_corpus DIR\n");
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  for (const auto& [name, input] : rl::wire::fuzz::seed_inputs()) {
    std::ofstream(std::filesystem::path(argv[1]) / ("seed-" + name), std::ios::binary) << input;
  }
  return 0;
}
