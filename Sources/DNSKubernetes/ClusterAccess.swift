import Foundation
import Yams

/// How to reach and authenticate to the API server: from the pod's service account (`--kubernetes`) or from a
/// kubeconfig (`--kubeconfig`), as client-go's `rest.InClusterConfig` and `clientcmd` read them.
public struct ClusterAccess: Sendable, Equatable {
    public enum Credential: Sendable, Equatable {
        case none
        case token(String)
        /// Read again before every request: the kubelet rotates a projected service-account token (it expires after
        /// an hour), and a kubeconfig's `tokenFile` may be refreshed by some other tool.
        case tokenFile(String)
    }

    public var server: APIServerURL
    /// PEM certificates to trust for the server; `nil`: the system's store.
    public var certificateAuthority: [UInt8]?
    /// kubeconfig's `insecure-skip-tls-verify`.
    public var skipsVerification = false
    /// PEM client certificate and key, both or neither.
    public var clientCertificate: [UInt8]?
    public var clientKey: [UInt8]?
    public var credential: Credential
    /// The name checked against the server's certificate, when not the URL's host (kubeconfig `tls-server-name`).
    public var serverName: String?

    public init(
        server: APIServerURL, certificateAuthority: [UInt8]? = nil, credential: Credential = .none,
        clientCertificate: [UInt8]? = nil, clientKey: [UInt8]? = nil
    ) {
        self.server = server
        self.certificateAuthority = certificateAuthority
        self.credential = credential
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
    }

    public struct LoadError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The service account directory every pod gets (the projected `kube-api-access-*` volume).
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The in-cluster configuration: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the service
    /// account's CA and (rotating) token.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory
    ) throws(LoadError) -> ClusterAccess {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let portText = environment["KUBERNETES_SERVICE_PORT"], let port = UInt16(portText)
        else {
            throw LoadError(
                "--kubernetes: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set; not running in a pod? "
                    + "(use --kubeconfig outside a cluster)")
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw LoadError("--kubernetes: cannot read the service account token \(tokenPath)")
        }
        let authority = try readFile(directory + "/ca.crt", for: "--kubernetes: the cluster CA")
        return ClusterAccess(
            server: APIServerURL(isTLS: true, host: host, port: port), certificateAuthority: authority,
            credential: .tokenFile(tokenPath))
    }

    /// A kubeconfig's context (`context`, else its `current-context`): the cluster's server and CA, the user's token,
    /// token file or client certificate. Relative paths are read from the kubeconfig's directory, as kubectl does.
    public static func kubeconfig(path: String, context wanted: String? = nil) throws(LoadError) -> ClusterAccess {
        let text = String(decoding: try readFile(path, for: "--kubeconfig"), as: UTF8.self)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw LoadError("--kubeconfig \(path) is empty") }
            root = node
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError("--kubeconfig \(path) is not valid YAML: \(error)")
        }
        let base = (path as NSString).deletingLastPathComponent
        func resolve(_ file: String) -> String {
            file.hasPrefix("/") || base.isEmpty ? file : base + "/" + file
        }
        func fail(_ what: String) -> LoadError { LoadError("--kubeconfig \(path): \(what)") }

        guard let contextName = wanted ?? root["current-context"]?.string, !contextName.isEmpty else {
            throw fail("no current-context; name one with --kube-context")
        }
        guard let context = named(contextName, in: root["contexts"])?["context"] else {
            throw fail("no context named \(contextName)")
        }
        guard let clusterName = context["cluster"]?.string,
            let cluster = named(clusterName, in: root["clusters"])?["cluster"]
        else { throw fail("context \(contextName) names no cluster that the file defines") }
        guard let serverText = cluster["server"]?.string else { throw fail("cluster \(clusterName) has no server") }
        let server: APIServerURL
        do {
            server = try APIServerURL(parsing: serverText)
        } catch {
            throw fail("cluster \(clusterName): \(error)")
        }
        var access = ClusterAccess(server: server)
        access.serverName = cluster["tls-server-name"]?.string
        access.skipsVerification = cluster["insecure-skip-tls-verify"]?.bool ?? false
        access.certificateAuthority = try material(
            data: cluster["certificate-authority-data"]?.string, file: cluster["certificate-authority"]?.string,
            what: "cluster \(clusterName) certificate-authority", resolve: resolve, fail: fail)

        if let userName = context["user"]?.string, !userName.isEmpty {
            guard let user = named(userName, in: root["users"])?["user"] else {
                throw fail("context \(contextName) names user \(userName), which the file does not define")
            }
            if user["exec"] != nil || user["auth-provider"] != nil {
                throw fail(
                    "user \(userName) authenticates through an exec or auth-provider plugin, which ClusterDNS does not "
                        + "run; use a token, a tokenFile or a client certificate")
            }
            if let token = user["token"]?.string, !token.isEmpty {
                access.credential = .token(token)
            } else if let file = user["tokenFile"]?.string, !file.isEmpty {
                access.credential = .tokenFile(resolve(file))
            }
            access.clientCertificate = try material(
                data: user["client-certificate-data"]?.string, file: user["client-certificate"]?.string,
                what: "user \(userName) client-certificate", resolve: resolve, fail: fail)
            access.clientKey = try material(
                data: user["client-key-data"]?.string, file: user["client-key"]?.string,
                what: "user \(userName) client-key", resolve: resolve, fail: fail)
            if (access.clientCertificate == nil) != (access.clientKey == nil) {
                throw fail(
                    "user \(userName) has a client certificate without its key, or a key without its certificate")
            }
        }
        return access
    }

    /// The bearer token for the next request, read from its file each time when it comes from one.
    public func bearerToken() throws(LoadError) -> String? {
        switch credential {
        case .none: return nil
        case .token(let token): return token
        case .tokenFile(let path):
            let bytes = try Self.readFile(path, for: "the bearer token")
            let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw LoadError("the bearer token file \(path) is empty") }
            return token
        }
    }

    private static func named(_ name: String, in list: Node?) -> Node? {
        list?.sequence?.first { $0["name"]?.string == name }
    }

    private static func material(
        data: String?, file: String?, what: String, resolve: (String) -> String, fail: (String) -> LoadError
    ) throws(LoadError) -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw fail("\(what)-data is not base64")
            }
            return Array(decoded)
        }
        if let file, !file.isEmpty {
            return try readFile(resolve(file), for: "--kubeconfig \(what)")
        }
        return nil
    }

    static func readFile(_ path: String, for what: String) throws(LoadError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError("\(what): cannot read \(path)")
        }
        return Array(data)
    }
}
