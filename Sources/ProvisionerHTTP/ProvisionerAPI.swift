import Hummingbird
import Logging
import ProvisionerCore
import ProvisionerService

/// The HTTP API of rds-provisioner (contract: `openapi.yaml`; guide: docs/http-api.md).
///
///     POST /provision        accept a request: 202 once it is stored durably
///     GET  /requests/{id}    one request's record and status history
///     GET  /requests         list, filtered by status and environment, paged by cursor
///     GET  /healthz          liveness
///     GET  /metrics          Prometheus text format
///
/// The returned application is a swift-service-lifecycle `Service`: add it to the
/// `ServiceGroup` next to the worker.
public enum ProvisionerAPI {
    /// Builds the application.
    ///
    /// - Parameters:
    ///   - configuration: Address to bind and server name (`.init(address: .hostname("127.0.0.1", port: 8080))`).
    ///   - validator: Validates `POST /provision` bodies; its profiles also check the `environment` filter.
    ///   - intake: Stores accepted requests (the SQLite queue locally).
    ///   - statusStore: Answers `GET /requests` and `GET /requests/{id}`.
    ///   - queueStats: Read on each `/metrics` scrape; `nil` leaves the queue gauges out.
    ///   - metrics: Where the API records its metrics and what `/metrics` renders. Bootstrap the
    ///     same instance as the process' swift-metrics backend so that the worker's metrics show too.
    ///   - logger: The API's logger.
    ///   - onServerRunning: Called with the bound port once the server listens (port 0 binds an
    ///     ephemeral port).
    public static func buildApplication(
        configuration: ApplicationConfiguration,
        validator: RequestValidator,
        intake: any RequestIntake,
        statusStore: any StatusStore,
        queueStats: QueueStatsProvider? = nil,
        metrics: PrometheusMetrics,
        logger: Logger,
        onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = buildRouter(
            validator: validator, intake: intake, statusStore: statusStore, queueStats: queueStats,
            metrics: metrics, logger: logger)
        return Application(
            router: router,
            configuration: configuration,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// The router alone, for embedding in another application.
    public static func buildRouter<Context: RequestContext>(
        context: Context.Type = BasicRequestContext.self,
        validator: RequestValidator,
        intake: any RequestIntake,
        statusStore: any StatusStore,
        queueStats: QueueStatsProvider? = nil,
        metrics: PrometheusMetrics,
        logger: Logger
    ) -> Router<Context> {
        describeMetrics(metrics)
        let handlers = Handlers(
            validator: validator, intake: intake, statusStore: statusStore, queueStats: queueStats,
            metrics: metrics, logger: logger)

        var routes = RouteTable()
        routes.add("/provision", .post)
        routes.add("/requests", .get)
        routes.add("/requests/{id}", .get)
        routes.add("/healthz", .get)
        routes.add("/metrics", .get)

        let router = Router(context: Context.self)
        // Added first, so it wraps every route below and the router's not-found answer.
        router.add(middleware: APIMiddleware<Context>(routes: routes, metrics: metrics, logger: logger))
        router.post("/provision", use: handlers.provision)
        router.get("/requests", use: handlers.listRequests)
        router.get("/requests/{id}", use: handlers.getRequest)
        router.get("/healthz", use: handlers.health)
        router.get("/metrics", use: handlers.renderMetrics)
        return router
    }

    /// The `# HELP` lines of the metrics this service defines (see `MetricNames`).
    public static func describeMetrics(_ metrics: PrometheusMetrics) {
        metrics.describe(MetricNames.httpRequests, help: "HTTP requests answered, by route template and status code.")
        metrics.describe(MetricNames.httpRequestDuration, help: "Time to answer an HTTP request, by route template.")
        metrics.describe(
            MetricNames.intake, help: "POST /provision outcomes: accepted, rejected (by code), duplicate, error.")
        metrics.describe(MetricNames.processingDuration, help: "Time the worker spent on one queue message.")
        metrics.describe(MetricNames.requestOutcomes, help: "Requests that reached a final status, by status.")
    }
}
