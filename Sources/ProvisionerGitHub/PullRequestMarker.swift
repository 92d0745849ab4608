/// The machine-readable marker the publisher puts at the end of every pull request body:
/// `<!-- rds-provisioner:request-id=… -->` (an HTML comment: invisible on GitHub). A redelivery
/// or a racing worker that finds the pull request reads the id of the request that opened it.
public enum PullRequestMarker {
    static let prefix = "<!-- rds-provisioner:request-id="
    static let suffix = " -->"

    /// The marker for `requestId` (characters other than letters, digits and `-._~` are
    /// percent-encoded, so the id can never close the comment).
    public static func marker(for requestId: String) -> String {
        prefix + URLEscaping.escape(requestId) + suffix
    }

    /// `body` with the marker appended.
    public static func body(_ body: String, requestId: String) -> String {
        body.isEmpty ? marker(for: requestId) : body + "\n\n" + marker(for: requestId)
    }

    /// The request id of the last marker in `body`; nil when there is none (a pull request
    /// someone opened by hand) or it is malformed.
    public static func requestId(in body: String?) -> String? {
        guard let body, let start = body.ranges(of: prefix).last else { return nil }
        let rest = body[start.upperBound...]
        guard let end = rest.firstRange(of: suffix) else { return nil }
        return percentDecoded(rest[..<end.lowerBound])
    }

    private static func percentDecoded(_ text: Substring) -> String? {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%".utf8)
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard allowed.contains(byte) else { return nil }
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        guard !bytes.isEmpty else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
