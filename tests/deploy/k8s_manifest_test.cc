// The Kubernetes base (deploy/k8s/base) and its local-image overlay
// rendered offline with `kubectl kustomize` and checked against the
// programs and against what a cluster does to them: the Service's ports are
// the ones the learners bind (control, +1, +2) and the rendezvous port the
// ranks use; the learner group is an Indexed Job whose rank, WORLD_SIZE,
// completions and MASTER_ADDR all follow its parallelism and pods; a rank
// restarted or rescheduled resumes (--resume-if-any) and a finished run
// completes instead of restarting; both Jobs have resources, the learner
// probes; the actors point at rank 0 through the Service; the image is a
// value the overlay replaces; and both commands are accepted by
// train_impala itself (--print-config). No cluster runs here: skipped, with
// the reason, where kubectl is missing.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/util/run_program.h"

namespace {

namespace fs = std::filesystem;
using rl::testing::run_program;

std::vector<YAML::Node> render(const std::string& dir = "base") {
  const auto out = run_program("kubectl", "kustomize " RL_SOURCE_DIR "/deploy/k8s/" + dir);
  EXPECT_EQ(out.status, 0) << out.text;
  std::vector<YAML::Node> docs = YAML::LoadAll(out.text);
  return docs;
}

YAML::Node find(const std::vector<YAML::Node>& docs, const std::string& kind, const std::string& name = "") {
  for (const auto& doc : docs) {
    if (doc["kind"] && doc["kind"].as<std::string>() == kind &&
        (name.empty() || doc["metadata"]["name"].as<std::string>() == name)) {
      return doc;
    }
  }
  ADD_FAILURE() << "no " << kind << " " << name << " in the rendered base";
  return YAML::Node();
}

int port_named(const YAML::Node& ports, const std::string& name) {
  for (const auto& p : ports) {
    if (p["name"].as<std::string>() == name) return p["port"] ? p["port"].as<int>() : p["containerPort"].as<int>();
  }
  ADD_FAILURE() << "no port named " << name;
  return -1;
}

std::string env_value(const YAML::Node& container, const std::string& name) {
  for (const auto& e : container["env"]) {
    if (e["name"].as<std::string>() == name && e["value"]) return e["value"].as<std::string>();
  }
  return "";
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Shell words joined for run_program, with the pod's paths made local.
std::string command_line(std::vector<std::string> args, const fs::path& keys) {
  auto replace_all = [](std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  std::string out;
  for (auto& a : args) {
    replace_all(a, "/keys/", keys.string() + "/");
    replace_all(a, "$(POD_IP)", "10.1.2.3");
    replace_all(a, "/runs/", keys.string() + "/runs/");
    out += " '" + a + "'";
  }
  return out;
}

TEST(K8sManifestTest, TheBaseAgreesWithThePrograms) {
  if (std::system("kubectl version --client > /dev/null 2>&1") != 0) GTEST_SKIP() << "kubectl is not installed";
  const auto docs = render();
  const YAML::Node service = find(docs, "Service"), learners = find(docs, "Job", "rl-learner"),
                   actors = find(docs, "Job", "rl-actor"), volume = find(docs, "PersistentVolumeClaim");
  ASSERT_TRUE(service && learners && actors && volume);

  // Headless, with the learner's three ports and the rendezvous port.
  EXPECT_EQ(service["spec"]["clusterIP"].as<std::string>(), "None");
  const int control = port_named(service["spec"]["ports"], "control");
  EXPECT_EQ(port_named(service["spec"]["ports"], "unrolls"), control + 1);
  EXPECT_EQ(port_named(service["spec"]["ports"], "weights"), control + 2);
  const int rendezvous = port_named(service["spec"]["ports"], "rendezvous");

  // The learner group: an Indexed Job; the rank from the completion index,
  // WORLD_SIZE and the completions from its parallelism; rank 0's stable
  // name from the Job's name and its pods' subdomain (the Service).
  const YAML::Node pod = learners["spec"]["template"]["spec"];
  const YAML::Node learner = pod["containers"][0];
  const std::string script = learner["args"][0].as<std::string>();
  const int ranks = learners["spec"]["parallelism"].as<int>();
  EXPECT_EQ(learners["spec"]["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(learners["spec"]["completions"].as<int>(), ranks);
  EXPECT_EQ(env_value(learner, "WORLD_SIZE"), std::to_string(ranks));
  EXPECT_NE(script.find("RANK=$JOB_COMPLETION_INDEX"), std::string::npos) << script;
  EXPECT_EQ(pod["subdomain"].as<std::string>(), service["metadata"]["name"].as<std::string>());
  EXPECT_EQ(env_value(learner, "MASTER_ADDR"),
            learners["metadata"]["name"].as<std::string>() + "-0." + service["metadata"]["name"].as<std::string>());
  EXPECT_EQ(env_value(learner, "MASTER_PORT"), std::to_string(rendezvous));
  EXPECT_EQ(port_named(learner["ports"], "control"), control);
  EXPECT_NE(script.find("--bind tcp://*:" + std::to_string(control)), std::string::npos) << script;
  // A restarted or rescheduled rank resumes; a finished run completes.
  EXPECT_NE(script.find("--resume-if-any"), std::string::npos) << script;
  EXPECT_EQ(pod["restartPolicy"].as<std::string>(), "OnFailure");
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].as<std::string>(),
            volume["metadata"]["name"].as<std::string>());
  EXPECT_TRUE(learner["readinessProbe"]["tcpSocket"]) << "the learner has no readiness probe";
  EXPECT_TRUE(learner["livenessProbe"]["tcpSocket"]) << "the learner has no liveness probe";
  for (const YAML::Node& container : {learner, actors["spec"]["template"]["spec"]["containers"][0]}) {
    EXPECT_TRUE(container["resources"]["requests"]["cpu"] && container["resources"]["requests"]["memory"]);
    EXPECT_TRUE(container["resources"]["limits"]["memory"]);
  }

  // The actor hosts: a Job whose pods complete when the learners stop them.
  const YAML::Node actor = actors["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(actors["spec"]["completions"].as<int>(), actors["spec"]["parallelism"].as<int>());
  EXPECT_EQ(actors["spec"]["template"]["spec"]["restartPolicy"].as<std::string>(), "OnFailure");
  std::vector<std::string> actor_args;
  for (const auto& a : actor["args"]) actor_args.push_back(a.as<std::string>());
  const std::string rank0 = "tcp://" + env_value(learner, "MASTER_ADDR") + ":" + std::to_string(control);
  EXPECT_NE(std::find(actor_args.begin(), actor_args.end(), rank0), actor_args.end()) << rank0;
  // Both read their keys from the same Secret.
  EXPECT_EQ(pod["volumes"][1]["secret"]["secretName"].as<std::string>(),
            actors["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"].as<std::string>());

  // The image is a value: the base names a registry's, the local overlay
  // the one deploy/build-image.sh builds, never pulled.
  EXPECT_EQ(learner["image"].as<std::string>(), actor["image"].as<std::string>());
  const auto local = render("overlays/local");
  for (const char* name : {"rl-learner", "rl-actor"}) {
    const YAML::Node c = find(local, "Job", name)["spec"]["template"]["spec"]["containers"][0];
    EXPECT_EQ(c["image"].as<std::string>(), "rl:latest") << name;
    EXPECT_EQ(c["imagePullPolicy"].as<std::string>(), "Never") << name;
  }

  // The programs accept both command lines (keys made here with rl_keygen).
  const fs::path keys = fs::temp_directory_path() / ("rl_k8s_test_" + std::to_string(::getpid()));
  fs::remove_all(keys);
  for (const char* name : {"learner", "actor"}) {
    const auto made = run_program(RL_KEYGEN, "--out " + keys.string() + " --name " + name);
    ASSERT_EQ(made.status, 0) << made.text;
  }
  fs::copy_file(keys / "actor.pub", keys / "authorized");
  const std::vector<std::string> learner_words = words(script.substr(script.find("exec ") + 5));
  ASSERT_EQ(learner_words.front(), "train_impala");
  const auto learner_check = run_program(
      TRAIN_IMPALA, command_line({learner_words.begin() + 1, learner_words.end()}, keys) + " --print-config");
  EXPECT_EQ(learner_check.status, 0) << learner_check.text;
  EXPECT_NE(learner_check.text.find("advertise_host: 10.1.2.3"), std::string::npos) << learner_check.text;
  ASSERT_EQ(actor_args.front(), "train_impala");
  const auto actor_check =
      run_program(TRAIN_IMPALA, command_line({actor_args.begin() + 1, actor_args.end()}, keys) + " --print-config");
  EXPECT_EQ(actor_check.status, 0) << actor_check.text;
  EXPECT_NE(actor_check.text.find("actors: 4"), std::string::npos) << actor_check.text;
  fs::remove_all(keys);
}

}  // namespace
