/// The HTTP endpoints an operator's probes and scrapers use, each on its own address as CoreDNS's plugins are.
public enum OperationalEndpoint: String, Sendable, CaseIterable {
    case health
    case ready
    case metrics
}
