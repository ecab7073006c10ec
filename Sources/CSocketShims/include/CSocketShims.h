// The socket calls Glibc hides from Swift: `recvmmsg`, `sendmmsg`, `accept4`, `SOCK_NONBLOCK` and `eventfd` need
// `_GNU_SOURCE`, so they are wrapped in CSocketShims.c (compiled with it) and the types Swift fills in are declared
// here, with their layouts asserted against glibc's there.
//
// This header itself must NOT define _GNU_SOURCE: glibc's headers are textual in every Clang module, and a GNU
// `fd_set` here would clash with the default one in Glibc, Dispatch and Foundation in any Swift file that loads both.
#ifndef CSOCKETSHIMS_H
#define CSOCKETSHIMS_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

/// Layout twin of glibc's `struct mmsghdr` (recvmmsg(2)); CSocketShims.c asserts size and offsets match.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CSocketShims_mmsghdr;

/// `MSG_TRUNC` in `msg_flags`: the datagram was longer than the buffer (recvmsg(2)); asserted in CSocketShims.c.
#define CSocketShims_MSG_TRUNC 0x20
/// eventfd(2) flags; asserted in CSocketShims.c.
#define CSocketShims_EFD_NONBLOCK 04000
#define CSocketShims_EFD_CLOEXEC 02000000

/// recvmmsg(2) without a timeout: returns the number of messages received, or -1 with errno.
int CSocketShims_recvmmsg(int fd, CSocketShims_mmsghdr *messages, unsigned int count, int flags);

/// sendmmsg(2): returns the number of messages sent, or -1 with errno.
int CSocketShims_sendmmsg(int fd, CSocketShims_mmsghdr *messages, unsigned int count, int flags);

/// socket(2) for `AF_INET`/`AF_INET6`, UDP when `stream` is 0 and TCP otherwise, always non-blocking and
/// close-on-exec.
int CSocketShims_socket(int family, int stream);

/// accept4(2) with `SOCK_NONBLOCK | SOCK_CLOEXEC`, discarding the peer address.
int CSocketShims_accept(int fd);

/// send(2) with `MSG_NOSIGNAL`, so a peer that reset the connection gives EPIPE instead of killing the process.
long CSocketShims_send(int fd, const void *bytes, unsigned long count);

/// eventfd(2): a counter the kernel makes readable when non-zero.
int CSocketShims_eventfd(unsigned int initialValue, int flags);

/// setsockopt(SOL_SOCKET, SO_REUSEPORT, 1): lets every worker bind its own socket to the same address and port.
int CSocketShims_setReusePort(int fd);

/// setsockopt(SOL_SOCKET, SO_REUSEADDR, 1): lets a restarted server bind while old connections sit in TIME_WAIT.
int CSocketShims_setReuseAddress(int fd);

/// setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, on): off makes an `[::]` socket dual-stack (IPv4 arrives v4-mapped).
int CSocketShims_setV6Only(int fd, int on);

/// setsockopt(IPPROTO_TCP, TCP_NODELAY, 1): pipelined replies are written one by one and must not wait for the
/// peer's delayed ACK (RFC 7766 section 6.2.1.1).
int CSocketShims_setNoDelay(int fd);

/// Fills `storage` from an address of 4 (IPv4) or 16 (IPv6) bytes in network order and a port in host order;
/// returns the length to pass to bind(2)/sendto(2), or 0 for any other address length.
socklen_t CSocketShims_makeSockaddr(struct sockaddr_storage *storage, const uint8_t *address, int addressLength,
                                    uint16_t port);

/// Reads an `AF_INET`/`AF_INET6` address back: copies 4 or 16 bytes into `address` (room for 16), stores the port in
/// host order and returns the number of address bytes, or 0 for another family.
int CSocketShims_readSockaddr(const struct sockaddr_storage *storage, uint8_t *address, uint16_t *port);

/// getsockname(2) into a `sockaddr_storage`.
int CSocketShims_getsockname(int fd, struct sockaddr_storage *storage);

/// bind(2) from a `sockaddr_storage` filled by CSocketShims_makeSockaddr.
int CSocketShims_bind(int fd, const struct sockaddr_storage *storage, socklen_t length);

/// sendto(2) with `MSG_NOSIGNAL` to an address filled by CSocketShims_makeSockaddr.
long CSocketShims_sendto(int fd, const void *bytes, unsigned long count, const struct sockaddr_storage *storage,
                         socklen_t length);

/// recvfrom(2) with `MSG_TRUNC`: returns the datagram's full length even when only `capacity` bytes were stored, so
/// a caller can tell a cut datagram; the source goes into `storage`.
long CSocketShims_recvfrom(int fd, void *bytes, unsigned long capacity, struct sockaddr_storage *storage);

/// The source port, in host order, of a datagram address; both `sin_port` and `sin6_port` sit at offset 2 (asserted
/// in CSocketShims.c), so this is one load on the hot path whatever the family.
static inline uint16_t CSocketShims_sockaddrPort(const struct sockaddr_storage *storage) {
    uint16_t port;
    memcpy(&port, (const uint8_t *)storage + 2, sizeof(port));
    return ntohs(port);
}

// malloc_trim(3): returns freed heap pages to the kernel (glibc only; <malloc.h> is not in Swift's Glibc module).
int CSocketShims_mallocTrim(void);

#endif
