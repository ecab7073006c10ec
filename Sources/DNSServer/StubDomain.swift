import DNSForward
import DNSWire

/// A domain whose names go to upstreams of their own instead of the default ones (`--stub DOMAIN=ADDR[,ADDR...]`,
/// kube-dns's `stubDomains`): a corporate zone served by resolvers only the cluster network reaches, say.
public struct StubDomain: Sendable, Equatable {
    /// Names equal to or below this go to `upstreams`; the longest matching stub wins.
    public var domain: Name
    /// In configured order, like `ForwardConfiguration.upstreams`.
    public var upstreams: [UpstreamAddress]

    public init(domain: Name, upstreams: [UpstreamAddress]) {
        self.domain = domain
        self.upstreams = upstreams
    }

    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// No `=`, or nothing on one side of it.
        case missingUpstreams
        case badDomain
        /// The root: that is what the default upstreams are for.
        case rootDomain
        case badUpstream(String, UpstreamAddress.ParseError)

        public var description: String {
            switch self {
            case .missingUpstreams: "expected DOMAIN=ADDR[:PORT][,ADDR[:PORT]...]"
            case .badDomain: "the domain is not a domain name"
            case .rootDomain: "the root is served by the default upstreams (--upstream)"
            case .badUpstream(let text, let error): "\(text) is not an upstream address (\(error))"
            }
        }
    }

    /// Parses `DOMAIN=ADDR[:PORT][,ADDR[:PORT]...]`, each address as `UpstreamAddress(parsing:)` takes it.
    public init(parsing text: String) throws(ParseError) {
        guard let equals = text.firstIndex(of: "=") else { throw .missingUpstreams }
        let domainText = text[..<equals]
        let list = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
        guard !domainText.isEmpty, !list.isEmpty, !list.contains(where: \.isEmpty) else { throw .missingUpstreams }
        guard let domain = try? Name(String(domainText)) else { throw .badDomain }
        guard !domain.isRoot else { throw .rootDomain }
        var upstreams: [UpstreamAddress] = []
        for item in list {
            do {
                upstreams.append(try UpstreamAddress(parsing: String(item)))
            } catch {
                throw .badUpstream(String(item), error)
            }
        }
        self.init(domain: domain.lowercased(), upstreams: upstreams)
    }
}
