import Foundation
@testable import ProvisionerLocalGit
import Testing
import TestSupport

/// Objects written without git must be exactly what git writes: the same ids, readable by git,
/// passing `git fsck --strict`, in SHA-1 and SHA-256 repositories.
struct LooseObjectWriterTests {
    /// Random bytes of `count` (stored blocks hold at most 65,535 bytes, so sizes around it: a
    /// blob of 65,524 bytes plus its 11-byte header fills one block exactly).
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func repository(_ format: String) throws -> URL {
        let directory = try TestEnvironment.makeTemporaryDirectory("loose-\(format)")
        try Git.run(["init", "--quiet", "--object-format=\(format)", directory.path], in: directory)
        return directory
    }

    @Test(arguments: ["sha1", "sha256"])
    func idsAndContentsAreGitsOwn(format: String) throws {
        let directory = try repository(format)
        defer { try? FileManager.default.removeItem(at: directory) }
        let gitDirectory = directory.appendingPathComponent(".git").path
        #expect(GitObjectSession.objectFormatIsSHA256(gitDirectory: gitDirectory) == (format == "sha256"))
        let writer = LooseObjectWriter(objectsDirectory: gitDirectory + "/objects")
        let hashLength = format == "sha256" ? 32 : 20
        for (index, size) in [0, 1, 100, 65_524, 65_525, 65_535, 65_536, 65_537, 131_059, 131_071, 400_000].enumerated() {
            let content = Self.bytes(size, seed: UInt64(index))
            let id = try writer.write(content, type: "blob", hashLength: hashLength)
            let file = directory.appendingPathComponent("content-\(index)")
            try Data(content).write(to: file)
            let expected = try Git.run(["hash-object", "-t", "blob", file.path], in: directory)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hex == expected, "size \(size)")
            #expect(try Git.run(["cat-file", "-s", id.hex], in: directory).trimmingCharacters(in: .newlines) == "\(size)")
            // Writing it again finds it there.
            #expect(try writer.write(content, type: "blob", hashLength: hashLength) == id)
        }
        // A tree and a commit built on those objects: git reads and checks them all.
        let blob = try writer.write(Array("hello\n".utf8), type: "blob", hashLength: hashLength)
        let tree = try writer.write(Array("100644 hello.txt\0".utf8) + blob.raw, type: "tree", hashLength: hashLength)
        let commit = try writer.write(
            Array("tree \(tree.hex)\nauthor a <a@b> 1700000000 +0000\ncommitter a <a@b> 1700000000 +0000\n\nm\n".utf8),
            type: "commit", hashLength: hashLength)
        try Git.run(["update-ref", "refs/heads/main", commit.hex], in: directory)
        #expect(try Git.run(["show", "main:hello.txt"], in: directory) == "hello\n")
        let fsck = try Git.result(["fsck", "--strict", "--full", "--no-dangling"], in: directory)
        #expect(fsck.status == 0, "\(fsck.stderr)")
        #expect(!fsck.stdout.contains("error") && !fsck.stderr.contains("error"), "\(fsck.stdout)\(fsck.stderr)")
    }

    @Test func adler32MatchesTheRFCsDefinition() {
        #expect(LooseObjectWriter.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(LooseObjectWriter.adler32([]) == 1)
        // Long runs of 0xFF exercise the deferred modulo.
        let ones = [UInt8](repeating: 0xFF, count: 100_000)
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in ones {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        #expect(LooseObjectWriter.adler32(ones) == b << 16 | a)
    }
}
