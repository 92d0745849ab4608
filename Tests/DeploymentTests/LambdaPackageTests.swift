import Foundation
import Testing
import TestSupport

/// The Makefile target `sam build` calls (`build-ProvisionerFunction`). `make test` runs it for
/// the host in debug before `swift test` (`make lambda-package`: the same recipe, reusing the
/// test build, into .build/lambda-package); these tests check what it packaged. The packaged
/// binary is the one ProvisionerAWSTests' LambdaBootstrapTests run under a Runtime API emulator
/// (.build/debug/bootstrap, which the target builds and copies).
@Suite struct LambdaPackageTests {
    static var packaged: URL { DeploymentFiles.root.appendingPathComponent(".build/lambda-package/bootstrap") }

    static func packagedBootstrap() throws -> URL {
        guard FileManager.default.fileExists(atPath: packaged.path) else {
            throw TestSupportError("\(packaged.path) is missing: run `make lambda-package` (make test does it before swift test)")
        }
        return packaged
    }

    @Test func packagedBootstrapIsAnExecutableForThisMachine() throws {
        let bootstrap = try Self.packagedBootstrap()
        #expect(bootstrap.lastPathComponent == "bootstrap")
        #expect(FileManager.default.isExecutableFile(atPath: bootstrap.path))
        let handle = try FileHandle(forReadingFrom: bootstrap)
        defer { try? handle.close() }
        let header = [UInt8](try handle.read(upToCount: 20) ?? Data())
        #expect(header.prefix(4) == [0x7F, 0x45, 0x4C, 0x46], "not an ELF file")
        #expect(header.count == 20 && header[4] == 2, "not a 64-bit ELF file")
        let machine = UInt16(header[18]) | UInt16(header[19]) << 8
        #if arch(x86_64)
        #expect(machine == 62)  // EM_X86_64
        #elseif arch(arm64)
        #expect(machine == 183)  // EM_AARCH64
        #endif
    }

    /// The Swift runtime and Foundation are linked in (`--static-swift-stdlib`): what the binary
    /// still needs from the system is in every Amazon Linux 2023 image.
    @Test func packagedBootstrapNeedsOnlySystemLibraries() throws {
        let result = try ProcessRunner.run("readelf", ["-d", try Self.packagedBootstrap().path])
        #expect(result.status == 0, "\(result.stderr)")
        let needed = result.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line -> String? in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        #expect(!needed.isEmpty)
        let system: Set<String> = [
            "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
            "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
        ]
        #expect(needed.filter { !system.contains($0) } == [], "libraries Amazon Linux 2023 does not have")
    }

    /// Started outside Lambda it stops at once with a clear message (nothing heavy happens first).
    @Test func packagedBootstrapRefusesToRunOutsideLambda() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_LAMBDA_RUNTIME_API"] = nil
        let process = Process()
        process.executableURL = try Self.packagedBootstrap()
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.contains("AWS_LAMBDA_RUNTIME_API is not set"), "\(text)")
    }

    static func make(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run("make", ["--no-print-directory"] + arguments, in: DeploymentFiles.root)
    }

    @Test func targetRequiresAnArtifactsDirectory() throws {
        let result = try Self.make(["build-ProvisionerFunction", "ARTIFACTS_DIR="])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ARTIFACTS_DIR is not set"))
    }

    /// What sam build runs (release, static Swift runtime) and the Static Linux SDK route
    /// (dry runs: `make -n` prints the recipe).
    @Test func targetBuildsReleaseStaticOrWithTheStaticSDK() throws {
        let sam = try Self.make(["-n", "build-ProvisionerFunction", "ARTIFACTS_DIR=/tmp/sam-artifacts", "SWIFT=swift"])
        #expect(sam.status == 0, "\(sam.stderr)")
        #expect(sam.stdout.contains("swift build --product bootstrap -c release --static-swift-stdlib"), "\(sam.stdout)")
        #expect(sam.stdout.contains("/bootstrap\" \"/tmp/sam-artifacts/bootstrap\""))
        // Release builds use -O (BENCHMARKS.md: less CPU per message, memory still inside the target).
        #expect(!sam.stdout.contains("-Osize") && !sam.stdout.contains("-Onone"), "\(sam.stdout)")
        let size = try Self.make([
            "-n", "build-ProvisionerFunction", "ARTIFACTS_DIR=/tmp/sam-artifacts", "SWIFT=swift", "LAMBDA_OPTIMIZATION=-Xswiftc -Osize",
        ])
        #expect(size.stdout.contains("-c release --static-swift-stdlib") && size.stdout.contains("-Xswiftc -Osize"), "\(size.stdout)")
        let sdk = try Self.make([
            "-n", "build-ProvisionerFunction", "ARTIFACTS_DIR=/tmp/sam-artifacts", "SWIFT=swift",
            "SWIFT_SDK=aarch64-swift-linux-musl",
        ])
        #expect(sdk.stdout.contains("swift build --product bootstrap -c release --swift-sdk aarch64-swift-linux-musl"), "\(sdk.stdout)")
        #expect(!sdk.stdout.contains("--static-swift-stdlib"))
    }
}
