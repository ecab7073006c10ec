/// The name rules of Kubernetes' API validation (`k8s.io/apimachinery/pkg/util/validation`), which the objects a
/// manifest declares must follow, and which make the names safe to use as DNS labels.
enum KubernetesNames {
    /// RFC 1123 §2.1 label as Kubernetes restricts it: lowercase letters, digits and '-', starting and ending with a
    /// letter or digit, at most 63 characters. Namespaces, endpoint hostnames.
    static func isDNS1123Label(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        return isLowerAlphanumeric(first) && isLowerAlphanumeric(last)
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// RFC 1035 §2.3.1 label: an RFC 1123 label that starts with a letter. Service names, because a service name
    /// is the first label of its DNS name.
    static func isDNS1035Label(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return false }
        return isDNS1123Label(text) && isLowerLetter(first)
    }

    /// RFC 1123 subdomain: dot-separated RFC 1123 labels, at most 253 characters. Pod and EndpointSlice names,
    /// ExternalName targets.
    static func isDNS1123Subdomain(_ text: String) -> Bool {
        guard (1...253).contains(text.utf8.count) else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    /// IANA service name (RFC 6335 §5.1) as Kubernetes checks port names: at most 15 characters, lowercase letters,
    /// digits and '-', at least one letter, no '-' at either end and no "--". It becomes the `_name` label of an SRV
    /// name (RFC 2782).
    static func isIANAServiceName(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...15).contains(bytes.count) else { return false }
        let hyphen = UInt8(ascii: "-")
        guard bytes.first != hyphen, bytes.last != hyphen else { return false }
        var previous: UInt8 = 0
        var hasLetter = false
        for byte in bytes {
            guard isLowerAlphanumeric(byte) || byte == hyphen, !(byte == hyphen && previous == hyphen) else {
                return false
            }
            hasLetter = hasLetter || isLowerLetter(byte)
            previous = byte
        }
        return hasLetter
    }

    static let dns1123LabelRule =
        "RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, "
        + "at most 63 characters"
    static let dns1035LabelRule =
        "RFC 1035 label: lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, "
        + "at most 63 characters"
    static let dns1123SubdomainRule =
        "RFC 1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters"
    static let ianaServiceNameRule =
        "IANA service name: at most 15 lowercase letters, digits and '-', with a letter, "
        + "no '-' at either end and no '--'"

    private static func isLowerLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
