#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import ProvisionerCore
import Synchronization

/// AWS Signature Version 4, `Authorization` header form (pre-signed URLs are not needed here).
///
/// The canonical request follows the AWS specification and the public test suite
/// (`aws-c-auth`'s `v4/` vectors) byte for byte:
/// - the path is the one written in the request line; with `normalizePath` (every service but
///   S3) `.`/`..` segments and empty segments are removed, then every segment is %-encoded once
///   more (so an already-encoded path ends up encoded twice, as AWS expects for non-S3 services);
/// - query parameters are given decoded, encoded with the RFC 3986 unreserved set and sorted by
///   encoded name, then encoded value;
/// - header names are lower-cased; values trimmed, runs of whitespace (folded lines included)
///   collapsed to one space; repeated names joined with `,` in their original order;
/// - the payload hash is hex SHA-256 of the body.
public struct SigV4Signer: Sendable, Hashable {
    /// The signing name (`sqs`, `sns`, `dynamodb`, `secretsmanager`).
    public var service: String
    public var region: String

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    public struct Options: Sendable, Hashable {
        /// Remove `.`/`..`/empty path segments before encoding (true for every service but S3).
        public var normalizePath: Bool
        /// Add `X-Amz-Content-SHA256` with the payload hash, and sign it.
        public var addContentSHA256Header: Bool
        /// Add `X-Amz-Security-Token` after signing instead of signing it (a few services want this).
        public var omitSessionToken: Bool

        public init(normalizePath: Bool = true, addContentSHA256Header: Bool = false, omitSessionToken: Bool = false) {
            self.normalizePath = normalizePath
            self.addContentSHA256Header = addContentSHA256Header
            self.omitSessionToken = omitSessionToken
        }
    }

