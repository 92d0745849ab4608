import ArgumentParser

// Commands wired as their adapters land.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the API and workers on this machine (SQLite queue, local git).")
    static let environmentOptions = ["host", "port", "data-dir", "profiles", "workers", "publisher"]
    func run() async throws { throw CLIError("serve: not yet wired") }
}

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run only the workers.")
    static let environmentOptions = ["data-dir", "profiles", "workers", "publisher"]
    func run() async throws { throw CLIError("worker: not yet wired") }
}

struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print or write the Terraform of one stack.")
    static let environmentOptions = ["profiles"]
    func run() async throws { throw CLIError("render: not yet wired") }
}

struct Pulls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect and merge local pull requests.")
    func run() async throws { throw CLIError("pulls: not yet wired") }
}
