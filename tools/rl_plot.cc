// rl_plot: learning curves of run directories as a PNG, through gnuplot.
//
//   rl_plot RUN_DIR... -o curves.png [--title TEXT] [--width 1400 --height 500] [--by KEY]
//
// Reads each run's metrics.csv (episode_return_mean against env_steps and
// wall_seconds) and summary.json or config.yaml (for its label). Runs with
// the same algorithm and env (and the same value of --by's summary key) are
// seeds of one curve: the mean over seeds is
// drawn with the band from the lowest to the highest seed, on a common grid
// up to the shortest run. Two panels: return against env steps and against
// wall time.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "rl/runtime/cli.h"
#include "rl/runtime/csv_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Curve {
  std::vector<double> steps, seconds, returns;
};

Curve read_curve(const fs::path& run) {
  const fs::path csv = run / "metrics.csv";
  const std::optional<rl::CsvTable> table = rl::read_csv(csv);
  if (!table) throw std::runtime_error(csv.string() + " does not exist or cannot be read (is " + run.string() + " a run directory?)");
  if (table->header.empty()) throw std::runtime_error(csv.string() + " is empty");
  auto column = [&](const std::string& name) {
    const std::optional<size_t> index = rl::csv_column_index(*table, name);
    if (!index) throw std::runtime_error(csv.string() + " has no column " + name);
    return *index;
  };
  const size_t steps = column("env_steps"), seconds = column("wall_seconds"), ret = column("episode_return_mean");
  Curve curve;
  for (const std::vector<std::string>& cells : table->rows) {
    if (cells.size() <= std::max({steps, seconds, ret}) || cells[ret].empty()) continue;
    const double r = std::strtod(cells[ret].c_str(), nullptr);
    if (!std::isfinite(r)) continue;
    curve.steps.push_back(std::strtod(cells[steps].c_str(), nullptr));
    curve.seconds.push_back(std::strtod(cells[seconds].c_str(), nullptr));
    curve.returns.push_back(r);
  }
  if (curve.steps.empty()) throw std::runtime_error(csv.string() + " has no episode returns yet");
  return curve;
}

// "ppo HalfCheetah-v5" from summary.json, else from config.yaml, else the
// folder name; with `by` (a key of summary.json, such as actors), " actors=8".
std::string label_of(const fs::path& run, const std::string& by) {
  try {
    if (fs::exists(run / "summary.json")) {
      std::ifstream in(run / "summary.json");
      const nlohmann::json summary = nlohmann::json::parse(in);
      std::string label = summary.at("algorithm").get<std::string>() + " " + summary.at("env").get<std::string>();
      if (!by.empty()) {
        if (!summary.contains(by)) {
          throw std::invalid_argument((run / "summary.json").string() + " has no key '" + by + "' for --by");
        }
        label += " " + by + "=" + summary.at(by).dump();
      }
      return label;
    }
    if (fs::exists(run / "config.yaml")) {
      const YAML::Node config = YAML::LoadFile((run / "config.yaml").string());
      const std::string algorithm = config["impala"] ? "impala" : config["appo"] ? "appo" : "ppo";
      return algorithm + " " + config["run"]["env"].as<std::string>();
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception&) {
    // fall through to the folder name
  }
  return fs::absolute(run).lexically_normal().filename().string();
}

// Linear interpolation of (x, y) at `at` (x increasing).
double interpolate(const std::vector<double>& x, const std::vector<double>& y, double at) {
  if (at <= x.front()) return y.front();
  if (at >= x.back()) return y.back();
  const size_t i = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), at) - x.begin());
  const double t = (at - x[i - 1]) / std::max(x[i] - x[i - 1], 1e-12);
  return y[i - 1] + t * (y[i] - y[i - 1]);
}

