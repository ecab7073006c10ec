import Foundation

extension Duration {
    /// Seconds as Foundation counts them, for `Thread.sleep(forTimeInterval:)`.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
