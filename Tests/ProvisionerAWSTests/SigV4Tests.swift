import Foundation
import ProvisionerAWS
import Testing
import TestSupport

/// One case of AWS's SigV4 test suite (`../shared/testdata/sigv4/v4/<name>/`).
struct SigV4Case: CustomTestStringConvertible, Sendable {
    var name: String
    var directory: URL
    var testDescription: String { name }

    static let root = TestEnvironment.sharedTestData.appendingPathComponent("sigv4/v4")

    static var all: [SigV4Case] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { SigV4Case(name: $0, directory: root.appendingPathComponent($0)) }
    }

    func text(_ file: String) throws -> String {
        var text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    struct Context: Decodable {
        struct Credentials: Decodable {
            var access_key_id: String
            var secret_access_key: String
            var token: String?
        }
        var credentials: Credentials
        var region: String
        var service: String
        var timestamp: String
        var normalize: Bool
        var sign_body: Bool
        var omit_session_token: Bool?
    }

    func context() throws -> Context {
        try JSONDecoder().decode(Context.self, from: Data(contentsOf: directory.appendingPathComponent("context.json")))
    }

    /// `request.txt`: `METHOD target HTTP/1.1`, `Name:value` lines (a line starting with
    /// whitespace continues the previous value), a blank line, the body.
    func request() throws -> SigV4Signer.Request {
        let raw = try String(contentsOf: directory.appendingPathComponent("request.txt"), encoding: .utf8)
        let (head, body): (Substring, Substring)
        if let blank = raw.range(of: "\n\n") {
            (head, body) = (raw[..<blank.lowerBound], raw[blank.upperBound...])
        } else {
            (head, body) = (Substring(raw), "")
        }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = lines.removeFirst()
        let method = String(requestLine[..<requestLine.firstIndex(of: " ")!])
        let target = requestLine[requestLine.index(after: requestLine.firstIndex(of: " ")!)..<requestLine.lastIndex(of: " ")!]
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t" {
                headers[headers.count - 1].value += "\n" + line
            } else {
                let colon = line.firstIndex(of: ":")!
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
        }
        let path: Substring
        var query: [(name: String, value: String)] = []
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((URIEncoding.decode(parts[0]), parts.count > 1 ? URIEncoding.decode(parts[1]) : ""))
            }
        } else {
            path = target
        }
        return SigV4Signer.Request(method: method, path: String(path), query: query, headers: headers, body: Array(body.utf8))
    }
}

struct SigV4VectorTests {
    static let cases = SigV4Case.all

    @Test func theWholeSuiteIsThere() {
        #expect(Self.cases.count == 38, "expected AWS's 38 SigV4 cases under \(SigV4Case.root.path)")
    }

    @Test(arguments: cases)
    func canonicalRequestStringToSignAndSignatureMatch(_ testCase: SigV4Case) throws {
        let context = try testCase.context()
        let credentials = AWSCredentials(
            accessKeyId: context.credentials.access_key_id, secretAccessKey: context.credentials.secret_access_key,
            sessionToken: context.credentials.token)
        let date = try #require(ISO8601DateFormatter().date(from: context.timestamp))
        let signer = SigV4Signer(service: context.service, region: context.region)
        let signed = signer.sign(
            try testCase.request(), credentials: credentials, date: date,
            options: .init(
                normalizePath: context.normalize, addContentSHA256Header: context.sign_body,
                omitSessionToken: context.omit_session_token ?? false))

        #expect(signed.canonicalRequest == (try testCase.text("header-canonical-request.txt")))
        #expect(signed.stringToSign == (try testCase.text("header-string-to-sign.txt")))
        #expect(signed.signature == (try testCase.text("header-signature.txt")))

        // The signed request carries the same Authorization, X-Amz-Date and token headers.
        let expected = try testCase.text("header-signed-request.txt").split(separator: "\n").dropFirst()
            .compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]).lowercased(), String(line[line.index(after: colon)...]))
            }
        for name in ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"] {
            let want = expected.filter { $0.0 == name }.map(\.1)
            let got = signed.headers.filter { $0.name.lowercased() == name }.map(\.value)
            #expect(got == want, "\(name)")
        }
    }

    @Test func signingKeyDerivationMatchesTheDocumentedExample() throws {
        // AWS's documentation example (IAM ListUsers), independent of the suite above.
        let signer = SigV4Signer(service: "iam", region: "us-east-1")
        let request = SigV4Signer.Request(
            method: "GET", path: "/", query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "iam.amazonaws.com"),
            ])
        let date = try #require(ISO8601DateFormatter().date(from: "2015-08-30T12:36:00Z"))
        let signed = signer.sign(
            request,
            credentials: AWSCredentials(
                accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            date: date)
        #expect(signed.signature == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }
}


struct SigV4BotocoreCrossCheckTests {
    static let seed: UInt64 = 0x5167_3444
    static let count = 300

    struct Spec: Codable {
        var method: String
        var host: String
        var path: String
        var query: [[String]]
        var headers: [[String]]
        var body_base64: String
        var access_key: String
        var secret_key: String
        var token: String?
        var region: String
        var service: String
        var timestamp: String
    }

    struct Answer: Codable {
        var authorization: String
        var canonical_request: String
    }

