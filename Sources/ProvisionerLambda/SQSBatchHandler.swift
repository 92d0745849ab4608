#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerService

/// An SQS event (the records of one batch) and the partial batch response: messages listed in
/// `batchItemFailures` come back to the queue; the others are deleted by Lambda. Used with
/// `FunctionResponseTypes: [ReportBatchItemFailures]`, one bad message never redelivers the rest.
public struct SQSEvent: Decodable, Sendable {
    public struct Record: Decodable, Sendable {
        public var messageId: String
        public var receiptHandle: String
        public var body: String
        public var attributes: [String: String]?
    }

    public var Records: [Record]
}

public struct SQSBatchResponse: Encodable, Sendable, Hashable {
    public struct Failure: Encodable, Sendable, Hashable {
        public var itemIdentifier: String
    }

    public var batchItemFailures: [Failure]
}

/// Hands each record of an SQS event to the `RequestProcessor` (the same one `worker` runs).
public struct SQSBatchHandler: Sendable {
    public var processor: RequestProcessor

    public init(processor: RequestProcessor, deadlineMargin: Duration = .seconds(10)) {
        self.processor = processor
        self.deadlineMargin = deadlineMargin
    }

    /// Records not started this close to the invocation's deadline are handed back to the queue
    /// (a `batchItemFailure`) rather than risk the function timing out in the middle of them.
    public var deadlineMargin: Duration

    public func handle(_ event: [UInt8], deadline: Date? = nil, logger: Logger) async throws -> [UInt8] {
        let decoded = try JSONDecoder().decode(SQSEvent.self, from: Data(event))
        var failures: [SQSBatchResponse.Failure] = []
        for record in decoded.Records {
            if let deadline, Date().addingTimeInterval(Double(deadlineMargin.components.seconds)) >= deadline {
                failures.append(.init(itemIdentifier: record.messageId))
                continue
            }
            let message = QueueMessage(
                messageId: record.messageId, receipt: record.receiptHandle, body: record.body,
                receiveCount: record.attributes?["ApproximateReceiveCount"].flatMap(Int.init) ?? 1)
            switch await processor.process(message) {
            case .delete:
                break
            case .retry:
                // SQS makes it visible again after the queue's visibility timeout.
                failures.append(.init(itemIdentifier: record.messageId))
            }
        }
        logger.info("batch handled", metadata: ["records": "\(decoded.Records.count)", "retried": "\(failures.count)"])
        return Array(try JSONEncoder().encode(SQSBatchResponse(batchItemFailures: failures)))
    }
}
