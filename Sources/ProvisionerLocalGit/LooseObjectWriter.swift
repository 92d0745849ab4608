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
        var object = Array("\(type) \(content.count)\0".utf8)
        object.reserveCapacity(object.count + content.count)
        object += content
        let id = hashLength == 32
            ? ObjectID(raw: Array(SHA256.hash(data: object))[...])
            : ObjectID(raw: Array(Insecure.SHA1.hash(data: object))[...])
        let hex = id.hex
        let directory = objectsDirectory + "/" + hex.prefix(2)
        let path = directory + "/" + hex.dropFirst(2)
        if access(path, F_OK) == 0 { return id }  // content-addressed: the same bytes are there
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw failure("mkdir \(directory)") }
        let temporary = directory + "/tmp_obj_rds_\(UUID().uuidString.prefix(12))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw failure("create \(temporary)") }
        let stream = Self.storedZlibStream(object)
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

    private func failure(_ what: String) -> LocalGitError {
        .gitFailed(command: "write object (\(what))", message: String(cString: strerror(errno)), transient: true)
    }

    /// A zlib stream (RFC 1950) of `data` in stored deflate blocks (RFC 1951, BTYPE 00).
    static func storedZlibStream(_ data: [UInt8]) -> [UInt8] {
        let blockLimit = 65_535
        var output = [UInt8]()
        output.reserveCapacity(data.count + 6 + 5 * (data.count / blockLimit + 1))
        output += [0x78, 0x01]  // deflate, 32 KiB window; header check bits for level "fastest"
        var start = 0
        repeat {
            let end = min(start + blockLimit, data.count)
            let length = UInt16(end - start)
            output.append(end == data.count ? 1 : 0)  // BFINAL on the last block, BTYPE 00
            output += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            output += data[start..<end]
            start = end
        } while start < data.count
        let checksum = adler32(data)
        output += [UInt8(checksum >> 24), UInt8(checksum >> 16 & 0xFF), UInt8(checksum >> 8 & 0xFF), UInt8(checksum & 0xFF)]
        return output
    }

    /// Adler-32 (RFC 1950), summing in runs short enough that the sums cannot overflow.
    static func adler32(_ data: [UInt8]) -> UInt32 {
        let modulus: UInt32 = 65_521
        var a: UInt32 = 1
        var b: UInt32 = 0
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
        return b << 16 | a
    }
}
