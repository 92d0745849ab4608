#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerTransport

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
    let transport: any HTTPTransport
    let logger: Logger

    /// `runtimeAPI` is `AWS_LAMBDA_RUNTIME_API` (`host:port`); the bootstrap passes its
    /// `SocketHTTPTransport`, which keeps one connection to it.
    public init(runtimeAPI: String, transport: any HTTPTransport, logger: Logger) {
        endpoint = "http://\(runtimeAPI)/2018-06-01/runtime"
        self.transport = transport
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
        let response = try await transport.send(
            HTTPTransportRequest(url: endpoint + "/invocation/next"), timeout: .seconds(24 * 3600), maxBodyBytes: 6 * 1024 * 1024)
        guard response.status == 200 else { throw LambdaRuntimeError("next: HTTP \(response.status)") }
        guard let requestId = response.headers.first(name: "Lambda-Runtime-Aws-Request-Id") else {
            throw LambdaRuntimeError("next: no Lambda-Runtime-Aws-Request-Id header")
        }
        let deadlineMs = response.headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap(Double.init) ?? 0
        return LambdaInvocation(
            requestId: requestId, deadline: Date(timeIntervalSince1970: deadlineMs / 1000), event: response.body)
    }

    func post(_ path: String, body: [UInt8], headers: [String: String] = [:], timeout: Duration = .seconds(30)) async throws {
        var request = HTTPTransportRequest(method: .POST, url: endpoint + path, body: body)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await transport.send(request, timeout: timeout, maxBodyBytes: 64 * 1024)
        guard (200..<300).contains(response.status) else {
            throw LambdaRuntimeError("\(path): HTTP \(response.status)")
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
