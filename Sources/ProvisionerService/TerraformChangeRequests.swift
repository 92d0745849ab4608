import ProvisionerCore

/// The production `ChangeRequestRenderer`: resolves the request's profile into a `ClusterPlan`,
/// renders the stack's Terraform, and writes the pull request's text from the plan.
public struct TerraformChangeRequests: ChangeRequestRenderer {
    public var profiles: ProfileSet

    public init(profiles: ProfileSet) {
        self.profiles = profiles
    }

    public func changeRequest(for request: ValidatedRequest, requestId: String) throws -> ChangeRequest {
        guard let profile = profiles.profiles.first(where: { $0.slug == request.environmentSlug }) else {
            throw RenderError("No profile has the environment slug `\(request.environmentSlug)`: the profiles changed since the request was accepted.")
        }
        let plan: ClusterPlan
        do {
            plan = try ClusterPlan(request: request, profile: profile, requestId: requestId)
        } catch {
            throw RenderError("\(error)")
        }
        let files = TerraformRenderer.render(plan)
        let text = PullRequestText(plan: plan, files: files)
        return ChangeRequest(
            requestId: requestId, branch: request.branch, stackPath: request.stackPath, files: files,
            title: text.title, body: text.body, labels: text.labels, commitMessage: text.commitMessage)
    }
}

/// The request cannot be turned into Terraform under the current profiles. Permanent: the
/// request ends `failed` with this message (retrying would give the same answer).
public struct RenderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
