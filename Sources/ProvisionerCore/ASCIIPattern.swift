/// Hand-written checks for the few patterns every request goes through. A Swift regex literal is
/// parsed again each time it is evaluated, which cost more than the rest of rendering a stack;
/// these say the same thing in a loop over bytes. (Rules checked once, when a profile file is
/// loaded, keep their regexes: they read better and cost nothing per request.)
enum ASCIIPattern {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isLetter(_ byte: UInt8) -> Bool { isLower(byte) || (byte >= 0x41 && byte <= 0x5A) }
    static func isLetterOrDigit(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    /// One byte satisfying `first`, then up to `maxLength - 1` satisfying `rest`.
    static func matches(_ value: String, first: (UInt8) -> Bool, rest: (UInt8) -> Bool, maxLength: Int) -> Bool {
        let bytes = value.utf8
        guard let head = bytes.first, first(head), bytes.count <= maxLength else { return false }
        return bytes.dropFirst().allSatisfy(rest)
    }

    /// `[A-Za-z0-9][A-Za-z0-9-]{0,127}`
    static func isRequestId(_ value: String) -> Bool {
        matches(value, first: isLetterOrDigit, rest: { isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }, maxLength: 128)
    }

    /// `[a-z][a-z0-9]*(-[a-z0-9]+)*`: lower-case, single hyphens between letters and digits.
    static func isHyphenatedLowercase(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let head = bytes.first, isLower(head), bytes.last != UInt8(ascii: "-") else { return false }
        var previous = head
        for byte in bytes.dropFirst() {
            if byte == UInt8(ascii: "-") {
                guard previous != byte else { return false }
            } else if !(isLower(byte) || isDigit(byte)) {
                return false
            }
            previous = byte
        }
        return true
    }

    /// `[A-Za-z][A-Za-z0-9_]{0,62}`
    static func isDatabaseName(_ value: String) -> Bool {
        matches(value, first: isLetter, rest: { isLetterOrDigit($0) || $0 == UInt8(ascii: "_") }, maxLength: 63)
    }

    /// A number of `digits` decimal digits (a range), or nil.
    static func number(_ part: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(part.utf8.count), part.utf8.allSatisfy(isDigit) else { return nil }
        return Int(part)
    }
}
