/// How `<dashed-ip>.<namespace>.pod.<zone>` names are answered, as CoreDNS's `pods` option.
public enum PodMode: String, Sendable, CaseIterable {
    /// No pod records at all: `pod.<zone>` does not exist.
    case disabled
    /// Any well-formed dashed IP in an existing namespace is answered with that IP, without checking that a pod has it
    /// (what kubeadm's CoreDNS ships; kept for compatibility with kube-dns).
    case insecure
    /// Only IPs of Pod objects in that namespace are answered.
    case verified
}
