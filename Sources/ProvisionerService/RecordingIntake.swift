import ProvisionerCore

/// An intake that does not keep status itself (SNS), paired with the status store, so that
/// `GET /requests/{id}` knows a request from the moment it is acknowledged. The `queued` record
/// is written after the publish succeeded; if the worker was faster, its later status stands
/// (statuses never go backwards) and only the `queued` history entry is missing.
public struct RecordingIntake: RequestIntake {
    public var intake: any RequestIntake
    public var statusStore: any StatusStore

    public init(intake: any RequestIntake, statusStore: any StatusStore) {
        self.intake = intake
        self.statusStore = statusStore
    }

    public func submit(_ submission: Submission) async throws -> RequestRecord {
        let accepted = try await intake.submit(submission)
        let update = StatusUpdate(
            requestId: accepted.requestId, status: .queued, at: submission.receivedAt,
            request: submission.validated.request, validated: submission.validated)
        // The request is safely published; failing to record `queued` must not turn it into an error.
        return (try? await statusStore.apply(update)) ?? accepted
    }
}
