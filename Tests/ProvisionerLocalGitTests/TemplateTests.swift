import Foundation
import ProvisionerCore
import ProvisionerLocalGit
import Testing
import TestSupport

/// The local publisher's repository, created from the real InfraRepositoryTemplate: every
/// file with its exact bytes, scripts executable in git and in the checkout.
struct TemplateTests {
    @Test func newRepositoryHoldsTheTemplateWithItsModes() async throws {
        let directory = try TestEnvironment.makeTemporaryDirectory("localgit-template")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("infra")
        _ = try await InfraRepository.openOrCreate(
            at: path, template: InfraRepositoryTemplate.files, executablePaths: InfraRepositoryTemplate.executablePaths)

        var modes = [String: String]()
        for line in try Git.run(["ls-tree", "-r", "main"], in: path).split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            modes[String(fields[1])] = String(fields[0].split(separator: " ")[0])
        }
        #expect(modes.keys.sorted() == InfraRepositoryTemplate.files.map(\.path).sorted())
        for file in InfraRepositoryTemplate.files {
            let executable = InfraRepositoryTemplate.executablePaths.contains(file.path)
            #expect(modes[file.path] == (executable ? "100755" : "100644"), "\(file.path)")
            #expect(try Git.run(["show", "main:\(file.path)"], in: path) == file.contents, "\(file.path)")
            #expect(FileManager.default.isExecutableFile(atPath: path.appendingPathComponent(file.path).path) == executable,
                "\(file.path) in the checkout")
        }
        #expect(modes.values.filter { $0 == "100755" }.count == 3)
        #expect(try Git.run(["status", "--porcelain"], in: path).isEmpty, "the checkout matches main")
    }
}
