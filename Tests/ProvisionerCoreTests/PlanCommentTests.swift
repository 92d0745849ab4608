import Foundation
import ProvisionerCore
import Testing
import TestSupport

/// scripts/post-plan-comment of the infrastructure repository template, against a recording
/// HTTP server on 127.0.0.1 that checks request bodies against GitHub's description of
/// "create an issue comment" (../shared/testdata/github/openapi-subset.json), and
/// scripts/terraform-stacks with stand-in terraform and checkov executables.
struct PlanCommentTests {
    static let scripts = TestEnvironment.repositoryRoot.appendingPathComponent("infra-repo-template/scripts")
    static let token = "ghs_secretTokenThatMustNotLeak123"

    /// Records every request (method, path, Authorization, body) as one JSON line, and answers
    /// with `status`.
    static let recorder = #"""
        import json, signal, sys
        from http.server import BaseHTTPRequestHandler, HTTPServer
        import jsonschema
        spec, log, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
        with open(spec, encoding="utf-8") as handle:
            operation = json.load(handle)["operations"]["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"]
        schema = operation["requestBody"]["schema"]
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw)
                problems = [error.message for error in jsonschema.Draft4Validator(schema).iter_errors(body)]
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"method": "POST", "path": self.path, "problems": problems,
                        "authorization": self.headers.get("Authorization"), "body": body}) + "\n")
                code = 422 if problems else status
                answer = {"html_url": "https://github.com/acme/infra/pull/7#issuecomment-1"} if code == 201 else {"message": "Bad credentials"}
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def log_message(self, *arguments):
                pass
        # Started from a test thread, the process inherits a mask blocking SIGTERM: unblock it.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        server = HTTPServer(("127.0.0.1", 0), Handler)
        print(f"recorder listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
        server.serve_forever()
        """#

    struct Recorder {
        let server: ServerProcess
        let url: String
        let log: URL

        init(status: Int = 201) async throws {
            let directory = try TestEnvironment.makeTemporaryDirectory("plan-comment")
            let script = directory.appendingPathComponent("recorder.py")
            try PlanCommentTests.recorder.write(to: script, atomically: true, encoding: .utf8)
            log = directory.appendingPathComponent("requests.jsonl")
            let spec = TestEnvironment.sharedTestData.appendingPathComponent("github/openapi-subset.json")
            server = try ServerProcess(try TestEnvironment.pythonTool("python"), [script.path, spec.path, log.path, String(status)])
            guard let line = await server.waitForLine(containing: "recorder listening on ") else {
                throw TestSupportError("the recorder did not start: \(server.output.joined(separator: "\n"))")
            }
            url = String(line.split(separator: " ").last!)
        }

        func requests() throws -> [[String: Any]] {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
    }

    /// A report directory as scripts/terraform-stacks writes it.
    static func reports(_ sections: [(file: String, text: String)]) throws -> URL {
        let directory = try TestEnvironment.makeTemporaryDirectory("plan-report")
        for section in sections {
            try section.text.write(to: directory.appendingPathComponent(section.file), atomically: true, encoding: .utf8)
        }
        return directory
    }

    static func post(_ reports: URL, api: String, pullRequest: String? = "https://github.com/acme/infra/pull/7") throws -> ProcessResult {
        var environment = ["GITHUB_API_URL": api, "GITHUB_TOKEN": token, "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/infra/42",
                           "CIRCLE_PULL_REQUEST": pullRequest ?? ""]
        if pullRequest == nil { environment["CIRCLE_PULL_REQUEST"] = "" }
        return try ProcessRunner.run(scripts.appendingPathComponent("post-plan-comment").path, [reports.path], environment: environment)
    }

    @Test func postsOneCommentWithEveryStacksPlan() async throws {
        let recorder = try await Recorder()
        defer { _ = recorder.server.stop() }
        let reports = try Self.reports([
            ("dev-orders.txt", "plan stacks/dev/orders: ok\n  # module.aurora_cluster.aws_rds_cluster.this will be created\nPlan: 12 to add, 0 to change, 0 to destroy.\n"),
            ("dev-legacy.txt", "destroy stacks/dev/legacy: ok\nPlan: 0 to add, 0 to change, 9 to destroy.\n"),
        ])
        let result = try Self.post(reports, api: recorder.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains(Self.token))
        let requests = try recorder.requests()
        try #require(requests.count == 1)
        #expect(requests[0]["path"] as? String == "/repos/acme/infra/issues/7/comments")
        #expect(requests[0]["authorization"] as? String == "Bearer \(Self.token)")
        #expect((requests[0]["problems"] as? [String])?.isEmpty == true, "\(requests[0])")
        let body = try #require((requests[0]["body"] as? [String: Any])?["body"] as? String)
        #expect(body.contains("<summary>destroy stacks/dev/legacy: ok</summary>"))
        #expect(body.contains("<summary>plan stacks/dev/orders: ok</summary>"))
        #expect(body.contains("Plan: 12 to add, 0 to change, 0 to destroy."))
        #expect(body.contains("https://circleci.com/gh/acme/infra/42"))
        #expect(body.range(of: "dev/legacy")!.lowerBound < body.range(of: "dev/orders")!.lowerBound, "sections sorted by file name")
    }

    @Test func longPlansAreCutToGitHubsLimitKeepingTheirSummaries() async throws {
        let recorder = try await Recorder()
        defer { _ = recorder.server.stop() }
        let long = (1...4000).map { "  + resource line \($0) with some padding to make it longer than usual" }.joined(separator: "\n")
        let reports = try Self.reports([
            ("a.txt", "plan stacks/dev/a: ok\n" + long + "\nPlan: 4000 to add, 0 to change, 0 to destroy.\n"),
            ("b.txt", "plan stacks/dev/b: ok\n" + long + "\nPlan: 4001 to add, 0 to change, 0 to destroy.\n"),
            ("c.txt", "plan stacks/dev/c: ok\nNo changes. Your infrastructure matches the configuration.\n"),
        ])
        let result = try Self.post(reports, api: recorder.url)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let requests = try recorder.requests()
        try #require(requests.count == 1)
        let body = try #require((requests[0]["body"] as? [String: Any])?["body"] as? String)
        #expect(body.count <= 65536, "\(body.count) characters")
        #expect(body.count > 50000, "the budget is used, not wasted: \(body.count)")
        #expect(body.contains("Plan: 4000 to add") && body.contains("Plan: 4001 to add"), "summaries kept")
        #expect(body.contains("No changes. Your infrastructure matches the configuration."), "short sections kept whole")
        #expect(body.contains("  + resource line 1 with"), "beginnings kept")
        #expect(body.contains("lines cut (full plan: the artifacts of https://circleci.com/gh/acme/infra/42)"))
    }

    @Test func failuresAreReportedWithoutTheToken() async throws {
        let recorder = try await Recorder(status: 401)
        defer { _ = recorder.server.stop() }
        let reports = try Self.reports([("x.txt", "plan stacks/dev/x: ok\nPlan: 1 to add\n")])
        let result = try Self.post(reports, api: recorder.url)
        #expect(result.status == 1)
        #expect(result.stderr.contains("GitHub answered 401") && result.stderr.contains("Bad credentials"), "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains(Self.token))

        // Nothing listening: a clear error, no token.
        let closed = try Self.post(reports, api: "http://127.0.0.1:9")
        #expect(closed.status == 1)
        #expect(closed.stderr.contains("cannot reach http://127.0.0.1:9"), "\(closed.stderr)")
        #expect(!(closed.stdout + closed.stderr).contains(Self.token))
    }

    @Test func withoutAPullRequestOrWithoutPlansNothingIsPosted() async throws {
        let recorder = try await Recorder()
        defer { _ = recorder.server.stop() }
        let reports = try Self.reports([("x.txt", "plan stacks/dev/x: ok\n")])
        let branch = try Self.post(reports, api: recorder.url, pullRequest: nil)
        #expect(branch.status == 0 && branch.stdout.contains("no pull request"), "\(branch.stdout)\(branch.stderr)")
        let empty = try Self.post(try Self.reports([]), api: recorder.url)
        #expect(empty.status == 0 && empty.stdout.contains("nothing posted"), "\(empty.stdout)\(empty.stderr)")
        #expect(try recorder.requests().isEmpty)
    }

    // MARK: scripts/terraform-stacks

    /// terraform and checkov stand-ins that log their arguments; `validate` fails in a directory
    /// whose path contains "broken".
    static func standIns() throws -> URL {
        let bin = try TestEnvironment.makeTemporaryDirectory("stand-ins")
        let terraform = """
            #!/bin/sh
            echo "terraform $* in $(pwd)" >> "$CALLS"
            case "$(pwd):$1" in *broken*:validate) echo "Error: Unsupported argument"; exit 1 ;; esac
            if [ "$1" = show ]; then echo "Plan: 1 to add, 0 to change, 0 to destroy. ($(pwd))"; fi
            exit 0

            """
        let checkov = "#!/bin/sh\necho \"checkov $* in $(pwd)\" >> \"$CALLS\"\n"
        for (name, text) in [("terraform", terraform), ("checkov", checkov)] {
            let url = bin.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        return bin
    }

    @Test func terraformStacksRunsEveryStepPerStackAndKeepsGoingAfterAFailure() throws {
        let bin = try Self.standIns()
        let repository = try InfraPipelineTests.Repository(stacks: ["stacks/dev/orders", "stacks/dev/broken", "stacks/dev/legacy"])
        try repository.git("rm", "-r", "--quiet", "stacks/dev/legacy")
        try repository.commit("remove legacy")
        let calls = repository.path.appendingPathComponent("calls.log")
        let result = try ProcessRunner.run(
            Self.scripts.appendingPathComponent("terraform-stacks").path, ["plan", "report"], in: repository.path,
            environment: [
                "PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "CALLS": calls.path, "PLAN_STACKS": "stacks/dev/orders stacks/dev/broken", "DESTROY_STACKS": "stacks/dev/legacy",
                "BASE_REVISION": "HEAD^",
            ])
        #expect(result.status == 1, "one stack failed: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("plan stacks/dev/orders: ok"))
        #expect(result.stdout.contains("plan stacks/dev/broken: FAILED at terraform validate"))
        #expect(result.stdout.contains("destroy stacks/dev/legacy: ok"), "the failure did not stop the next stack")
        let log = try String(contentsOf: calls, encoding: .utf8)
        let orders = log.split(separator: "\n").filter { $0.hasSuffix("/stacks/dev/orders") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(orders == ["terraform fmt", "terraform init", "terraform validate", "checkov --directory", "terraform plan", "terraform show"])
        #expect(log.contains("terraform plan -destroy -input=false -no-color -lock=false -out="), "\(log)")
        #expect(log.contains("/.removed/dev-legacy/stacks/dev/legacy"), "the removed stack is planned from BASE's files")
        let reports = repository.path.appendingPathComponent("report")
        #expect(try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted() == ["dev-broken.txt", "dev-legacy.txt", "dev-orders.txt"])
        let broken = try String(contentsOf: reports.appendingPathComponent("dev-broken.txt"), encoding: .utf8)
        #expect(broken.hasPrefix("plan stacks/dev/broken: FAILED at terraform validate\n") && broken.contains("Error: Unsupported argument"))
        let orderReport = try String(contentsOf: reports.appendingPathComponent("dev-orders.txt"), encoding: .utf8)
        #expect(orderReport.hasPrefix("plan stacks/dev/orders: ok\nPlan: 1 to add"), "\(orderReport)")
    }
}
