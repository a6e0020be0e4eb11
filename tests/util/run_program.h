// Runs a program as a user would (through the shell, stdout and stderr
// together) and returns its exit status and output. For tests of the
// command-line programs.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace rl::testing {

struct ProgramOutput {
  int status = 0;    // exit code (-1 if killed by a signal)
  std::string text;  // stdout and stderr together
};

inline ProgramOutput run_program(const std::string& program, const std::string& args) {
  const std::string command = program + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ProgramOutput out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.text.append(buffer.data(), n);
  const int status = pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace rl::testing
