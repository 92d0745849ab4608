#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decides when the next request may go, from what GitHub said about its limits:
/// - content-creating requests are spaced by `contentCreationInterval` (GitHub's secondary
///   limit: about 80 a minute), and the spacing doubles (at least 1 s) after a secondary rate
///   limit, then shrinks back after each successful write;
/// - after a secondary rate limit every request waits until `retry-after` has passed;
/// - with few primary-limit requests left (under a tenth of the hourly limit) requests are spread
///   evenly over the rest of the window, and with `reserve` or fewer left they wait for the reset,
///   so the client slows down before it hits zero instead of running into 403s.
actor RequestPacer {
    struct Turn {
        /// How long to wait before sending.
        var wait: Duration
        /// The wait comes from a rate limit (charged to the caller's wait budget), not from pacing.
        var rateLimited: Bool
    }

    private let baseContentInterval: Duration
    private let reserve: Int
    private var contentInterval: Duration
    private var nextContentSlot = ContinuousClock.now
    private var nextSpreadSlot = ContinuousClock.now
    private var blockedUntil: ContinuousClock.Instant?
    private var primary: (limit: Int, remaining: Int, reset: ContinuousClock.Instant, resetEpoch: Int)?

    init(contentCreationInterval: Duration, reserve: Int) {
        baseContentInterval = contentCreationInterval
        contentInterval = contentCreationInterval
        self.reserve = reserve
    }

    /// Reserves the next slot for a request.
    func turn(createsContent: Bool) -> Turn {
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
            at = max(at, nextContentSlot)
            nextContentSlot = at + contentInterval
        }
        return Turn(wait: at - now, rateLimited: rateLimited)
    }

    /// Takes in `x-ratelimit-limit`, `-remaining` and `-reset` (UTC epoch seconds).
    func observe(limit: Int?, remaining: Int?, resetEpoch: Int?) {
        guard let remaining, let resetEpoch else { return }
        let secondsLeft = Double(resetEpoch) - Date().timeIntervalSince1970
        let reset = ContinuousClock.now + .milliseconds(Int64(max(0, secondsLeft) * 1000) + 100)
        if let current = primary, current.resetEpoch == resetEpoch {
            primary?.remaining = min(current.remaining, remaining)  // answers may arrive out of order
        } else {
            primary = (limit ?? 5000, remaining, reset, resetEpoch)
        }
    }

    /// GitHub answered with a secondary rate limit: nothing goes out for `wait`, and writes slow down.
    func secondaryLimited(for wait: Duration) {
        let until = ContinuousClock.now + wait
        blockedUntil = max(blockedUntil ?? until, until)
        contentInterval = min(max(contentInterval * 2, .seconds(1)), .seconds(60))
        nextContentSlot = max(nextContentSlot, until)
    }

    /// The primary limit is spent until `resetEpoch`.
    func primaryExhausted(limit: Int?, resetEpoch: Int) {
        observe(limit: limit, remaining: 0, resetEpoch: resetEpoch)
    }

    /// A write went through: the spacing shrinks back towards the configured interval.
    func contentCreated() {
        guard contentInterval > baseContentInterval else { return }
        contentInterval = max(baseContentInterval, contentInterval * 0.8)
    }
}
