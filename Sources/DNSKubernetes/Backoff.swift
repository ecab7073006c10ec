/// Exponential back-off with jitter between reconnects, as client-go's reflector waits: 0.8 s doubling to 30 s, each
/// wait stretched by up to 100% at random so that many servers restarting together do not hammer the API server in
/// step. A connection that stayed up for `resetAfter` starts again from the shortest wait.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var resetAfter: Duration
    private var current: Duration

    public init(
        initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), resetAfter: Duration = .seconds(120)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
        current = initial
    }

    /// The wait before the next attempt; `random` is uniform in 0..<1 (passed in, so that tests choose it).
    public mutating func next(random: Double) -> Duration {
        let wait = current * (1 + min(max(random, 0), 1))
        current = min(current * 2, maximum)
        return wait
    }

    /// A connection ended after being up for `uptime`: a long-lived one resets the back-off.
    public mutating func connectionEnded(after uptime: Duration) {
        if uptime >= resetAfter { current = initial }
    }

    /// A request succeeded (a list completed, a watch delivered events).
    public mutating func reset() {
        current = initial
    }
}
