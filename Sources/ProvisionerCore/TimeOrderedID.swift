#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UUIDs of version 7 (RFC 9562): a millisecond timestamp followed by random bits, spelled in
/// lower case. Ids made later sort later, so inserting them appends to the end of a B-tree index
/// instead of dirtying a random page per insert: a batch of inserts then shares a few pages, and
/// each committed transaction writes far fewer pages to the WAL.
///
/// The API makes request ids this way (they stay ordinary UUIDs), and the SQLite queue its message
/// ids and receipts: the status table's and the queue's primary keys stay cheap to insert into.
public enum TimeOrderedID {
    public static func make(at date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        // 48 bits of time, version 7, 12 random bits; variant 0b10, 62 random bits.
        let first = (milliseconds << 16) | 0x7000 | (high & 0x0FFF)
        let second = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let bytes = withUnsafeBytes(of: (first.bigEndian, second.bigEndian)) { Array($0) }
        let uuid = UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return uuid.uuidString.lowercased()
    }
}
