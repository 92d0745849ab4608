import Foundation
import ProvisionerHTTP
import Testing
import TestSupport

@Suite("openapi.yaml")
struct OpenAPIContractTests {
    static let document = TestEnvironment.repositoryRoot.appendingPathComponent("openapi.yaml")

    @Test("Lists every error code the server can answer, and no other")
    func errorCodes() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        // The ErrorCode enum: the `- code` lines after `ErrorCode:` up to the next schema.
        let section = try #require(text.range(of: "    ErrorCode:\n")).upperBound
        let end = try #require(text.range(of: "\n    ErrorDetail:", range: section..<text.endIndex)).lowerBound
        let documented = Set(text[section..<end].split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- ") ? String(trimmed.dropFirst(2)) : nil
        })
        #expect(documented == Set(APIErrorCode.all))
    }

    /// Runs schemathesis against the live server: every response must be documented (status,
    /// content type, headers, body schema), no input may cause a 5xx, and undocumented methods
    /// must answer 405 with `Allow`. Bounded by examples per operation.
    @Test("The server conforms to the document (schemathesis)", .timeLimit(.minutes(2)))
    func schemathesis() async throws {
        try await LiveAPI.run { api in
            try await Self.expectConformance(port: api.port)
            // The fuzzing really reached the intake.
            #expect(await !api.intake.submissions.isEmpty, "no request was accepted")
        }
    }

    /// Runs schemathesis against the API on `port`; records an issue, with its report, for
    /// every deviation from openapi.yaml.
    static func expectConformance(port: Int) async throws {
        let schemathesis = try TestEnvironment.pythonTool("schemathesis")
        let workDirectory = try TestEnvironment.makeTemporaryDirectory("schemathesis")
        defer { try? FileManager.default.removeItem(at: workDirectory) }
        let result = try await runOffTheCooperativePool {
            try ProcessRunner.run(
                schemathesis.path,
                [
                    "run", document.path, "--url", "http://127.0.0.1:\(port)",
                    "--checks", checks.joined(separator: ","),
                    "--phases", "examples,coverage,fuzzing,stateful",
                    "--max-examples", "100", "--seed", "20261125",
                    "--workers", "1", "--request-timeout", "10",
                    "--generation-database", "none", "--suppress-health-check", "too_slow",
                    "--no-color",
                ],
                in: workDirectory)
        }
        #expect(result.status == 0, "schemathesis found deviations:\n\(result.stdout)\n\(result.stderr)")
        // Every operation of the document was exercised.
        #expect(result.stdout.contains("Tested: 5"), "schemathesis did not test every operation:\n\(result.stdout)")
    }

    static let checks = [
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_headers_conformance", "response_schema_conformance", "unsupported_method",
        "allow_header_conformance",
    ]
}

/// Runs blocking work (a child process) on its own thread, so it does not hold one of the few
/// threads of the concurrency pool while the server under test needs them.
func runOffTheCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
