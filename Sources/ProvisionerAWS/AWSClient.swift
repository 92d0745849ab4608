#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOHTTP1
import ProvisionerCore
import ProvisionerTransport

/// Signs and sends requests to one AWS service, retrying throttling, 5xx and transport
/// failures (`AWSRetryPolicy`), and turning error responses into `AWSError`. The service
/// clients (`SQSClient`, `SNSClient`, `DynamoDBClient`, `SecretsManagerClient`) are thin
/// layers over its two protocol entry points: `json` (AWS JSON 1.0/1.1) and `query` (AWS Query).
public struct AWSClient: Sendable {
    public let service: AWSService
    public let configuration: AWSConfiguration
    /// The base URL requests go to.
    public let endpoint: String
    let hostHeader: String
    let path: String
    /// Where requests go: the endpoint with its path.
    let url: String
    let signer: SigV4Signer

    /// Largest response body read (SQS returns up to 10 messages of 256 KiB).
    static let maxResponseBytes = 16 << 20

    public init(service: AWSService, configuration: AWSConfiguration) throws {
        self.service = service
        self.configuration = configuration
        endpoint = configuration.endpoint(for: service)
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw AWSConfigurationError.invalidEndpoint(variable: "endpoint of \(service)", value: endpoint) }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = url.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            hostHeader = "\(bracketed):\(port)"
        } else {
            hostHeader = bracketed
        }
        path = url.path.isEmpty ? "/" : url.path
        self.url = endpoint + (path == "/" && !endpoint.hasSuffix("/") ? "/" : "")
        signer = SigV4Signer(service: service.signingName, region: configuration.region)
    }

    // MARK: - Protocols

    /// An AWS JSON protocol call: `POST /`, `X-Amz-Target: <target>`, content type
    /// `application/x-amz-json-<version>`, JSON in and out. The answer is read by hand
    /// (`JSONReadable`: the calls made on every message).
    public func json<Input: Encodable & Sendable, Output: JSONReadable>(
        target: String, input: Input, output: Output.Type = Output.self, jsonVersion: String = "1.0",
        timeout: Duration = .seconds(15)
    ) async throws -> Output {
        let (response, operation) = try await jsonCall(target: target, input: input, jsonVersion: jsonVersion, timeout: timeout)
        return try answer(response, operation) { bytes in try Output(jsonBytes: bytes) }
    }

    /// The same for an input that writes its own JSON (no `JSONEncoder`, no dynamic cast).
    public func json<Input: Encodable & JSONWritable & Sendable, Output: JSONReadable>(
        target: String, input: Input, output: Output.Type = Output.self, jsonVersion: String = "1.0",
        timeout: Duration = .seconds(15)
    ) async throws -> Output {
        let (response, operation) = try await jsonCall(
            target: target, body: input.jsonBytes, jsonVersion: jsonVersion, timeout: timeout)
        return try answer(response, operation) { bytes in try Output(jsonBytes: bytes) }
    }

    /// The same, the answer decoded by `JSONDecoder`.
    public func json<Input: Encodable & Sendable, Output: Decodable>(
        target: String, input: Input, output: Output.Type = Output.self, jsonVersion: String = "1.0",
        timeout: Duration = .seconds(15)
    ) async throws -> Output {
        let (response, operation) = try await jsonCall(target: target, input: input, jsonVersion: jsonVersion, timeout: timeout)
        return try answer(response, operation) { bytes in try JSONDecoder().decode(Output.self, from: Data(bytes)) }
    }

    /// The answer's body read by `read` (an empty body as `{}`), or `InvalidResponse`.
    private func answer<Output>(_ response: Response, _ operation: String, _ read: ([UInt8]) throws -> Output) throws -> Output {
        do {
            return try read(response.body.isEmpty ? Array("{}".utf8) : response.body)
        } catch {
            throw invalidResponse(operation, response, error)
        }
    }

    private func jsonCall<Input: Encodable & Sendable>(
        target: String, input: Input, jsonVersion: String, timeout: Duration
    ) async throws -> (Response, String) {
        let body = try (input as? any JSONWritable)?.jsonBytes ?? Array(JSONEncoder().encode(input))
        return try await jsonCall(target: target, body: body, jsonVersion: jsonVersion, timeout: timeout)
    }

    private func jsonCall(
        target: String, body: [UInt8], jsonVersion: String, timeout: Duration
    ) async throws -> (Response, String) {
        let operation = String(target[target.index(after: target.lastIndex(of: ".") ?? target.startIndex)...])
        let response = try await send(
            operation: operation,
            headers: [
                ("Content-Type", "application/x-amz-json-\(jsonVersion)"),
                ("X-Amz-Target", target),
            ], body: body, timeout: timeout, parseError: Self.jsonError)
        return (response, operation)
    }

    private func invalidResponse(_ operation: String, _ response: Response, _ error: any Error) -> AWSError {
        AWSError(
            code: "InvalidResponse", message: "the \(operation) response is not the expected JSON: \(error)",
            statusCode: response.status, requestId: response.requestId, service: service.signingName,
            operation: operation)
    }

    /// An AWS Query protocol call: `POST /`, form-encoded `Action`, `Version` and parameters;
    /// returns the XML response text (read it with `XMLScan`).
    public func query(
        action: String, version: String, parameters: [(name: String, value: String)], timeout: Duration = .seconds(15)
    ) async throws -> String {
        let form = URIEncoding.formEncode([("Action", action), ("Version", version)] + parameters)
        let response = try await send(
            operation: action, headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(form.utf8), timeout: timeout, parseError: Self.queryError)
        return String(decoding: response.body, as: UTF8.self)
    }

    // MARK: - Transport

    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var requestId: String? { Self.requestId(headers) }

        static func requestId(_ headers: HTTPHeaders) -> String? {
            headers.first(name: "x-amzn-RequestId") ?? headers.first(name: "x-amz-request-id")
        }
    }

    /// Sends with retries. Errors: `AWSError`, credential errors, or `CancellationError`.
    func send(
        operation: String, headers: [(String, String)], body: [UInt8], timeout: Duration,
        parseError: @Sendable (Response, String, String) -> AWSError
    ) async throws -> Response {
        let retry = configuration.retry
        var waited = Duration.zero
        var attempt = 1
        while true {
            let failure: AWSError
            do {
                let response = try await sendOnce(operation: operation, headers: headers, body: body, timeout: timeout)
                if (200..<300).contains(response.status) {
                    log(operation, attempt: attempt, status: response.status, requestId: response.requestId)
                    return response
                }
                failure = parseError(response, service.signingName, operation)
            } catch let error as AWSError {
                failure = error
            }
            log(operation, attempt: attempt, status: failure.statusCode, requestId: failure.requestId, error: failure)
            guard failure.isRetryable, attempt < retry.maxAttempts else { throw failure }
            let delay = retry.delay(afterAttempt: attempt)
            guard waited + delay <= retry.budget else { throw failure }
            try await Task.sleep(for: delay)
            waited += delay
            attempt += 1
        }
    }

    /// One signed attempt. Throws `AWSError` (transport), credential errors or `CancellationError`.
    private func sendOnce(operation: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async throws
        -> Response
    {
        let credentials = try await configuration.credentials.credentials()
        let unsigned = SigV4Signer.Request(
            method: "POST", path: path, headers: [("Host", hostHeader)] + headers.map { (name: $0.0, value: $0.1) },
            body: body)
        let signed = signer.sign(unsigned, credentials: credentials, date: Date())
        var request = HTTPTransportRequest(method: .POST, url: url, body: body)
        for header in signed.headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "User-Agent", value: "rds-provisioner")
        request.headers.add(name: "Content-Length", value: String(body.count))
        do {
            let response = try await configuration.transport.send(request, timeout: timeout, maxBodyBytes: Self.maxResponseBytes)
            return Response(status: response.status, headers: response.headers, body: response.body)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw AWSError(
                code: "TransportError", message: "\(error)", statusCode: nil, requestId: nil,
                service: service.signingName, operation: operation)
        }
    }

    private func log(_ operation: String, attempt: Int, status: Int?, requestId: String?, error: AWSError? = nil) {
        guard configuration.logger.logLevel <= (error == nil ? .trace : .debug) else { return }
        var metadata: Logger.Metadata = [
            "service": "\(service.signingName)", "operation": "\(operation)", "attempt": "\(attempt)",
        ]
        if let status { metadata["status"] = "\(status)" }
        if let requestId { metadata["awsRequestId"] = "\(requestId)" }
        if let error {
            metadata["error"] = "\(error.code)"
            configuration.logger.debug("aws call failed", metadata: metadata)
        } else {
            configuration.logger.trace("aws call", metadata: metadata)
        }
    }

    // MARK: - Error bodies

    private struct JSONErrorBody: Decodable {
        var type: String?
        var message: String?
        var Message: String?
        enum CodingKeys: String, CodingKey {
            case type = "__type"
            case message
            case Message
        }
    }

    /// `{"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "…"}`,
    /// or the `x-amzn-ErrorType` header.
    @Sendable static func jsonError(_ response: Response, service: String, operation: String) -> AWSError {
        let body = try? JSONDecoder().decode(JSONErrorBody.self, from: Data(response.body))
        let code = body?.type ?? response.headers.first(name: "x-amzn-ErrorType") ?? "HTTP\(response.status)"
        return AWSError(
            code: code, message: body?.message ?? body?.Message ?? "", statusCode: response.status,
            requestId: response.requestId, service: service, operation: operation)
    }

    /// `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`
    @Sendable static func queryError(_ response: Response, service: String, operation: String) -> AWSError {
        let xml = String(decoding: response.body, as: UTF8.self)
        return AWSError(
            code: XMLScan.firstText(of: "Code", in: xml) ?? "HTTP\(response.status)",
            message: XMLScan.firstText(of: "Message", in: xml) ?? "", statusCode: response.status,
            requestId: response.requestId ?? XMLScan.firstText(of: "RequestId", in: xml), service: service,
            operation: operation)
    }
}
