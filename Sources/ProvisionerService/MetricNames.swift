/// The names of the service's metrics (swift-metrics labels), shared by the HTTP API, which
/// exports them on `GET /metrics`, and the worker, which records some of them. Documented in
/// docs/http-api.md; the Prometheus names are the contract of dashboards and alerts.
public enum MetricNames {
    /// Counter, labels `route` (the path template, or `unmatched`) and `status` (HTTP status code).
    public static let httpRequests = "rds_provisioner_http_requests_total"
    /// Histogram (swift-metrics `Timer`), label `route`: time to answer an HTTP request.
    public static let httpRequestDuration = "rds_provisioner_http_request_duration_seconds"
    /// Counter, labels `outcome` (`accepted`, `rejected`, `duplicate`, `error`) and, unless
    /// accepted, `code` (the error code answered): what became of each `POST /provision`.
    public static let intake = "rds_provisioner_intake_total"
    /// Gauge, label `state` (`visible`, `in_flight`, `dead`): messages in the request queue.
    public static let queueMessages = "rds_provisioner_queue_messages"
    /// Histogram (swift-metrics `Timer`), label `status` (the status a request ended in):
    /// time the worker spent on one queue message. Recorded by the worker.
    public static let processingDuration = "rds_provisioner_processing_seconds"
    /// Counter, label `status`: requests that reached each status. Recorded by the worker.
    public static let requestStatusChanges = "rds_provisioner_requests_total"
}
