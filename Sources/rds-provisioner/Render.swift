import ArgumentParser
import Foundation
import ProvisionerCore
import ProvisionerYAML

struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print or write the Terraform of one stack, exactly as a pull request would hold it.")

    @Option(help: "Database name, e.g. orders.") var databaseName: String
    @Option(help: "MySQL or PostgreSQL.") var engine: String
    @Option(help: "Environment, e.g. Dev or Prod.") var environment: String
    @Option(help: "Owning team or person (tags, pull request).") var owner: String?
    @Option(help: "Profile file (YAML or JSON) overriding the built-in profiles.") var profiles: String?
    @Option(help: "Directory to write the stack into (as repository-relative paths); prints to standard output if absent.")
    var out: String?
    @Option(help: "Request id recorded in the stack (default: render-<name>).") var requestId: String?

    static let environmentOptions = ["profiles"]

    func run() async throws {
        let profileSet: ProfileSet
        if let profiles {
            do { profileSet = try YAMLProfileFile.load(contentsOf: URL(fileURLWithPath: profiles)) } catch {
                throw CLIError("Profile file \(profiles): \(error)")
            }
        } else {
            profileSet = .builtIn
        }
        var fields = ["databaseName": databaseName, "databaseEngine": engine, "environment": environment]
        if let owner { fields["owner"] = owner }
        let validated: ValidatedRequest
        do {
            validated = try RequestValidator(profiles: profileSet).validate(fields: fields)
        } catch {
            // The same text the API answers with.
            throw CLIError(describe(ErrorResponse(error)))
        }
        let profile = profileSet.profiles.first { $0.slug == validated.environmentSlug }!
        let plan: ClusterPlan
        do {
            plan = try ClusterPlan(request: validated, profile: profile, requestId: requestId ?? "render-\(validated.request.databaseName)")
        } catch {
            throw CLIError("\(error)")
        }
        let files = TerraformRenderer.render(plan)
        guard let out else {
            for file in files {
                print("# ==> \(file.path) <==")
                print(file.contents, terminator: file.contents.hasSuffix("\n") ? "" : "\n")
            }
            return
        }
        let root = URL(fileURLWithPath: out, isDirectory: true)
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url, options: .atomic)
            print(url.path)
        }
    }
}
