#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Decides when the next request may go, from what GitHub said about its limits:
/// - content-creating requests are spaced by `contentCreationInterval` (GitHub's secondary
///   limit: about 80 a minute), and the spacing doubles (at least 1 s) after a secondary rate
///   limit, then shrinks back after each successful write; no more than
///   `contentCreationsPerHour` go out in any hour (GitHub: about 500);
/// - after a secondary rate limit every request waits until `retry-after` has passed;
/// - with few primary-limit requests left (under a tenth of the hourly limit) requests are spread
///   evenly over the rest of the window, and with `reserve` or fewer left they wait for the reset,
///   so the client slows down before it hits zero instead of running into 403s.
///
/// A class with a lock rather than an actor: it is asked three or four times per request, its
/// work is a few comparisons, and an actor hop costs more than that.
final class RequestPacer: Sendable {
    struct Turn {
        var at: ContinuousClock.Instant
        /// How long to wait before sending.
        var wait: Duration
        /// The wait comes from a rate limit (charged to the caller's wait budget), not from pacing.
        var rateLimited: Bool
        var createsContent: Bool
    }

    private let state: Mutex<PacerState>

    init(contentCreationInterval: Duration, contentCreationsPerHour: Int, reserve: Int) {
        state = Mutex(
            PacerState(
                contentCreationInterval: contentCreationInterval, contentCreationsPerHour: contentCreationsPerHour,
                reserve: reserve))
    }

    /// Reserves the next slot for a request.
    func turn(createsContent: Bool) -> Turn { state.withLock { $0.turn(createsContent: createsContent) } }

    /// The caller gives up on a turn it reserved (the wait did not fit its budget).
    func abandon(_ turn: Turn) { state.withLock { $0.abandon(turn) } }

    /// How long a secondary rate limit still holds every request back (it may have started
    /// while a request was waiting for its turn).
    func remainingBlock() -> Duration? { state.withLock { $0.remainingBlock() } }

    /// Takes in `x-ratelimit-limit`, `-remaining` and `-reset` (UTC epoch seconds).
    func observe(limit: Int?, remaining: Int?, resetEpoch: Int?) {
        state.withLock { $0.observe(limit: limit, remaining: remaining, resetEpoch: resetEpoch) }
    }

    /// GitHub answered with a secondary rate limit: nothing goes out for `wait`, and writes slow down.
    func secondaryLimited(for wait: Duration) { state.withLock { $0.secondaryLimited(for: wait) } }

    /// The primary limit is spent until `resetEpoch`.
    func primaryExhausted(limit: Int?, resetEpoch: Int) {
        state.withLock { $0.observe(limit: limit, remaining: 0, resetEpoch: resetEpoch) }
    }

    /// A write went through: the spacing shrinks back towards the configured interval.
    func contentCreated() { state.withLock { $0.contentCreated() } }
}

/// `RequestPacer`'s state and rules.
struct PacerState {
    typealias Turn = RequestPacer.Turn

    private let baseContentInterval: Duration
    private let reserve: Int
    private let hourlyWrites: Int
    /// When the writes of the last hour went (or will go), oldest first.
    private var recentWrites: [ContinuousClock.Instant] = []
    private var contentInterval: Duration
    private var nextContentSlot = ContinuousClock.now
    private var nextSpreadSlot = ContinuousClock.now
    private var blockedUntil: ContinuousClock.Instant?
    private var primary: (limit: Int, remaining: Int, reset: ContinuousClock.Instant, resetEpoch: Int)?

    init(contentCreationInterval: Duration, contentCreationsPerHour: Int, reserve: Int) {
        baseContentInterval = contentCreationInterval
        contentInterval = contentCreationInterval
        hourlyWrites = max(1, contentCreationsPerHour)
        self.reserve = reserve
    }

    mutating func turn(createsContent: Bool) -> Turn {
        let now = ContinuousClock.now
        var at = now
        var rateLimited = false
        if let blockedUntil, blockedUntil > now {
            at = blockedUntil
            rateLimited = true
        }
        if var primary {
            if primary.reset <= now {
                self.primary = nil  // a new window: GitHub tells the new figures with the next answer
            } else if primary.remaining <= reserve {
                at = max(at, primary.reset)
                rateLimited = true
            } else {
                if primary.remaining < primary.limit / 10 {
                    let spacing = (primary.reset - now) / (primary.remaining - reserve)
                    let slot = max(at, nextSpreadSlot)
                    nextSpreadSlot = slot + spacing
                    if slot > at {
                        at = slot
                        rateLimited = true
                    }
                }
                primary.remaining -= 1  // our own estimate until the answer says
                self.primary = primary
            }
        }
        if createsContent {
            // In time order (each write's slot comes after the last one's): the expired ones lead.
            let expired = recentWrites.firstIndex { $0 > now - .seconds(3600) } ?? recentWrites.count
            if expired > 0 { recentWrites.removeFirst(expired) }
            if recentWrites.count >= hourlyWrites {
                at = max(at, recentWrites[recentWrites.count - hourlyWrites] + .seconds(3600))
                rateLimited = true
            }
            at = max(at, nextContentSlot)
            nextContentSlot = at + contentInterval
            recentWrites.append(at)
        }
        return Turn(at: at, wait: at - now, rateLimited: rateLimited, createsContent: createsContent)
    }

    mutating func abandon(_ turn: Turn) {
        guard turn.createsContent, let index = recentWrites.lastIndex(of: turn.at) else { return }
        recentWrites.remove(at: index)
    }

    func remainingBlock() -> Duration? {
        guard let blockedUntil else { return nil }
        let left = blockedUntil - .now
        return left > .zero ? left : nil
    }

    mutating func observe(limit: Int?, remaining: Int?, resetEpoch: Int?) {
        guard let remaining, let resetEpoch else { return }
        if let current = primary, current.resetEpoch == resetEpoch {
            primary?.remaining = min(current.remaining, remaining)  // answers may arrive out of order
            return
        }
        let secondsLeft = Double(resetEpoch) - Date().timeIntervalSince1970
        let reset = ContinuousClock.now + .milliseconds(Int64(max(0, secondsLeft) * 1000) + 100)
        primary = (limit ?? 5000, remaining, reset, resetEpoch)
    }

    mutating func secondaryLimited(for wait: Duration) {
        let now = ContinuousClock.now
        if remainingBlock() == nil {
            // Once per episode: the other answers of the same burst say the same thing.
            contentInterval = min(max(contentInterval * 2, .seconds(1)), .seconds(60))
        }
        blockedUntil = max(blockedUntil ?? now, now + wait)
        nextContentSlot = max(nextContentSlot, now + wait)
    }

    mutating func contentCreated() {
        guard contentInterval > baseContentInterval else { return }
        contentInterval = max(baseContentInterval, contentInterval * 0.8)
    }
}
