#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import AsyncHTTPClient
import Logging
import NIOCore

/// One invocation handed out by the Lambda Runtime API.
public struct LambdaInvocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestId: String
    /// `Lambda-Runtime-Deadline-Ms`: when the function times out.
    public var deadline: Date
    public var event: [UInt8]
}

/// The Lambda Runtime API loop of a custom runtime (`provided.al2023`): `next` → handle →
/// `response` or `error`, forever; an init failure is reported once with `init/error`.
/// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
public struct LambdaRuntime: Sendable {
    public typealias Handler = @Sendable (LambdaInvocation, Logger) async throws -> [UInt8]

    let endpoint: String
    let http: HTTPClient
    let logger: Logger

    /// `runtimeAPI` is `AWS_LAMBDA_RUNTIME_API` (`host:port`).
    public init(runtimeAPI: String, http: HTTPClient = .shared, logger: Logger) {
        endpoint = "http://\(runtimeAPI)/2018-06-01/runtime"
        self.http = http
        self.logger = logger
    }

    /// Runs `handler` on invocations until `maxInvocations` (nil: forever) or cancellation.
    public func run(maxInvocations: Int? = nil, handler: Handler) async throws {
        var handled = 0
        while !Task.isCancelled, maxInvocations.map({ handled < $0 }) ?? true {
            let invocation = try await next()
            var logger = self.logger
            logger[metadataKey: "awsRequestId"] = "\(invocation.requestId)"
            do {
                let response = try await handler(invocation, logger)
                try await post("/invocation/\(invocation.requestId)/response", body: response)
            } catch {
                logger.error("invocation failed", metadata: ["error": "\(error)"])
                try await post(
                    "/invocation/\(invocation.requestId)/error", body: Self.errorBody(error),
                    headers: ["Lambda-Runtime-Function-Error-Type": "Unhandled"])
            }
            handled += 1
        }
    }

    /// Reports a failure before the first invocation (bad configuration); Lambda then fails the
    /// init phase with this message.
    /// Reports a failed init. Bounded to 5 s: the process exits next, also when the Runtime API
    /// cannot be reached (the HTTP client would otherwise retry the connection until its timeout).
    public func reportInitError(_ error: any Error) async {
        try? await post(
            "/init/error", body: Self.errorBody(error), headers: ["Lambda-Runtime-Function-Error-Type": "Runtime.InitError"],
            timeout: .seconds(5))
    }

    func next() async throws -> LambdaInvocation {
        // Long poll: the Runtime API answers when an event arrives.
        let response = try await http.execute(HTTPClientRequest(url: endpoint + "/invocation/next"), timeout: .hours(24))
        guard response.status == .ok else { throw LambdaRuntimeError("next: HTTP \(response.status.code)") }
        guard let requestId = response.headers.first(name: "Lambda-Runtime-Aws-Request-Id") else {
            throw LambdaRuntimeError("next: no Lambda-Runtime-Aws-Request-Id header")
        }
        let deadlineMs = response.headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap(Double.init) ?? 0
        let body = try await response.body.collect(upTo: 6 * 1024 * 1024)
        return LambdaInvocation(
            requestId: requestId, deadline: Date(timeIntervalSince1970: deadlineMs / 1000), event: Array(body.readableBytesView))
    }

    func post(_ path: String, body: [UInt8], headers: [String: String] = [:], timeout: TimeAmount = .seconds(30)) async throws {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: timeout)
        _ = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw LambdaRuntimeError("\(path): HTTP \(response.status.code)")
        }
    }

    static func errorBody(_ error: any Error) -> [UInt8] {
        struct Body: Encodable {
            var errorMessage: String
            var errorType: String
        }
        let body = Body(errorMessage: "\(error)", errorType: String(describing: type(of: error)))
        return Array((try? JSONEncoder().encode(body)) ?? Data())
    }
}

public struct LambdaRuntimeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
