import ArgumentParser
import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import ProvisionerSQLite

struct Pulls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Review the local pull requests of the embedded default.",
        subcommands: [List.self, Show.self, Merge.self, Close.self])

    struct Location: ParsableArguments {
        @Option(help: "The data directory of `serve`.") var dataDir: String = "./.rds-provisioner"

        func publisher() async throws -> LocalGitPublisher {
            let path = URL(fileURLWithPath: dataDir).appendingPathComponent("infra")
            do {
                return try LocalGitPublisher(repository: try await InfraRepository.open(at: path))
            } catch {
                throw CLIError("No infrastructure repository at \(path.path) (\(error)). Start `rds-provisioner serve --data-dir \(dataDir)` first.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pull requests.")
        @Option(help: "open, merged or closed (default: all).") var state: String?
        @OptionGroup var location: Location

        func run() async throws {
            let filter: PullRequestState?
            if let state {
                guard let parsed = PullRequestState(rawValue: state) else {
                    throw ValidationError("--state must be one of \(PullRequestState.allCases.map(\.rawValue).joined(separator: ", ")).")
                }
                filter = parsed
            } else {
                filter = nil
            }
            let publisher = try await location.publisher()
            let pulls = try await publisher.pullRequests(state: filter)
            if pulls.isEmpty { print("No pull requests.") }
            for pull in pulls {
                print("#\(pull.number)  \(pull.state.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(pull.branch)  \(pull.title)")
            }
            await publisher.shutdown()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a pull request: its description, files and diff.")
        @Argument(help: "Pull request number.") var number: Int
        @OptionGroup var location: Location

        func run() async throws {
            let publisher = try await location.publisher()
            let details = try await publisher.details(number)
            let pull = details.pullRequest
            print("#\(pull.number) \(pull.title) [\(pull.state.rawValue)]")
            print("branch \(pull.branch) → \(pull.base); request \(pull.requestId ?? "-")")
            print("")
            print(pull.body)
            print("")
            for file in details.files { print("\(file.status)  \(file.path)") }
            print("")
            print(details.diff)
            await publisher.shutdown()
        }
    }

    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a pull request into main and mark its request merged (CI would now apply it).")
        @Argument(help: "Pull request number.") var number: Int
        @OptionGroup var location: Location

        func run() async throws {
            let publisher = try await location.publisher()
            let result = try await publisher.merge(number)
            print("Merged #\(number) (\(result.method.rawValue)) into main.")
            if let note = result.note { print(note) }
            if let requestId = result.pullRequest.requestId {
                let database = try SQLiteDatabase(path: URL(fileURLWithPath: location.dataDir).appendingPathComponent("provisioner.sqlite").path)
                let record = try await SQLiteStatusStore(database: database).apply(
                    StatusUpdate(requestId: requestId, status: .merged, at: Date()))
                print("Request \(requestId) is \(record.status.rawValue).")
                try await database.close()
            }
            await publisher.shutdown()
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a pull request without merging it.")
        @Argument(help: "Pull request number.") var number: Int
        @OptionGroup var location: Location

        func run() async throws {
            let publisher = try await location.publisher()
            let pull = try await publisher.close(number)
            print("Closed #\(pull.number) (\(pull.branch)).")
            await publisher.shutdown()
        }
    }
}
