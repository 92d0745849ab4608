import CoreMetrics
import Foundation
import Hummingbird
import Logging
import ProvisionerCore
import ProvisionerService

/// The answer to `GET /requests`: one page, and the cursor of the next one (`null` on the last).
struct RequestListBody: Encodable, Sendable {
    var requests: [RequestRecord]
    var nextCursor: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requests, forKey: .requests)
        try container.encode(nextCursor, forKey: .nextCursor)  // explicit null on the last page
    }

    enum CodingKeys: String, CodingKey { case requests, nextCursor }
}

struct HealthBody: Codable, Sendable {
    var status: String
}

/// The route handlers. Every failure is thrown as an `APIError`; `APIMiddleware` answers it.
struct Handlers: Sendable {
    var validator: RequestValidator
    var intake: any RequestIntake
    var statusStore: any StatusStore
    var queueStats: QueueStatsProvider?
    var metrics: PrometheusMetrics
    var logger: Logger
    var now: @Sendable () -> Date = { Date() }

    static let defaultPageSize = 20
    static let maxPageSize = 500
    static let maxCursorLength = 1024

    // MARK: POST /provision

    func provision(_ request: Request, context: some RequestContext) async throws -> Response {
        do {
            let response = try await acceptProvision(request)
            countIntake(outcome: "accepted", code: nil)
            return response
        } catch {
            let outcome =
                switch error.status {
                case .conflict: "duplicate"
                case .serviceUnavailable, .internalServerError: "error"
                default: "rejected"
                }
            countIntake(outcome: outcome, code: error.code)
            throw error
        }
    }

    private func acceptProvision(_ request: Request) async throws(APIError) -> Response {
        try requireJSONContentType(request)
        let body = try await readBody(request)

        let validated: ValidatedRequest
        do {
            validated = try validator.validate(body: body.readableBytesView)
        } catch {
            throw APIError(error)
        }

        let requestId = TimeOrderedID.make()
        let receivedAt = now()
        // The SNS notification the worker receives: its Message is the normalised request.
        let envelope = SNSEnvelope(
            messageId: requestId, topicArn: SNSEnvelope.localTopicArn, message: validated.request.jsonBody,
            timestamp: receivedAt)
        let submission = Submission(
            requestId: requestId, validated: validated, message: envelope.encoded(), receivedAt: receivedAt)

        let record: RequestRecord
        do {
            record = try await intake.submit(submission)
        } catch let IntakeError.duplicate(existingRequestId, stackPath) {
            let request = validated.request
            throw APIError(
                .conflict, code: APIErrorCode.duplicateRequest, field: nil,
                "Database `\(request.databaseName)` in \(request.environment) (\(stackPath)) already has an active request, "
                    + "\(existingRequestId); follow it at \(Self.statusURL(existingRequestId)).")
        } catch {
            logger.error(
                "intake failed; nothing was queued",
                metadata: ["requestId": "\(requestId)", "error": "\(String(reflecting: error))"])
            throw APIError(
                .serviceUnavailable, code: APIErrorCode.intakeUnavailable,
                "The request could not be stored, so nothing was queued. Try again later.")
        }

        logger.info(
            "request accepted",
            metadata: ["requestId": "\(record.requestId)", "stackPath": "\(validated.stackPath)"])
        let statusURL = Self.statusURL(record.requestId)
        return JSONResponse.make(
            status: .accepted,
            json: PublicJSON.object(["requestId": record.requestId, "status": record.status.rawValue, "statusUrl": statusURL]),
            headers: [.location: statusURL])
    }

