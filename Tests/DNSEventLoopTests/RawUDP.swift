import Foundation
import Glibc

/// Sends hand-made IPv4/UDP packets over a raw socket, to test what a normal socket cannot send (source port 0).
enum RawUDP {
    static let isAvailable: Bool = {
        let descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }()

    /// 127.0.0.1:0 → 127.0.0.1:`port`. With IPPROTO_RAW the kernel fills in the IP checksum and total length
    /// (raw(7)); a UDP checksum of 0 means "none" over IPv4 (RFC 768).
    static func sendFromPortZero(_ payload: [UInt8], to port: UInt16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        defer { close(descriptor) }
        let udpLength = 8 + payload.count
        let totalLength = 20 + udpLength
        var packet: [UInt8] = [
            0x45, 0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF),  // version 4, IHL 5, length
            0, 0, 0, 0,  // identification, flags, fragment offset
            64, UInt8(IPPROTO_UDP), 0, 0,  // TTL, protocol, checksum (kernel)
            127, 0, 0, 1,  // source
            127, 0, 0, 1,  // destination
            0, 0, UInt8(port >> 8), UInt8(port & 0xFF),  // source port 0, destination port
            UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0,  // length, no checksum
        ]
        packet += payload
        var destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let sent = packet.withUnsafeBytes { bytes in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == packet.count else { throw POSIXError(.init(rawValue: errno)!) }
    }
}