// Mean, min and max over the curves on a grid up to the shortest one.
void write_band(const std::vector<Curve>& curves, bool by_seconds, const fs::path& file) {
  double end = 1e300;
  for (const Curve& c : curves) end = std::min(end, by_seconds ? c.seconds.back() : c.steps.back());
  std::ofstream out(file);
  constexpr int kPoints = 200;
  for (int p = 0; p <= kPoints; ++p) {
    const double at = end * p / kPoints;
    double sum = 0, lo = 1e300, hi = -1e300;
    for (const Curve& c : curves) {
      const double v = interpolate(by_seconds ? c.seconds : c.steps, c.returns, at);
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    out << at << ' ' << sum / double(curves.size()) << ' ' << lo << ' ' << hi << '\n';
  }
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rl_plot: learning curves (return against env steps and wall time) of run directories"};
  std::vector<std::string> runs;
  std::string output, title = "Learning curves";
  int width = 1400, height = 500;
  std::string by;
  app.add_option("runs", runs, "Run directories (runs of one algorithm and env are seeds of one curve)")
      ->required();
  app.add_option("-o,--output", output, "PNG file to write")->required();
  app.add_option("--title", title, "Title of the figure");
  app.add_option("--width", width, "Width in pixels")->check(CLI::PositiveNumber);
  app.add_option("--height", height, "Height in pixels")->check(CLI::PositiveNumber);
  app.add_option("--by", by, "A key of summary.json (actors, learners, seed...) that makes curves of their own");
  rl::cli::add_version(app, "rl_plot", [] { return std::string("no compute path (draws curves with gnuplot)"); });
  if (auto code = rl::cli::parse(app, argc, argv, "rl_plot")) return *code;

  try {
    std::map<std::string, std::vector<Curve>> groups;
    for (const auto& run : runs) groups[label_of(run, by)].push_back(read_curve(run));

    const fs::path work = fs::temp_directory_path() / ("rl_plot_" + std::to_string(::getpid()));
    fs::create_directories(work);
    std::ostringstream script;
    script << "set terminal pngcairo size " << width << "," << height << " noenhanced font 'sans,10'\n"
           << "set output " << quoted(output) << "\n"
           << "set multiplot layout 1,2 title " << quoted(title) << "\n"
           << "set grid\nset key bottom right\nset ylabel 'episode return (mean of the last 100)'\n";
    int index = 0;
    std::vector<std::string> plots[2];
    for (const auto& [label, curves] : groups) {
      for (int panel = 0; panel < 2; ++panel) {
        const fs::path data = work / ("curve" + std::to_string(index) + "_" + std::to_string(panel) + ".dat");
        write_band(curves, panel == 1, data);
        const std::string name = label + " (" + std::to_string(curves.size()) + (curves.size() == 1 ? " run)" : " seeds)");
        plots[panel].push_back(quoted(data.string()) + " using 1:3:4 with filledcurves fs transparent solid 0.2 noborder lc " +
                               std::to_string(index + 1) + " notitle");
        plots[panel].push_back(quoted(data.string()) + " using 1:2 with lines lw 2 lc " + std::to_string(index + 1) +
                               " title " + quoted(name));
      }
      ++index;
    }
    for (int panel = 0; panel < 2; ++panel) {
      script << "set xlabel '" << (panel == 0 ? "env steps" : "wall time (s)") << "'\nplot ";
      for (size_t i = 0; i < plots[panel].size(); ++i) script << (i ? ", \\\n     " : "") << plots[panel][i];
      script << "\n";
    }
    script << "unset multiplot\n";
    const fs::path script_file = work / "plot.gp";
    std::ofstream(script_file) << script.str();
    const std::string command = "gnuplot " + quoted(script_file.string()) + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string messages;
    char buffer[512];
    while (pipe && std::fgets(buffer, sizeof(buffer), pipe)) messages += buffer;
    const int status = pipe ? pclose(pipe) : -1;
    fs::remove_all(work);
    if (status != 0) {
      throw std::runtime_error("gnuplot failed (is the Debian package gnuplot-nox installed?): " + messages);
    }
    std::cout << "rl_plot: wrote " << output << " (" << groups.size() << " curve(s) from " << runs.size()
              << " run(s))\n";
  } catch (const std::exception& e) {
    rl::cli::report_error("rl_plot", e.what());
    return rl::cli::kUsage;
  }
  return 0;
}
