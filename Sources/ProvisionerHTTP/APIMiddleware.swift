import CoreMetrics
import Hummingbird
import Logging
import ProvisionerService

/// Wraps every route (and the router's not-found answer): turns every error into the one JSON
/// error body, tells 404 from 405, and counts and times every request.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    var routes: RouteTable
    var metrics: PrometheusMetrics
    var logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = answer(error, to: request).response()
        }
        let route = routes.label(for: request.uri.path)
        Counter(
            label: MetricNames.httpRequests, dimensions: [("route", route), ("status", String(response.status.code))],
            factory: metrics
        ).increment()
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        Timer(label: MetricNames.httpRequestDuration, dimensions: [("route", route)], factory: metrics)
            .recordNanoseconds(nanoseconds)
        logger.debug(
            "answered",
            metadata: [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
                "seconds": "\(Double(nanoseconds) / 1e9)",
            ])
        return response
    }

    private func answer(_ error: any Error, to request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError where error.status == .notFound:
            // The router found no route for this method and path.
            if let route = routes.match(request.uri.path) {
                let allowed = route.methods.map(\.rawValue).joined(separator: ", ")
                return APIError(
                    .methodNotAllowed, code: APIErrorCode.methodNotAllowed, field: nil,
                    "\(route.template) does not answer \(request.method.rawValue); use \(allowed).",
                    headers: [.allow: allowed])
            }
            return APIError(
                .notFound, code: APIErrorCode.notFound,
                "There is nothing at \(request.uri.path). The API serves /provision, /requests, /requests/{id}, /healthz and /metrics.")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return APIError(
                .contentTooLarge, code: APIErrorCode.bodyTooLarge, "The body is larger than the server accepts.")
        default:
            logger.error(
                "unexpected error answering a request",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return APIError(
                .internalServerError, code: APIErrorCode.internalError, "An unexpected error occurred; it was logged.")
        }
    }
}