    /// A request to sign.
    public struct Request: Sendable {
        public var method: String
        /// The path as written in the request line (`/` for the JSON and Query protocols).
        public var path: String
        /// Query parameters, decoded (the signer encodes them).
        public var query: [(name: String, value: String)]
        /// Headers to send, `Host` included. Existing `Authorization`, `X-Amz-Date` and (with a
        /// session token) `X-Amz-Security-Token` headers are replaced.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public init(
            method: String, path: String, query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)], body: [UInt8] = []
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
        }
    }

    /// The outcome: every intermediate string (for tests and debugging; none holds a secret)
    /// and the headers to send.
    public struct Signed: Sendable {
        public var canonicalRequest: String
        public var stringToSign: String
        /// Hex HMAC-SHA256.
        public var signature: String
        /// The `Authorization` header value.
        public var authorization: String
        /// The request's headers with `X-Amz-Date`, `X-Amz-Content-SHA256` (if asked),
        /// `X-Amz-Security-Token` (if any) and `Authorization` added.
        public var headers: [(name: String, value: String)]
    }

    /// Headers never signed: hop-by-hop headers a proxy may rewrite, and `User-Agent`
    /// (botocore's list).
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    public func sign(_ request: Request, credentials: AWSCredentials, date: Date, options: Options = Options()) -> Signed {
        let timestamp = AMZDate(date)
        let payloadHash = Hex.encode(SHA256.hash(data: request.body))

        var headers = request.headers.filter { header in
            let name = header.name.lowercased()
            if name == "authorization" || name == "x-amz-date" { return false }
            if credentials.sessionToken != nil && name == "x-amz-security-token" { return false }
            if options.addContentSHA256Header && name == "x-amz-content-sha256" { return false }
            return true
        }
        headers.append((name: "X-Amz-Date", value: timestamp.dateTime))
        if options.addContentSHA256Header {
            headers.append((name: "X-Amz-Content-SHA256", value: payloadHash))
        }
        if let token = credentials.sessionToken, !options.omitSessionToken {
            headers.append((name: "X-Amz-Security-Token", value: token))
        }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            request.method.uppercased(),
            Self.canonicalPath(request.path, normalize: options.normalizePath),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(timestamp.date)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            timestamp.dateTime,
            scope,
            Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var mac = signingMAC(secretAccessKey: credentials.secretAccessKey, date: timestamp.date)
        mac.update(data: Array(stringToSign.utf8))
        let signature = Hex.encode(mac.finalize())
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"

        if let token = credentials.sessionToken, options.omitSessionToken {
            headers.append((name: "X-Amz-Security-Token", value: token))
        }
        headers.append((name: "Authorization", value: authorization))
        return Signed(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization, headers: headers)
    }

    /// An HMAC keyed with kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    /// "aws4_request"), ready for the string to sign. Four HMACs and the keying of a fifth that
    /// change once a day (or with the credentials): kept for reuse (`HMAC` is a value; each use
    /// updates its own copy).
    func signingMAC(secretAccessKey: String, date: String) -> HMAC<SHA256> {
        let scope = SigningKeyCache.Scope(secretAccessKey: secretAccessKey, date: date, region: region, service: service)
        if let mac = SigningKeyCache.shared.mac(for: scope) { return mac }
        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        let mac = HMAC<SHA256>(key: key)
        SigningKeyCache.shared.store(mac, for: scope)
        return mac
    }

    // MARK: - Canonical parts

    /// The canonical URI: normalised (optionally), each segment %-encoded, `/` kept.
    static func canonicalPath(_ path: String, normalize: Bool) -> String {
        var path = path.isEmpty ? "/" : path
        if normalize { path = removeDotSegments(path) }
        return URIEncoding.encode(path, keepSlash: true)
    }

    /// RFC 3986 §5.2.4 dot-segment removal, also dropping empty segments (`//`), as AWS does.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !output.isEmpty { output.removeLast() }
            default: output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return leading + output.joined(separator: "/") + trailing
    }

    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query
            .map { (URIEncoding.encode($0.name, keepSlash: false), URIEncoding.encode($0.value, keepSlash: false)) }
            .sorted { lhs, rhs in
                lhs.0 == rhs.0 ? lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8) : lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The canonical headers block (each line ending in `\n`) and the signed header list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        // Lowercased names with their values, sorted by name (stable: values of a repeated name
        // keep their order), then a repeated name's values joined with commas.
        var entries: [(name: String, value: String)] = []
        entries.reserveCapacity(headers.count)
        for header in headers {
            let name = header.name.lowercased().trimmingWhitespace()
            if unsignedHeaders.contains(name) { continue }
            entries.append((name, trimAll(header.value)))
        }
        let sorted = entries.enumerated().sorted { lhs, rhs in
            lhs.element.name == rhs.element.name
                ? lhs.offset < rhs.offset : lhs.element.name.utf8.lexicographicallyPrecedes(rhs.element.name.utf8)
        }.map(\.element)
        var block = ""
        var names = ""
        var index = 0
        while index < sorted.count {
            let name = sorted[index].name
            if !names.isEmpty { names += ";" }
            names += name
            block += name
            block += ":"
            block += sorted[index].value
            index += 1
            while index < sorted.count, sorted[index].name == name {
                block += ","
                block += sorted[index].value
                index += 1
            }
            block += "\n"
        }
        return (block, names)
    }

    /// Trims a header value and collapses every run of whitespace (spaces, tabs, line breaks of
    /// folded values) into one space.
    static func trimAll(_ value: String) -> String {
        // Usually nothing to do: no whitespace but single spaces between words.
        let clean = value.utf8.withContiguousStorageIfAvailable { bytes in
            guard let first = bytes.first, let last = bytes.last else { return true }
            if first == 0x20 || last == 0x20 { return false }
            var previousSpace = false
            for byte in bytes {
                if byte == 0x20 {
                    if previousSpace { return false }
                    previousSpace = true
                } else {
                    if isASCIIWhitespace(byte) { return false }
                    previousSpace = false
                }
            }
            return true
        }
        if clean == true { return value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for byte in value.utf8 {
            if isASCIIWhitespace(byte) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        if let first = utf8.first, let last = utf8.last, !SigV4Signer.isASCIIWhitespace(first), !SigV4Signer.isASCIIWhitespace(last) {
            return self
        }
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !SigV4Signer.isASCIIWhitespace($0) }),
            let last = bytes.lastIndex(where: { !SigV4Signer.isASCIIWhitespace($0) })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

/// `X-Amz-Date` (`20150830T123600Z`) and the scope date (`20150830`) of an instant, in UTC.
struct AMZDate: Sendable, Hashable {
    var dateTime: String
    var date: String

    init(_ instant: Date) {
        let seconds = Int64((instant.timeIntervalSince1970).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilDate.from(daysSince1970: Int(days))
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        date = pad(Int64(year), 4) + pad(Int64(month), 2) + pad(Int64(day), 2)
        dateTime =
            date + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay % 3600 / 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }
}

/// RFC 3986 percent-encoding as SigV4 uses it: everything but `A-Z a-z 0-9 - _ . ~` is
/// encoded as `%XY` (upper-case hex) of its UTF-8 bytes; `/` optionally kept (paths).
public enum URIEncoding {
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Hex.upperDigits[Int(byte >> 4)])
                out.append(Hex.upperDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XY` escapes (and, with `plusAsSpace`, `+` as a space); invalid escapes stay as written.
    public static func decode(_ text: some StringProtocol, plusAsSpace: Bool = false) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = Hex.value(bytes[index + 1]), let low = Hex.value(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `application/x-www-form-urlencoded` body of the Query protocol, in the given order.
    public static func formEncode(_ parameters: [(name: String, value: String)]) -> String {
        parameters.map { encode($0.name, keepSlash: false) + "=" + encode($0.value, keepSlash: false) }
            .joined(separator: "&")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }
}

enum Hex {
    static let lowerDigits = Array("0123456789abcdef".utf8)
    static let upperDigits = Array("0123456789ABCDEF".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(lowerDigits[Int(byte >> 4)])
            out.append(lowerDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The signing keys derived lately, per secret, date, region and service (a handful: one per
/// service a process calls, renewed daily). In memory only, like the credentials they come from.
final class SigningKeyCache: Sendable {
    struct Scope: Hashable {
        var secretAccessKey: String
        var date: String
        var region: String
        var service: String
    }

    static let shared = SigningKeyCache()
    private static let capacity = 16
    private let macs = Mutex<[Scope: HMAC<SHA256>]>([:])

    func mac(for scope: Scope) -> HMAC<SHA256>? {
        macs.withLock { $0[scope] }
    }

    func store(_ mac: HMAC<SHA256>, for scope: Scope) {
        macs.withLock { macs in
            if macs.count >= Self.capacity { macs.removeAll() }
            macs[scope] = mac
        }
    }
}
