// nmflow plot: PNGs of an nmflow HDF5 file, drawn by tools/plot_run.py (which dispatches on the file's `kind`
// attribute) with the first Python that has h5py and matplotlib: --python, $NMFLOW_PYTHON, a .venv next to the
// executable or one of its parent folders, the source tree's .venv (recorded at configure time), python3 on PATH.
// The script is <tools>/plot_run.py, <tools> = $NMFLOW_TOOLS_DIR or the source tree's tools/.
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"

extern char** environ;

namespace nmflow::cli {
namespace {

struct PlotOptions {
  std::string file;
  std::string output_dir;
  std::string python;
};

struct ProcessResult {
  bool started = false;
  std::string spawn_error;  // why it did not start
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up on PATH when it has no '/') with the given arguments, collecting stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv) {
  ProcessResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    result.spawn_error = std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int status = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (status != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.spawn_error = std::strerror(status);
    return result;
  }
  result.started = true;
  // Both pipes are drained together, so a child filling one of them never blocks.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  while (open_pipes > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = read(fds[k].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[k]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open_pipes;
      }
    }
  }
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The interpreters to try, in order, without duplicates.
std::vector<std::string> python_candidates(const PlotOptions& o) {
  if (!o.python.empty()) return {o.python};
  std::vector<std::string> candidates;
  const auto add = [&](const std::string& path) {
    if (!path.empty() && !contains(candidates, path)) candidates.push_back(path);
  };
  if (const char* env = std::getenv("NMFLOW_PYTHON")) add(env);
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    // A build folder inside the source tree (build/apps/nmflow/nmflow) finds the tree's .venv here.
    for (std::filesystem::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      const std::filesystem::path venv_python = dir / ".venv" / "bin" / "python";
      if (std::filesystem::exists(venv_python, error)) add(venv_python.string());
      if (dir == dir.root_path()) break;
    }
  }
  add(std::string(NMFLOW_SOURCE_DIR) + "/.venv/bin/python");
  add("python3");
  return candidates;
}

// The first candidate that imports h5py and matplotlib; throws UsageError naming every candidate and why it failed.
std::string find_python(const PlotOptions& o) {
  std::vector<std::string> tried;
  for (const std::string& python : python_candidates(o)) {
    if (python.find('/') != std::string::npos && !std::filesystem::exists(python)) {
      tried.push_back(python + " (does not exist)");
      continue;
    }
    const ProcessResult check = run_process({python, "-c", "import h5py, matplotlib"});
    if (check.started && check.exit_code == 0) return python;
    const std::vector<std::string> err = lines_of(check.err);
    tried.push_back(python + " (" + (!check.started ? check.spawn_error : err.empty() ? "exit code " +
                                     std::to_string(check.exit_code) : err.back()) + ")");
  }
  throw UsageError("no Python with h5py and matplotlib found; tried: " + join(tried, ", ") +
                   ". Install them (pip install h5py matplotlib, or apt install python3-h5py python3-matplotlib) "
                   "or name an interpreter with --python PATH or NMFLOW_PYTHON");
}

std::string plot_script() {
  const char* env = std::getenv("NMFLOW_TOOLS_DIR");
  const std::string tools = env != nullptr && *env != '\0' ? env : NMFLOW_TOOLS_DIR;
  const std::string script = tools + "/plot_run.py";
  if (!std::filesystem::exists(script)) {
    throw UsageError("plot script '" + script + "' does not exist; set NMFLOW_TOOLS_DIR to the folder holding "
                     "nmflow's tools/plot_run.py");
  }
  return script;
}

void run_plot(const PlotOptions& o) {
  const std::string script = plot_script();
  const std::string python = find_python(o);
  std::vector<std::string> argv{python, script, o.file};
  if (!o.output_dir.empty()) {
    argv.push_back("--out");
    argv.push_back(o.output_dir);
  }
  const ProcessResult plot = run_process(argv);
  if (!plot.started) throw UsageError(python + ": cannot start: " + plot.spawn_error);
  if (plot.exit_code != 0) {
    // plot_run.py reports a bad file as one line (sys.exit); anything else is a failure of the script.
    const std::vector<std::string> err = lines_of(plot.err);
    if (err.empty()) throw UsageError(fmt::format("{} exited with code {}", script, plot.exit_code));
    throw UsageError(err.back().rfind("plot_run: ", 0) == 0 ? err.back() : script + " failed: " + err.back());
  }
  const std::vector<std::string> written = lines_of(plot.out);
  fmt::print("nmflow plot: {} ({} with {})\n", o.file, script, python);
  for (const std::string& png : written) fmt::print("wrote {}\n", png);
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto options = std::make_shared<PlotOptions>();
  CLI::App* command = app.add_subcommand(
      "plot",
      "PNG plots of an nmflow HDF5 file (run, check local-ricci, ntk, Calabi–Yau runs) via tools/plot_run.py");
  command->add_option("file", options->file, "HDF5 file written by nmflow")->required()->check(CLI::ExistingFile);
  command->add_option("-o,--output", options->output_dir, "Folder for the PNGs (default: the file's folder)");
  command->add_option("--python", options->python,
                      "Python with h5py and matplotlib (default: $NMFLOW_PYTHON, the project's .venv, python3)");
  command->footer("The script is $NMFLOW_TOOLS_DIR/plot_run.py, by default " NMFLOW_TOOLS_DIR "/plot_run.py.");
  command->callback([options] { run_plot(*options); });
}

}  // namespace nmflow::cli
