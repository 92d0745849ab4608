import Foundation

/// Where things are when tests run: the repository root, the Python test tools, the shared
/// reference data, fresh temporary directories.
public enum TestEnvironment {
    /// The package root (the directory holding Package.swift).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `../shared/testdata` beside the project root (reference data; never edited).
    public static var sharedTestData: URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
    }

    /// A Python test tool installed by `make venv` (checkov, schemathesis, moto_server, cfn-lint).
    /// Tests that need one fail with this message rather than skip: a skipped check cannot fail.
    public static func pythonTool(_ name: String) throws -> URL {
        let url = repositoryRoot.appendingPathComponent(".venv/bin/\(name)")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestSupportError("\(name) is not installed in .venv: run `make venv` (or `make test`) first")
        }
        return url
    }

    /// A new, empty directory under the system temporary directory.
    public static func makeTemporaryDirectory(_ prefix: String = "rds-provisioner-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
