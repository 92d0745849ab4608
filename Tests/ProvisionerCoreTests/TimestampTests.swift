import Foundation
import Testing
import TestSupport

@testable import ProvisionerCore

/// `PublicJSON.formatTimestamp` (by hand) writes what the ISO 8601 format style writes, rounded
/// to the nearest millisecond the same way: random instants from 1970 to 9999, instants a hair
/// either side of a millisecond, and the calendar's edges (leap days, century years, the ends of
/// years and of the range).
struct TimestampTests {
    @Test func handWrittenTimestampsAreTheFormatStyles() {
        let seed: UInt64 = 19_700_101
        var generator = SeededGenerator(seed: seed)
        var instants: [Double] = [0, 0.0004999, 0.0005, 951_782_400, 951_868_799.9995, 4_107_542_400, 946_684_799.9996, 253_402_300_799.999]
        for _ in 0..<100_000 {
            instants.append(Double.random(in: 0..<253_402_300_799, using: &generator))
        }
        for _ in 0..<20_000 {
            let millisecond = Double(Int.random(in: 0..<4_102_444_800_000, using: &generator)) / 1000
            instants.append(millisecond)
            instants.append(millisecond + [0.0004, 0.0005, 0.0006, 0.000999, -0.0001].randomElement(using: &generator)!)
        }
        var mismatches: [String] = []
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let expected = PublicJSON.formatTimestampWithCalendar(date)
            let written = PublicJSON.formatTimestamp(date)
            if written != expected { mismatches.append("\(seconds): \(written) ≠ \(expected)") }
        }
        #expect(mismatches.count == 0, "seed \(seed): \(mismatches.count) differ, e.g. \(mismatches.prefix(5))")
    }

    @Test func beforeAndBeyondTheRangeTheFormatStyleWrites() {
        for seconds in [-1.5, -86_400 * 365.25 * 100, 253_402_300_800, 300_000_000_000] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(PublicJSON.formatTimestamp(date) == PublicJSON.formatTimestampWithCalendar(date))
        }
    }

    @Test func parsedTimestampsFormatBackToTheirText() {
        var generator = SeededGenerator(seed: 2_026)
        for _ in 0..<5_000 {
            let text = PublicJSON.formatTimestamp(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator)))
            #expect(PublicJSON.parseTimestamp(text).map(PublicJSON.formatTimestamp) == text)
        }
    }
}

/// `CivilDate` (timestamps, SigV4 dates) against Foundation's Gregorian calendar in UTC, from the
/// year 1600 (before the Gregorian reform Foundation's calendar is Julian) to 9999.
struct CivilDateTests {
    @Test func daysBecomeTheCalendarsDates() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SeededGenerator(seed: 1_600)
        var days = Array(-3...3) + [-135_140, 11_016, 10_957, 10_956, 47_482, 2_932_896]  // 1600-01-01, 2000-02-29…, 9999-12-31
        for _ in 0..<20_000 { days.append(Int.random(in: -135_140...2_932_896, using: &generator)) }
        for day in days {
            let expected = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            let civil = CivilDate.from(daysSince1970: day)
            #expect(
                civil.year == expected.year && civil.month == expected.month && civil.day == expected.day,
                "day \(day): \(civil) ≠ \(expected)")
        }
    }
}