    /// `application/json` (any case, parameters allowed), or `application/<something>+json`;
    /// a `charset` other than UTF-8 is refused as well.
    private func requireJSONContentType(_ request: Request) throws(APIError) {
        let unsupported = APIError(
            .unsupportedMediaType, code: APIErrorCode.unsupportedMediaType, field: nil,
            "Send the body as JSON with the header `Content-Type: application/json`.")
        guard let value = request.headers[.contentType] else { throw unsupported }
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType = parts.first, mediaType == "application/json"
            || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
        else { throw unsupported }
        for parameter in parts.dropFirst() where parameter.hasPrefix("charset=") {
            let charset = parameter.dropFirst("charset=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard charset == "utf-8" || charset == "utf8" else { throw unsupported }
        }
    }

    /// Reads at most `RequestValidator.maxBodyBytes`, refusing larger bodies by their declared
    /// length before reading, or while reading when the length is not declared.
    private func readBody(_ request: Request) async throws(APIError) -> ByteBuffer {
        let limit = RequestValidator.maxBodyBytes
        let tooLarge = APIError(
            .contentTooLarge, code: APIErrorCode.bodyTooLarge, field: nil,
            "The body is larger than \(limit) bytes. A request is a small JSON object like "
                + #"{"databaseName": "orders", "databaseEngine": "PostgreSQL", "environment": "Dev"}."#)
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw tooLarge
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            // The connection failed while the body was being read: nothing to answer to.
            throw APIError(.badRequest, code: APIErrorCode.invalidBody, "The body could not be read.")
        }
    }

    private func countIntake(outcome: String, code: String?) {
        var dimensions = [("outcome", outcome)]
        if let code { dimensions.append(("code", code)) }
        Counter(label: MetricNames.intake, dimensions: dimensions, factory: metrics).increment()
    }

    static func statusURL(_ requestId: String) -> String { "/requests/\(requestId)" }

    // MARK: GET /requests/{id}

    func getRequest(_ request: Request, context: some RequestContext) async throws -> Response {
        let raw = context.parameters.get("id") ?? ""
        guard let requestId = Self.normalisedRequestId(raw) else {
            throw APIError(
                .badRequest, code: APIErrorCode.invalidRequestId, field: "id",
                "A request id is a UUID such as 3f2c8a4e-1b7d-4c1e-9a53-2f0e6c8d9b10, as answered by POST /provision.")
        }
        let record: RequestRecord?
        do {
            record = try await statusStore.get(requestId)
        } catch {
            throw statusUnavailable(error)
        }
        guard let record else {
            throw APIError(
                .notFound, code: APIErrorCode.requestNotFound, field: "id", "No request has the id \(requestId).")
        }
        return JSONResponse.make(status: .ok, record)
    }

    /// A UUID in its 8-4-4-4-12 hexadecimal form, returned in lower case (request ids are).
    static func normalisedRequestId(_ text: String) -> String? {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) && $0.allSatisfy(\.isASCII) })
        else { return nil }
        return text.lowercased()
    }

    // MARK: GET /requests

    func listRequests(_ request: Request, context: some RequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = RequestFilter()
        if let status = query["status"].map(String.init) {
            guard let parsed = RequestStatus(rawValue: status) else {
                throw APIError(
                    .badRequest, code: APIErrorCode.invalidStatusFilter, field: "status",
                    "`status` must be one of \(RequestStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filter.status = parsed
        }
        if let environment = query["environment"].map(String.init) {
            guard let profile = validator.profiles.profile(named: environment) else {
                throw APIError(
                    .badRequest, code: APIErrorCode.invalidEnvironmentFilter, field: "environment",
                    "`environment` must be one of \(validator.profiles.names.joined(separator: ", ")) (case-insensitive).")
            }
            filter.environment = profile.name
        }
        var limit = Self.defaultPageSize
        if let text = query["limit"] {
            guard let parsed = Int(text), (1...Self.maxPageSize).contains(parsed) else {
                throw APIError(
                    .badRequest, code: APIErrorCode.invalidLimit, field: "limit",
                    "`limit` must be a whole number from 1 to \(Self.maxPageSize).")
            }
            limit = parsed
        }
        let invalidCursor = APIError(
            .badRequest, code: APIErrorCode.invalidCursor, field: "cursor",
            "`cursor` must be the `nextCursor` of an earlier page of the same listing.")
        let cursor = query["cursor"].map(String.init)
        if let cursor, cursor.isEmpty || cursor.utf8.count > Self.maxCursorLength { throw invalidCursor }

        let page: RequestPage
        do {
            page = try await statusStore.list(filter, limit: limit, cursor: cursor)
        } catch is InvalidCursorError {
            throw invalidCursor
        } catch {
            throw statusUnavailable(error)
        }
        return JSONResponse.make(status: .ok, RequestListBody(requests: page.records, nextCursor: page.nextCursor))
    }

    private func statusUnavailable(_ error: any Error) -> APIError {
        logger.error("status store failed", metadata: ["error": "\(String(reflecting: error))"])
        return APIError(
            .serviceUnavailable, code: APIErrorCode.statusUnavailable, "Request status cannot be read right now. Try again later.")
    }

    // MARK: GET /healthz, GET /metrics

    static func render(_ stats: QueueStats, now: Date) -> String {
        let messages = MetricNames.queueMessages
        let age = MetricNames.queueOldestMessageAge
        var text = "# HELP \(messages) Messages in the request queue, by state.\n# TYPE \(messages) gauge\n"
        for (state, value) in [
            ("visible", stats.visible), ("in_flight", stats.inFlight), ("delayed", stats.delayed), ("dead", stats.dead),
        ] {
            text += "\(messages){state=\"\(state)\"} \(value)\n"
        }
        let seconds = stats.oldestVisibleSentAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
        text += "# HELP \(age) Age of the oldest message waiting to be received (0 when none waits).\n"
        text += "# TYPE \(age) gauge\n\(age) \(PrometheusMetrics.format(seconds))\n"
        return text
    }

    func health(_ request: Request, context: some RequestContext) async throws -> Response {
        JSONResponse.make(status: .ok, HealthBody(status: "ok"))
    }

    func renderMetrics(_ request: Request, context: some RequestContext) async throws -> Response {
        var text = metrics.render()
        if let queueStats {
            do {
                text += Self.render(try await queueStats(), now: now())
            } catch {
                logger.warning("queue stats unavailable", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
