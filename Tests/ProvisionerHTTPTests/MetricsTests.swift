import CoreMetrics
import Foundation
import ProvisionerCore
import ProvisionerHTTP
import ProvisionerService
import Testing

@Suite("GET /metrics")
struct MetricsEndpointTests {
    @Test("Counts intake outcomes and HTTP requests, shows queue depth and the worker's histogram")
    func exposition() async throws {
        let stats = QueueStats(visible: 3, inFlight: 1, delayed: 4, dead: 2, oldestVisibleSentAt: Date(timeIntervalSinceNow: -90))
        try await LiveAPI.run(queueStats: { stats }) { api in
            #expect(try await api.provision(ProvisionTests.orders).status == 202)
            #expect(try await api.provision(ProvisionTests.orders).status == 409)
            #expect(try await api.provision("{").status == 400)
            #expect(try await api.provision(ProvisionTests.orders, contentType: "text/plain").status == 415)
            #expect(try await api.get("/nope").status == 404)
            // The worker records through swift-metrics into the same backend.
            Timer(label: RequestProcessor.processingMetric, factory: api.metrics).recordNanoseconds(1_500_000_000)

            let reply = try await api.get("/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers["Content-Type"] == ["text/plain; version=0.0.4; charset=utf-8"])
            let lines = Set(reply.text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"rds_provisioner_intake_total{outcome="accepted"} 1"#), "\(reply.text)")
            let age = try #require(lines.first { $0.hasPrefix("rds_provisioner_queue_oldest_message_age_seconds ") })
            let seconds = try #require(Double(age.split(separator: " ")[1]))
            #expect(seconds >= 90 && seconds < 3600)
            for expected in [
                #"rds_provisioner_intake_total{outcome="accepted"} 1"#,
                #"rds_provisioner_intake_total{code="duplicate_request",outcome="duplicate"} 1"#,
                #"rds_provisioner_intake_total{code="invalid_json",outcome="rejected"} 1"#,
                #"rds_provisioner_intake_total{code="unsupported_media_type",outcome="rejected"} 1"#,
                #"rds_provisioner_http_requests_total{route="/provision",status="202"} 1"#,
                #"rds_provisioner_http_requests_total{route="/provision",status="409"} 1"#,
                #"rds_provisioner_http_requests_total{route="unmatched",status="404"} 1"#,
                "# TYPE rds_provisioner_queue_messages gauge",
                #"rds_provisioner_queue_messages{state="visible"} 3"#,
                #"rds_provisioner_queue_messages{state="in_flight"} 1"#,
                #"rds_provisioner_queue_messages{state="dead"} 2"#,
                #"rds_provisioner_queue_messages{state="delayed"} 4"#,
                "# TYPE rds_provisioner_queue_oldest_message_age_seconds gauge",
                "# TYPE rds_provisioner_processing_seconds histogram",
                #"rds_provisioner_processing_seconds_bucket{le="1"} 0"#,
                #"rds_provisioner_processing_seconds_bucket{le="2.5"} 1"#,
                "rds_provisioner_processing_seconds_sum 1.5",
                "rds_provisioner_processing_seconds_count 1",
                "# TYPE rds_provisioner_http_request_duration_seconds histogram",
            ] {
                let found = lines.contains(expected)
                #expect(found, "missing: \(expected)")
            }
        }
    }

    @Test("A queue that cannot be read leaves the queue gauges out; the rest still answers")
    func queueStatsFailure() async throws {
        try await LiveAPI.run(queueStats: { throw DiskFullError() }) { api in
            let reply = try await api.get("/metrics")
            #expect(reply.status == 200)
            #expect(!reply.text.contains("rds_provisioner_queue_messages"))
        }
    }
}

@Suite("PrometheusMetrics")
struct PrometheusMetricsTests {
    @Test("Counters, gauges and histograms in the text format, labels sorted and escaped")
    func rendering() {
        let metrics = PrometheusMetrics(buckets: [0.1, 1])
        metrics.describe("jobs_total", help: "Jobs done.")
        Counter(label: "jobs_total", dimensions: [("queue", "a"), ("kind", #"x"y\z"#)], factory: metrics).increment(by: 2)
        Counter(label: "jobs_total", dimensions: [("queue", "a"), ("kind", #"x"y\z"#)], factory: metrics).increment()
        Gauge(label: "temperature", factory: metrics).record(-1.5)
        Meter(label: "in.use", factory: metrics).set(4)
        Recorder(label: "size_bytes", factory: metrics).record(0.5)
        Recorder(label: "size_bytes", factory: metrics).record(7)
        #expect(
            metrics.render() == """
                # TYPE in_use gauge
                in_use 4
                # HELP jobs_total Jobs done.
                # TYPE jobs_total counter
                jobs_total{kind="x\\"y\\\\z",queue="a"} 3
                # TYPE size_bytes histogram
                size_bytes_bucket{le="0.1"} 0
                size_bytes_bucket{le="1"} 1
                size_bytes_bucket{le="+Inf"} 2
                size_bytes_sum 7.5
                size_bytes_count 2
                # TYPE temperature gauge
                temperature -1.5

                """)
    }

    @Test("Timers export seconds; a name used by another kind is not exported twice; destroyed series go")
    func timersConflictsAndDestroy() {
        let metrics = PrometheusMetrics(buckets: [1])
        Timer(label: "work_seconds", factory: metrics).recordMilliseconds(250)
        Counter(label: "work_seconds", factory: metrics).increment()
        let gone = Counter(label: "gone_total", factory: metrics)
        gone.increment()
        gone.destroy()
        #expect(
            metrics.render() == """
                # TYPE work_seconds histogram
                work_seconds_bucket{le="1"} 1
                work_seconds_bucket{le="+Inf"} 1
                work_seconds_sum 0.25
                work_seconds_count 1

                """)
    }
}