    /// A Python with botocore: the project's .venv first, then the system one.
    static func python() throws -> String {
        let candidates = [TestEnvironment.repositoryRoot.appendingPathComponent(".venv/bin/python3").path, "python3"]
        for candidate in candidates {
            if candidate.hasPrefix("/") && !FileManager.default.isExecutableFile(atPath: candidate) { continue }
            if let result = try? ProcessRunner.run(candidate, ["-c", "import botocore"]), result.status == 0 {
                return candidate
            }
        }
        throw TestSupportError("no python3 with botocore (run `make venv`)")
    }

    static func randomString(_ alphabet: [String], length: ClosedRange<Int>, using rng: inout SeededGenerator) -> String {
        (0..<Int.random(in: length, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
    }

    static func makeSpecs() -> [Spec] {
        var rng = SeededGenerator(seed: seed)
        let letters = (Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")).map(String.init)
        // Path characters: unreserved, reserved (but not ? and #, which end a URL path), spaces,
        // percent signs and non-ASCII.
        let pathAlphabet = letters + ["-", "_", ".", "~", " ", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@",
            "%", "é", "ሴ", "日本", "😀", "[", "]", "\"", "<", ">", "^", "`", "{", "|", "}", "\\"]
        let queryAlphabet = pathAlphabet + ["?", "#", "/", "&", "="]
        let valueAlphabet = letters + [" ", "  ", "\t", "-", "_", ".", "~", "!", "\"", "(", ")", ",", ";", ":", "/", "=", "@"]
        let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]
        let hosts = ["example.amazonaws.com", "sqs.eu-west-1.amazonaws.com", "127.0.0.1:4566", "localhost:8080"]
        let services = [("sqs", "eu-west-1"), ("dynamodb", "us-east-1"), ("sns", "ap-southeast-2"), ("secretsmanager", "us-west-2")]
        var specs: [Spec] = []
        for _ in 0..<count {
            let segments = (0..<Int.random(in: 0...4, using: &rng)).map { _ -> String in
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: "."
                case 1: ".."
                case 2: ""
                default: randomString(pathAlphabet, length: 1...8, using: &rng)
                }
            }
            var path = "/" + segments.joined(separator: "/")
            if Bool.random(using: &rng) && !segments.isEmpty { path += "/" }
            let query = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                [randomString(queryAlphabet, length: 1...6, using: &rng), randomString(queryAlphabet, length: 0...6, using: &rng)]
            }
            let host = hosts.randomElement(using: &rng)!
            var headers = [["Host", host]]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let base = "X-Test-" + randomString(letters, length: 1...2, using: &rng)
                let name = Bool.random(using: &rng) ? base.lowercased() : base
                let value =
                    (Bool.random(using: &rng) ? "  " : "") + randomString(valueAlphabet, length: 0...12, using: &rng)
                    + (Bool.random(using: &rng) ? " \t" : "")
                headers.append([name, value])
                if Int.random(in: 0..<4, using: &rng) == 0 { headers.append([name.uppercased(), "again  and\tagain"]) }
            }
            if Bool.random(using: &rng) { headers.append(["Content-Type", "application/x-amz-json-1.0"]) }
            headers.shuffle(using: &rng)
            let body = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let (service, region) = services.randomElement(using: &rng)!
            let seconds = Int.random(in: 1_400_000_000...1_900_000_000, using: &rng)
            specs.append(
                Spec(
                    method: methods.randomElement(using: &rng)!, host: host, path: path, query: query, headers: headers,
                    body_base64: Data(body).base64EncodedString(), access_key: "AKID" + randomString(letters, length: 16...16, using: &rng),
                    secret_key: randomString(letters + ["/", "+"], length: 40...40, using: &rng),
                    token: Bool.random(using: &rng) ? randomString(letters + ["/", "+", "="], length: 20...200, using: &rng) : nil,
                    region: region, service: service, timestamp: timestamp(seconds)))
        }
        return specs
    }

    static func timestamp(_ seconds: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    @Test func randomisedRequestsSignExactlyAsBotocoreSigns() throws {
        let specs = Self.makeSpecs()
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("tools/botocore_sigv4.py").path
        let input = String(decoding: try JSONEncoder().encode(specs), as: UTF8.self)
        let result = try ProcessRunner.run(try Self.python(), [script], input: input)
        try #require(result.status == 0, "botocore_sigv4.py failed: \(result.stderr)")
        let answers = try JSONDecoder().decode([Answer].self, from: Data(result.stdout.utf8))
        try #require(answers.count == specs.count)

        var matched = 0
        for (index, (spec, answer)) in zip(specs, answers).enumerated() {
            let parser = ISO8601DateFormatter()
            parser.formatOptions = [.withYear, .withMonth, .withDay, .withTime, .withTimeZone]
            let date = try #require(parser.date(from: spec.timestamp))
            let signed = SigV4Signer(service: spec.service, region: spec.region).sign(
                SigV4Signer.Request(
                    method: spec.method, path: spec.path, query: spec.query.map { ($0[0], $0[1]) },
                    headers: spec.headers.map { ($0[0], $0[1]) }, body: Array(Data(base64Encoded: spec.body_base64)!)),
                credentials: AWSCredentials(accessKeyId: spec.access_key, secretAccessKey: spec.secret_key, sessionToken: spec.token),
                date: date)
            #expect(signed.canonicalRequest == answer.canonical_request, "case \(index) (seed \(Self.seed))")
            #expect(signed.authorization == answer.authorization, "case \(index) (seed \(Self.seed))")
            if signed.authorization == answer.authorization { matched += 1 }
        }
        #expect(matched == Self.count)
    }
}
