// The main functions of the training programs, in a library of their own
// (rl_train_main) so that the programs themselves are one line and need no
// torch headers (examples/train_ppo.cc, examples/train_impala.cc, examples/train_appo.cc).
#pragma once

namespace rl {

int train_ppo_main(int argc, char** argv);
int train_impala_main(int argc, char** argv);
int train_appo_main(int argc, char** argv);

}  // namespace rl
