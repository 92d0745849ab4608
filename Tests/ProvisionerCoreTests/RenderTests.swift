import Foundation
import ProvisionerCore
import TestSupport
import Testing

@Suite struct RenderTests {
    @Test func stackFilesLiveUnderTheStackPath() throws {
        for (_, plan) in try Fixtures.goldenCases() {
            let files = TerraformRenderer.render(plan)
            #expect(files.map { String($0.path.split(separator: "/").last!) } == [
                "versions.tf", "providers.tf", "main.tf", "outputs.tf", "stack.json",
            ])
            #expect(files.allSatisfy { $0.path.hasPrefix(plan.stackPath + "/") && !$0.path.contains("..") })
            let main = files[2].contents
            #expect(main.contains("source = \"../../../terraform/modules/aurora-cluster\""))
            let versions = files[0].contents
            #expect(versions.contains("key          = \"\(plan.stackPath)/terraform.tfstate\""))
            #expect(versions.contains("use_lockfile = true"))
            let metadata = try JSONDecoder().decode(StackMetadata.self, from: Data(files[4].contents.utf8))
            #expect(metadata.requestId == plan.requestId && metadata.request == plan.request && metadata.profile == plan.profile)
        }
    }

    @Test func credentialsModesNeverRenderAPassword() throws {
        var profile = ProfileSet.builtIn.profile(named: "Prod")!
        let managed = TerraformRenderer.render(try Fixtures.plan("orders", .postgresql, in: profile))[2].contents
        #expect(managed.contains("credentials_mode = \"managed\""))
        profile.credentials.mode = .sharedSecret
        let shared = TerraformRenderer.render(try Fixtures.plan("orders", .postgresql, in: profile))[2].contents
        #expect(shared.contains("shared_secret_name = \"rds-credentials\""))
        #expect(!shared.contains("password") && !managed.contains("password"))
    }

    @Test func pullRequestTextEscapesUserText() throws {
        let prod = ProfileSet.builtIn.profile(named: "Prod")!
        // Owners are tag values, so they cannot hold < or [; the escaper still handles them.
        let plan = try Fixtures.plan("orders", .postgresql, in: prod, owner: "@org/admins")
        let text = PullRequestText(plan: plan, files: TerraformRenderer.render(plan))
        #expect(text.body.contains("owner **\\@org/admins**"))
        #expect(text.labels == ["rds-provisioner", "env:prod", "engine:postgresql"])
        #expect(text.title == "Provision Aurora PostgreSQL database orders in Prod")
        #expect(text.commitMessage.hasPrefix("Provision Aurora PostgreSQL database orders in Prod\n\nRequest: \(Fixtures.requestId)\n"))
        #expect(Markdown.escape("<img src=x onerror=alert(1)>[link](http://x)|\n*b*")
            == "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;\\[link\\]\\(http\\://x\\)\\| \\*b\\*")
    }

    /// `terraform fmt -check` over a laid-out infrastructure repository: the module and every
    /// golden stack.
    @Test func renderedStacksAndModuleAreFormatted() throws {
        let repository = try Fixtures.infraRepository(try Fixtures.goldenCases().map(\.plan))
        let result = try ProcessRunner.run("terraform", ["fmt", "-check", "-recursive", "-diff", "-no-color"], in: repository)
        #expect(result.status == 0, "terraform fmt would change:\n\(result.stdout)\(result.stderr)")
    }

    /// Every module input and output says what it is; every input that takes a bounded value
    /// checks it.
    @Test func moduleInputsAndOutputsAreDescribed() throws {
        let module = TestEnvironment.repositoryRoot.appendingPathComponent(TerraformRenderer.modulePath)
        for file in ["variables.tf", "outputs.tf"] {
            let text = try String(contentsOf: module.appendingPathComponent(file), encoding: .utf8)
            let blocks = text.components(separatedBy: "\n}\n").filter { $0.contains("variable \"") || $0.contains("output \"") }
            #expect(blocks.count >= 10, "\(file)")
            for block in blocks {
                let name = block.firstMatch(of: /(variable|output) "([a-z0-9_]+)"/).map { String($0.2) } ?? "?"
                #expect(block.contains("description = \""), "\(file): \(name) has no description")
                if file == "variables.tf", block.contains("type        = string") || block.contains("type        = number") {
                    #expect(block.contains("validation {"), "\(name) takes any value: add a validation")
                }
            }
        }
    }

    /// The embedded template (scripts/embed-terraform-module) is exactly the module directory
    /// and infra-repo-template/ on disk: same paths, same contents, same executable bits.
    @Test func embeddedTemplateMatchesTheFilesOnDisk() throws {
        let root = TestEnvironment.repositoryRoot
        let sources = [
            (directory: root.appendingPathComponent(TerraformRenderer.modulePath), prefix: TerraformRenderer.modulePath + "/"),
            (directory: root.appendingPathComponent("infra-repo-template"), prefix: ""),
        ]
        var onDisk = [String: (url: URL, executable: Bool)]()
        for source in sources {
            let enumerator = try #require(FileManager.default.enumerator(at: source.directory, includingPropertiesForKeys: [.isRegularFileKey]))
            for case let url as URL in enumerator {
                let relative = String(url.standardizedFileURL.path.dropFirst(source.directory.standardizedFileURL.path.count + 1))
                let isFile = try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true
                let skipped = relative.contains("__pycache__") || (source.prefix != "" && url.lastPathComponent.hasPrefix("."))
                if isFile, !skipped {
                    onDisk[source.prefix + relative] = (url, FileManager.default.isExecutableFile(atPath: url.path))
                }
            }
        }
        let embedded = InfraRepositoryTemplate.files
        #expect(embedded.map(\.path) == onDisk.keys.sorted(), "run scripts/embed-terraform-module")
        for file in embedded {
            guard let disk = onDisk[file.path] else { continue }
            #expect(try String(contentsOf: disk.url, encoding: .utf8) == file.contents,
                "\(file.path) differs from its embedded copy: run scripts/embed-terraform-module")
            #expect(InfraRepositoryTemplate.executablePaths.contains(file.path) == disk.executable,
                "\(file.path): executable bit differs from the embedded template: run scripts/embed-terraform-module")
        }
        for expected in ["README.md", ".gitignore", ".github/CODEOWNERS", ".circleci/config.yml", ".circleci/continue.yml",
                         "scripts/changed-stacks", "terraform/modules/aurora-cluster/main.tf"] {
            #expect(embedded.contains { $0.path == expected }, "\(expected) is missing from the template")
        }
        #expect(InfraRepositoryTemplate.executablePaths == ["scripts/changed-stacks", "scripts/post-plan-comment", "scripts/terraform-stacks"])
    }
}
