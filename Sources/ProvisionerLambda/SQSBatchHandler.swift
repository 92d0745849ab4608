#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ProvisionerCore
import ProvisionerService

/// An SQS event (the records of one batch) and the partial batch response: messages listed in
/// `batchItemFailures` come back to the queue; the others are deleted by Lambda. Used with
/// `FunctionResponseTypes: [ReportBatchItemFailures]`, one bad message never redelivers the rest.
public struct SQSEvent: Sendable, JSONReadable {
    public struct Record: Sendable {
        public var messageId: String
        public var receiptHandle: String
        public var body: String
        /// `attributes.ApproximateReceiveCount`.
        public var receiveCount: Int?
    }

    public var records: [Record]

    /// Read by hand (every invocation carries one); members other than these are skipped.
    public init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var records: [Record]?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            guard key == "Records" else { return }
            var list: [Record] = []
            try reader.readArray { (reader) throws(JSONSyntaxError) in list.append(try Record(json: &reader)) }
            records = list
        }
        self.records = try reader.required(records, "Records", in: "the SQS event")
    }
}

extension SQSEvent.Record {
    init(json reader: inout JSONReader) throws(JSONSyntaxError) {
        var messageId, receiptHandle, body: String?
        var receiveCount: Int?
        try reader.readObject { (key, reader) throws(JSONSyntaxError) in
            switch key {
            case "messageId": messageId = try reader.readString()
            case "receiptHandle": receiptHandle = try reader.readString()
            case "body": body = try reader.readString()
            case "attributes":
                try reader.readObject { (key, reader) throws(JSONSyntaxError) in
                    if key == "ApproximateReceiveCount" { receiveCount = Int(try reader.readString()) }
                }
            default: break
            }
        }
        self.messageId = try reader.required(messageId, "messageId", in: "an SQS record")
        self.receiptHandle = try reader.required(receiptHandle, "receiptHandle", in: "an SQS record")
        self.body = try reader.required(body, "body", in: "an SQS record")
        self.receiveCount = receiveCount
    }
}

public struct SQSBatchResponse: Encodable, Sendable, Hashable, JSONWritable {
    public struct Failure: Encodable, Sendable, Hashable {
        public var itemIdentifier: String

        public init(itemIdentifier: String) {
            self.itemIdentifier = itemIdentifier
        }
    }

    public var batchItemFailures: [Failure]

    public init(batchItemFailures: [Failure]) {
        self.batchItemFailures = batchItemFailures
    }

    public func writeJSON(to output: inout String) {
        var object = JSONObjectWriter(&output)
        object.key("batchItemFailures", &output)
        output.append("[")
        for (index, failure) in batchItemFailures.enumerated() {
            if index > 0 { output.append(",") }
            var item = JSONObjectWriter(&output)
            item.string("itemIdentifier", failure.itemIdentifier, &output)
            item.end(&output)
        }
        output.append("]")
        object.end(&output)
    }
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
        let decoded = try SQSEvent(jsonBytes: event)
        var failures: [SQSBatchResponse.Failure] = []
        for record in decoded.records {
            if let deadline, Date().addingTimeInterval(Double(deadlineMargin.components.seconds)) >= deadline {
                failures.append(.init(itemIdentifier: record.messageId))
                continue
            }
            let message = QueueMessage(
                messageId: record.messageId, receipt: record.receiptHandle, body: record.body,
                receiveCount: record.receiveCount ?? 1)
            switch await processor.process(message) {
            case .delete:
                break
            case .retry:
                // SQS makes it visible again after the queue's visibility timeout.
                failures.append(.init(itemIdentifier: record.messageId))
            }
        }
        logger.info("batch handled", metadata: ["records": "\(decoded.records.count)", "retried": "\(failures.count)"])
        return SQSBatchResponse(batchItemFailures: failures).jsonBytes
    }
}
