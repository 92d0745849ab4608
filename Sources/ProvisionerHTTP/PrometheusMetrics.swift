import CoreMetrics
import Synchronization

/// A swift-metrics backend that keeps every metric in memory and renders them in the
/// Prometheus text exposition format (version 0.0.4) for `GET /metrics`.
///
/// Bootstrap it once per process so that every component's swift-metrics calls land in it
/// (`MetricsSystem.bootstrap(metrics)`), and pass the same instance to `ProvisionerAPI`.
/// Tests can instead pass a fresh instance as the explicit `factory:` of each metric.
///
/// Mapping: `Counter` and `FloatingPointCounter` → counter; `Meter` and `Recorder(aggregate:
/// false)` → gauge; `Recorder` → histogram; `Timer` → histogram in **seconds**. Dimensions become
/// labels. Names and label names are sanitised to Prometheus' alphabet. A name already used by
/// another kind of metric is not exported a second time (the later metric is kept but not shown).
public final class PrometheusMetrics: MetricsFactory, Sendable {
    /// Upper bounds of the histogram buckets, in seconds for timers: from 5 ms up to 5 minutes
    /// (processing a request may include git pushes and API calls).
    public static let defaultBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
    ]

    private let buckets: [Double]
    private let families = Mutex(State())

    public init(buckets: [Double] = PrometheusMetrics.defaultBuckets) {
        self.buckets = buckets.sorted()
    }

    /// Sets the `# HELP` line of a metric family.
    public func describe(_ name: String, help: String) {
        let name = Self.sanitizedName(name)
        families.withLock { state in
            if state.families[name] != nil {
                state.families[name]!.help = help
            } else {
                state.families[name] = Family(kind: nil, help: help, series: [:])
            }
        }
    }

    /// Every metric, in the Prometheus text format, families sorted by name.
    public func render() -> String {
        let snapshot = families.withLock { $0.families }
        var output = ""
        for name in snapshot.keys.sorted() {
            let family = snapshot[name]!
            guard let kind = family.kind, !family.series.isEmpty else { continue }
            if let help = family.help {
                output += "# HELP \(name) \(Self.escapeHelp(help))\n"
            }
            output += "# TYPE \(name) \(kind.rawValue)\n"
            for labels in family.series.keys.sorted(by: { $0.description < $1.description }) {
                family.series[labels]!.render(name: name, labels: labels, into: &output)
            }
        }
        return output
    }

    // MARK: MetricsFactory

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        register(label, dimensions, kind: .counter) { CounterSeries() }
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        register(label, dimensions, kind: .counter) { CounterSeries() }
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        register(label, dimensions, kind: .gauge) { GaugeSeries() }
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if aggregate {
            let buckets = self.buckets
            return register(label, dimensions, kind: .histogram) { HistogramSeries(buckets: buckets, scale: 1) }
        }
        return register(label, dimensions, kind: .gauge) { GaugeSeries() }
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets = self.buckets
        return register(label, dimensions, kind: .histogram) { HistogramSeries(buckets: buckets, scale: 1e-9) }
    }

    public func destroyCounter(_ handler: any CounterHandler) { remove(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { remove(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { remove(handler) }
    public func destroyRecorder(_ handler: any RecorderHandler) { remove(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { remove(handler) }

    // MARK: Storage

    enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    struct Family: Sendable {
        var kind: Kind?
        var help: String?
        var series: [Labels: any Series]
    }

    /// Returns the series for `label` and `dimensions`, creating it when new. Series of the
    /// same name and labels are shared, so `Counter(label:)` may be created on every use: a
    /// repeated (label, dimensions) is found by its raw text, without sanitising names again.
    private func register<S: Series>(
        _ label: String, _ dimensions: [(String, String)], kind: Kind, make: () -> S
    ) -> S {
        let raw = RawKey(label: label, dimensions: dimensions)
        if let known = families.withLock({ $0.byRawKey[raw] }) as? S { return known }
        let name = Self.sanitizedName(label)
        let labels = Labels(dimensions)
        return families.withLock { state in
            var family = state.families[name] ?? Family(kind: nil, help: nil, series: [:])
            if family.kind == nil { family.kind = kind }
            guard family.kind == kind else { return make() }  // name taken by another kind: not exported
            if let existing = family.series[labels] as? S {
                state.byRawKey[raw] = existing
                return existing
            }
            let series = make()
            series.key = SeriesKey(name: name, labels: labels)
            family.series[labels] = series
            state.families[name] = family
            state.byRawKey[raw] = series
            return series
        }
    }

    private func remove(_ handler: AnyObject) {
        guard let series = handler as? any Series, let key = series.key else { return }
        families.withLock { state in
            if let existing = state.families[key.name]?.series[key.labels], existing === series {
                state.families[key.name]!.series[key.labels] = nil
                state.byRawKey = state.byRawKey.filter { $0.value !== series }
            }
        }
    }

    /// A label and dimensions exactly as a caller passed them.
    struct RawKey: Hashable, Sendable {
        var label: String
        var dimensions: [String]

        init(label: String, dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.flatMap { [$0.0, $0.1] }
        }
    }

    struct State: Sendable {
        var families: [String: Family] = [:]
        /// Series by the raw key they were last asked for with.
        var byRawKey: [RawKey: any Series] = [:]
    }

    // MARK: Text format

    static func sanitizedName(_ name: String) -> String {
        var result = String(name.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "_", ":": Character(scalar)
            default: "_"
            }
        })
        if result.isEmpty || result.first!.isNumber { result = "_" + result }
        return result
    }

    static func sanitizedLabelName(_ name: String) -> String {
        sanitizedName(name).replacingColons()
    }

    static func escapeLabelValue(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    static func escapeHelp(_ help: String) -> String {
        help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension String {
    fileprivate func replacingColons() -> String { replacing(":", with: "_") }
}

/// A metric's labels, sanitised, sorted by name, one value per name (the last one given wins).
struct Labels: Hashable, Sendable, CustomStringConvertible {
    var pairs: [(name: String, value: String)]

    init(_ dimensions: [(String, String)]) {
        var byName: [String: String] = [:]
        for (name, value) in dimensions { byName[PrometheusMetrics.sanitizedLabelName(name)] = value }
        pairs = byName.keys.sorted().map { ($0, byName[$0]!) }
    }

    /// `{a="1",b="2"}`, or an empty string without labels; `extra` is appended (histogram `le`).
    func rendered(extra: (String, String)? = nil) -> String {
        var parts = pairs.map { "\($0.name)=\"\(PrometheusMetrics.escapeLabelValue($0.value))\"" }
        if let extra { parts.append("\(extra.0)=\"\(extra.1)\"") }
        return parts.isEmpty ? "" : "{" + parts.joined(separator: ",") + "}"
    }

    var description: String { rendered() }

    static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

struct SeriesKey: Sendable {
    var name: String
    var labels: Labels
}

/// One time series: a counter, gauge or histogram for one set of labels.
protocol Series: AnyObject, Sendable {
    var key: SeriesKey? { get set }
    func render(name: String, labels: Labels, into output: inout String)
}

final class CounterSeries: Series, CounterHandler, FloatingPointCounterHandler {
    private let state = Mutex<(key: SeriesKey?, value: Double)>((nil, 0))

    var key: SeriesKey? {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }

    var value: Double { state.withLock { $0.value } }

    func increment(by amount: Int64) { increment(by: Double(amount)) }

    func increment(by amount: Double) {
        guard amount > 0 else { return }  // counters only go up
        state.withLock { $0.value += amount }
    }

    func reset() { state.withLock { $0.value = 0 } }

    func render(name: String, labels: Labels, into output: inout String) {
        output += "\(name)\(labels.rendered()) \(PrometheusMetrics.format(value))\n"
    }
}

final class GaugeSeries: Series, MeterHandler, RecorderHandler {
    private let state = Mutex<(key: SeriesKey?, value: Double)>((nil, 0))

    var key: SeriesKey? {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }

    func set(_ value: Int64) { set(Double(value)) }
    func set(_ value: Double) { state.withLock { $0.value = value } }
    func increment(by amount: Double) { state.withLock { $0.value += amount } }
    func decrement(by amount: Double) { state.withLock { $0.value -= amount } }
    func record(_ value: Int64) { set(Double(value)) }
    func record(_ value: Double) { set(value) }

    func render(name: String, labels: Labels, into output: inout String) {
        let value = state.withLock { $0.value }
        output += "\(name)\(labels.rendered()) \(PrometheusMetrics.format(value))\n"
    }
}

final class HistogramSeries: Series, RecorderHandler, TimerHandler {
    struct State {
        var key: SeriesKey?
        /// Observations per bucket (not cumulative); the last slot is `+Inf`.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    private let buckets: [Double]
    /// Factor from recorded units to exported units (1e-9: nanoseconds to seconds).
    private let scale: Double
    private let state: Mutex<State>

    init(buckets: [Double], scale: Double) {
        self.buckets = buckets
        self.scale = scale
        self.state = Mutex(State(counts: Array(repeating: 0, count: buckets.count + 1)))
    }

    var key: SeriesKey? {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }

    func record(_ value: Int64) { observe(Double(value) * scale) }
    func record(_ value: Double) { observe(value * scale) }
    func recordNanoseconds(_ duration: Int64) { observe(Double(duration) * scale) }

    private func observe(_ value: Double) {
        guard !value.isNaN else { return }
        let index = buckets.firstIndex { value <= $0 } ?? buckets.count
        state.withLock { state in
            state.counts[index] += 1
            state.sum += value
            state.count += 1
        }
    }

    func render(name: String, labels: Labels, into output: inout String) {
        let state = self.state.withLock { $0 }
        var cumulative: UInt64 = 0
        for (index, bound) in buckets.enumerated() {
            cumulative += state.counts[index]
            output += "\(name)_bucket\(labels.rendered(extra: ("le", PrometheusMetrics.format(bound)))) \(cumulative)\n"
        }
        output += "\(name)_bucket\(labels.rendered(extra: ("le", "+Inf"))) \(state.count)\n"
        output += "\(name)_sum\(labels.rendered()) \(PrometheusMetrics.format(state.sum))\n"
        output += "\(name)_count\(labels.rendered()) \(state.count)\n"
    }
}
