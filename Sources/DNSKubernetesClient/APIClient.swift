import DNSEventLoop
import DNSKubernetes

/// Makes GET requests to the API server, one connection each, as `ClusterAccess` says: TLS with the cluster's CA,
/// the bearer token read afresh for every request, or a client certificate.
///
/// One connection per request keeps the client simple and costs nothing that matters: a watcher makes a request every
/// few minutes (its watch ends at `timeoutSeconds`), and a list of any size is one request per 500 objects.
public final class APIClient: Sendable {
    public let access: ClusterAccess
    private let tls: TLSContext?
    /// For the TCP connection and the TLS handshake.
    public let connectTimeout: Duration
    static let userAgent = "cluster-dns/1.0 (linux)"

    public init(access: ClusterAccess, connectTimeout: Duration = .seconds(10)) throws(APIError) {
        self.access = access
        self.connectTimeout = connectTimeout
        guard access.server.isTLS else {
            tls = nil
            return
        }
        do {
            tls = try TLSContext(
                certificateAuthority: access.certificateAuthority, clientCertificate: access.clientCertificate,
                clientKey: access.clientKey, verify: !access.skipsVerification)
        } catch {
            throw .configuration(error.description)
        }
    }

    /// Sends `GET path` and reads the response head. Each later read of the body waits at most `receiveTimeout`.
    public func get(_ path: String, receiveTimeout: Duration, isCancelled: () -> Bool = { false }) throws(APIError)
        -> APIResponse
    {
        let token: String?
        do {
            token = try access.bearerToken()
        } catch {
            throw .configuration(error.description)
        }
        let stream: BlockingStream
        do {
            stream = try BlockingStream.connect(
                host: access.server.host, port: access.server.port, timeout: connectTimeout, tls: tls,
                serverName: access.serverName, isCancelled: isCancelled)
        } catch {
            throw .connection("\(access.server): \(error)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(access.server.hostHeader)\r\n"
        // A neutral User-Agent: the API server pretty-prints JSON for curl's, doubling the bytes.
        request += "User-Agent: \(Self.userAgent)\r\nAccept: application/json\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        do {
            try stream.write(Array(request.utf8))
        } catch {
            stream.close()
            throw .connection("\(access.server): \(error)")
        }
        let response = APIResponse(stream: stream, path: path)
        try response.readHead()
        stream.setReceiveTimeout(receiveTimeout)
        return response
    }
}

/// Why a request failed.
public enum APIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The settings cannot work (an unreadable token file, a bad CA).
    case configuration(String)
    /// No connection, or it broke.
    case connection(String)
    /// Nothing arrived for longer than the receive timeout: a stalled stream.
    case stalled(String)
    /// The server answered with an error status.
    case status(code: Int, APIStatus?)
    /// The response could not be read as HTTP or as the JSON expected.
    case protocolError(String)

    public var description: String {
        switch self {
        case .configuration(let reason): reason
        case .connection(let reason): "connection failed: \(reason)"
        case .stalled(let path): "nothing received for too long on \(path)"
        case .status(let code, let status): status.map { "HTTP \(code): \($0.reason): \($0.message)" } ?? "HTTP \(code)"
        case .protocolError(let reason): reason
        }
    }
}
