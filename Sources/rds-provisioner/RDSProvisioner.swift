import ArgumentParser
import Foundation

@main
struct RDSProvisioner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rds-provisioner",
        abstract: "Self-service Aurora databases: one request becomes a reviewed Terraform pull request.",
        discussion: "Every option of serve, worker and render can also be set through an environment variable "
            + "RDS_PROVISIONER_<OPTION>, e.g. RDS_PROVISIONER_DATA_DIR for --data-dir. A flag on the command line wins.",
        subcommands: [Serve.self, Worker.self, RequestCommand.self, StatusCommand.self, Render.self, Pulls.self, InitRepo.self])

    static func main() async {
        let arguments = EnvironmentOptions.arguments(
            Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            commands: environmentConfigurable)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// Commands whose options may come from `RDS_PROVISIONER_*` variables.
    static let environmentConfigurable: [String: [String]] = [
        "serve": Serve.environmentOptions,
        "worker": Worker.environmentOptions,
        "render": Render.environmentOptions,
    ]
}

/// `RDS_PROVISIONER_<OPTION>` variables as defaults for long options: one convention for every
/// binary (the Lambda bootstrap reads the same names).
enum EnvironmentOptions {
    static let prefix = "RDS_PROVISIONER_"

    /// `data-dir` → `RDS_PROVISIONER_DATA_DIR`.
    static func variableName(forOption option: String) -> String {
        prefix + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Appends `--option value` for every variable that is set and whose option the command line
    /// does not already give. `commands` maps a subcommand to the options it takes.
    static func arguments(_ arguments: [String], environment: [String: String], commands: [String: [String]]) -> [String] {
        guard let subcommand = arguments.first, let options = commands[subcommand] else { return arguments }
        var result = arguments
        for option in options {
            guard let value = environment[variableName(forOption: option)] else { continue }
            let flag = "--\(option)"
            let given = arguments.contains { $0 == flag || $0.hasPrefix(flag + "=") }
            if !given { result += [flag, value] }
        }
        return result
    }
}
