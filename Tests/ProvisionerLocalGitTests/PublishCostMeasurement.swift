import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import ProvisionerService
import TestSupport
import Testing

/// Not a test: measures the cost of publishing, for docs/local-git.md. Runs only when
/// `RDS_LOCALGIT_MEASURE=<requests>` is set, prints its figures and asserts nothing about time.
///
///     RDS_LOCALGIT_MEASURE=1000 swift test --filter PublishCostMeasurement
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RDS_LOCALGIT_MEASURE"] != nil))
struct PublishCostMeasurement {
    @Test func publishingCostWithAndWithoutExistingStacks() async throws {
        let requests = Int(ProcessInfo.processInfo.environment["RDS_LOCALGIT_MEASURE"] ?? "") ?? 1000
        var report = [String]()
        // Twice each, alternating, to see how much the figures move between runs.
        for stacks in [0, 10_000, 0, 10_000] {
            let directory = try TestEnvironment.makeTemporaryDirectory("localgit-measure")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = try LargeRepository.make(in: directory, stacks: stacks)
            let publisher = try LocalGitPublisher(repository: try await InfraRepository.open(at: path))
            _ = try await publisher.publish(Fixture.change("warmup"))
            let clock = ContinuousClock()
            let oneAtATime = try await clock.measure {
                for index in 0..<100 {
                    _ = try await publisher.publish(Fixture.change("one\(index)", environment: index % 2 == 0 ? "dev" : "prod"))
                }
            }
            let burst = try await clock.measure {
                // Every request at once, as a burst of messages reaches the workers.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<requests {
                        let change = Fixture.change("new\(index)", environment: index % 2 == 0 ? "dev" : "prod")
                        group.addTask { _ = try await publisher.publish(change) }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await publisher.pullRequests().count == requests + 101)
            report.append(
                "\(stacks) existing stacks: one at a time \(milliseconds(oneAtATime / 100)) ms per request; "
                    + "burst of \(requests) in \(milliseconds(burst / 1000)) s, \(milliseconds(burst / requests)) ms per request")
            await publisher.shutdown()
        }
        print(report.joined(separator: "\n"))
    }

    private func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.2f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
