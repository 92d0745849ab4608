import Crypto
import Foundation

/// Writes git objects straight into the repository's object directory as loose objects, the
/// way git itself stores them: `objects/<2 hex>/<rest>` holding the zlib stream of
/// `<type> <size>\0<content>`. The stream uses stored (uncompressed) deflate blocks: on the
/// request path most bytes are object ids, which do not compress, and `git gc` packs and
/// compresses everything later.
///
/// Why not `git hash-object`: a `stacks/<env>` tree of 10,000 stacks is ~390 KB, and each pull
/// request writes a new one. git hashes with collision-detecting SHA-1 (about 1.1 ms for that
/// tree here) after reading a scratch copy of it; BoringSSL's SHA-1 takes about 0.2 ms and the
/// bytes are written once. The ids are the same (tests hold them to `git hash-object`), and git
/// reads these files like any it wrote (tests run `git fsck --strict`).
struct LooseObjectWriter: Sendable {
    /// `<git-dir>/objects`.
    let objectsDirectory: String

    /// Writes the object unless it exists; returns its id. `hashLength` is 20 (SHA-1) or 32
    /// (SHA-256), the repository's object format.
    func write(_ content: [UInt8], type: String, hashLength: Int) throws(LocalGitError) -> ObjectID {
        // The object is `<type> <size>\0` then the content; both are hashed and streamed in
        // place, so the content (390 KB for a large `stacks/<env>` tree) is copied once.
        let header = Array("\(type) \(content.count)\0".utf8)
        let id = hashLength == 32 ? Self.id(SHA256.self, header, content) : Self.id(Insecure.SHA1.self, header, content)
        let hex = id.hex
        let directory = objectsDirectory + "/" + hex.prefix(2)
        let path = directory + "/" + hex.dropFirst(2)
        if access(path, F_OK) == 0 { return id }  // content-addressed: the same bytes are there
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw failure("mkdir \(directory)") }
        let temporary = directory + "/tmp_obj_rds_\(UUID().uuidString.prefix(12))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        let stream = Self.storedZlibStream(header, content)
        var offset = 0
        while offset < stream.count {
            let written = stream[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let error = failure("write \(temporary)")
                _ = systemClose(fd)
                unlink(temporary)
                throw error
            }
            offset += written
        }
        guard systemClose(fd) == 0 else {
            let error = failure("close \(temporary)")
            unlink(temporary)
            throw error
        }
        // Atomic: readers see the whole object or none. Another writer may have put the same
        // object there meanwhile: same bytes, so replacing it is harmless.
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        return id
    }

    private static func id<H: HashFunction>(_: H.Type, _ header: [UInt8], _ content: [UInt8]) -> ObjectID {
        var hasher = H()
        hasher.update(data: header)
        hasher.update(data: content)
        return ObjectID(raw: Array(hasher.finalize())[...])
    }

    private func failure(_ what: String) -> LocalGitError {
        .gitFailed(command: "write object (\(what))", message: String(cString: strerror(errno)), transient: true)
    }

    /// A zlib stream (RFC 1950) of `header` followed by `content`, in stored deflate blocks
    /// (RFC 1951, BTYPE 00).
    static func storedZlibStream(_ header: [UInt8], _ content: [UInt8]) -> [UInt8] {
        let blockLimit = 65_535
        let total = header.count + content.count
        var output = [UInt8]()
        output.reserveCapacity(total + 6 + 5 * (total / blockLimit + 1))
        output += [0x78, 0x01]  // deflate, 32 KiB window; header check bits for level "fastest"
        var start = 0
        repeat {
            let end = min(start + blockLimit, total)
            let length = UInt16(end - start)
            output.append(end == total ? 1 : 0)  // BFINAL on the last block, BTYPE 00
            output += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            // Bytes [start, end) of header + content.
            if start < header.count { output += header[start..<min(end, header.count)] }
            if end > header.count { output += content[max(start - header.count, 0)..<(end - header.count)] }
            start = end
        } while start < total
        var checksum = Adler32()
        checksum.update(header)
        checksum.update(content)
        let value = checksum.value
        output += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        return output
    }

    /// Adler-32 of `data` (RFC 1950).
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var checksum = Adler32()
        checksum.update(data)
        return checksum.value
    }

    /// Adler-32, fed in pieces; sums in runs short enough that they cannot overflow.
    struct Adler32 {
        private var a: UInt32 = 1
        private var b: UInt32 = 0
        var value: UInt32 { b << 16 | a }

        mutating func update(_ data: [UInt8]) {
            let modulus: UInt32 = 65_521
            data.withUnsafeBufferPointer { bytes in
                var index = 0
                while index < bytes.count {
                    let end = min(index + 5_552, bytes.count)
                    while index < end {
                        a &+= UInt32(bytes[index])
                        b &+= a
                        index &+= 1
                    }
                    a %= modulus
                    b %= modulus
                }
            }
        }
    }
}
