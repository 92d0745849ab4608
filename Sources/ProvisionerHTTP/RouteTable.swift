import Hummingbird

/// The API's routes: path templates and the methods each one answers. Used to tell 404 (no
/// such path) from 405 (the path exists, not with this method; `Allow` lists the methods) and
/// to label metrics with the template rather than the raw path (bounded cardinality).
struct RouteTable: Sendable {
    struct Route: Sendable {
        /// `/requests/{id}`
        var template: String
        var methods: [HTTPRequest.Method]
        var segments: [Substring]
    }

    private(set) var routes: [Route] = []

    mutating func add(_ template: String, _ methods: HTTPRequest.Method...) {
        routes.append(Route(template: template, methods: methods, segments: template.split(separator: "/")))
    }

    /// The route whose template matches `path`, ignoring empty segments (as the router does).
    func match(_ path: String) -> Route? {
        let segments = path.split(separator: "/")
        return routes.first { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, segment in
                    template.first == "{" || template == segment
                }
        }
    }

    /// The label used for metrics: the template, or `unmatched`.
    func label(for path: String) -> String {
        match(path)?.template ?? "unmatched"
    }
}
