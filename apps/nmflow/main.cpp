// nmflow: the command-line front end. Subcommands are thin: they parse, call the library, and report.
// Exit codes (docs/cli.md): 0 success; 2 a bad option value or an error nmflow's library reports (one line
// "nmflow: error: …"); 3 a run that diverged (nmflow::RunDiverged); 1 an unexpected failure (also one line).
#include <c10/util/Exception.h>
#include <fmt/core.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"
#include "common/cpu_targets.h"
#include "common/error.h"
#include "io/run_status.h"

namespace {

// Error messages are printed on one line whatever the library put in them, as a failed run's file records them.
int fail(const std::string& message, int code) {
  fmt::print(stderr, "nmflow: error: {}\n", nmflow::one_line(message));
  return code;
}

int fail(const std::exception& error, int code) {
  fmt::print(stderr, "nmflow: error: {}\n", nmflow::run_failure_message(error));
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  const nmflow::cli::Invocation invocation{nmflow::cli::quote_command_line(argc, argv),
                                           std::chrono::system_clock::now()};
  CLI::App app{"nmflow — neural-network metric flows"};
  app.name("nmflow");
  app.require_subcommand(1);
  nmflow::cli::add_info_command(app);
  nmflow::cli::add_sample_command(app, invocation);
  nmflow::cli::add_curvature_command(app, invocation);
  nmflow::cli::add_run_command(app, invocation);
  nmflow::cli::add_config_command(app);
  nmflow::cli::add_check_command(app, invocation);
  nmflow::cli::add_ntk_command(app, invocation);
  nmflow::cli::add_bench_command(app);
  nmflow::cli::add_plot_command(app);
  try {
    nmflow::cpu_x86_64_level();  // a bad NMFLOW_CPU_LEVEL is reported here, before any work
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help (and --help-all) arrive as "successful" parse errors; CLI11 prints the right help text.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);
    }
    if (app.get_subcommands().empty()) {
      // No subcommand was recognised: say which ones exist (and which word was not one).
      std::vector<std::string> names;
      for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
        names.push_back(command->get_name());
      }
      const std::string allowed = "; allowed: " + nmflow::cli::join(names, ", ");
      if (argc > 1 && argv[1][0] != '-') {
        return fail(std::string("unknown subcommand '") + argv[1] + "'" + allowed, 2);
      }
      return fail(e.what() + allowed, 2);
    }
    return fail(e, 2);
  } catch (const nmflow::cli::UsageError& e) {
    return fail(e, 2);
  } catch (const nmflow::RunDiverged& e) {
    return fail(e, nmflow::kExitDiverged);
  } catch (const nmflow::Error& e) {
    return fail(e, 2);
  } catch (const std::exception& e) {  // LibTorch's c10::Error included: without its backtrace
    return fail(e, 1);
  }
  return 0;
}
