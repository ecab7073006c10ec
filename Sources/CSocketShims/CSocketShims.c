// Compiled with _GNU_SOURCE (Package.swift), which is what exposes recvmmsg, sendmmsg, accept4 and SOCK_NONBLOCK.
#include "CSocketShims.h"

#include <stddef.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <malloc.h>

// Swift fills CSocketShims_mmsghdr arrays and hands them to the kernel as struct mmsghdr: the two must be the same.
_Static_assert(sizeof(CSocketShims_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr size");
_Static_assert(offsetof(CSocketShims_mmsghdr, msg_hdr) == offsetof(struct mmsghdr, msg_hdr), "mmsghdr.msg_hdr");
_Static_assert(offsetof(CSocketShims_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr.msg_len");
_Static_assert(CSocketShims_MSG_TRUNC == MSG_TRUNC, "MSG_TRUNC");
_Static_assert(CSocketShims_EFD_NONBLOCK == EFD_NONBLOCK, "EFD_NONBLOCK");
_Static_assert(CSocketShims_EFD_CLOEXEC == EFD_CLOEXEC, "EFD_CLOEXEC");
// CSocketShims_sockaddrPort reads the port at offset 2 for both families.
_Static_assert(offsetof(struct sockaddr_in, sin_port) == 2, "sin_port offset");
_Static_assert(offsetof(struct sockaddr_in6, sin6_port) == 2, "sin6_port offset");
_Static_assert(sizeof(struct sockaddr_storage) >= sizeof(struct sockaddr_in6), "sockaddr_storage holds IPv6");
// eventfd reads and writes exactly 8 bytes (eventfd(2)); Swift uses UInt64.
_Static_assert(sizeof(eventfd_t) == 8, "eventfd counter");

int CSocketShims_recvmmsg(int fd, CSocketShims_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int CSocketShims_sendmmsg(int fd, CSocketShims_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int CSocketShims_socket(int family, int stream) {
    int type = (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    return socket(family, type, 0);
}

int CSocketShims_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

long CSocketShims_send(int fd, const void *bytes, unsigned long count) {
    return (long)send(fd, bytes, (size_t)count, MSG_NOSIGNAL);
}

int CSocketShims_eventfd(unsigned int initialValue, int flags) {
    return eventfd(initialValue, flags);
}

static int setIntOption(int fd, int level, int option, int value) {
    return setsockopt(fd, level, option, &value, sizeof(value));
}

int CSocketShims_setReusePort(int fd) {
    return setIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1);
}

int CSocketShims_setReuseAddress(int fd) {
    return setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
}

int CSocketShims_setV6Only(int fd, int on) {
    return setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);
}

int CSocketShims_setNoDelay(int fd) {
    return setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
}

socklen_t CSocketShims_makeSockaddr(struct sockaddr_storage *storage, const uint8_t *address, int addressLength,
                                    uint16_t port) {
    memset(storage, 0, sizeof(*storage));
    if (addressLength == 4) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)storage;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        memcpy(&v4->sin_addr, address, 4);
        return sizeof(*v4);
    }
    if (addressLength == 16) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)storage;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        memcpy(&v6->sin6_addr, address, 16);
        return sizeof(*v6);
    }
    return 0;
}

int CSocketShims_readSockaddr(const struct sockaddr_storage *storage, uint8_t *address, uint16_t *port) {
    if (storage->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)storage;
        memcpy(address, &v4->sin_addr, 4);
        *port = ntohs(v4->sin_port);
        return 4;
    }
    if (storage->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)storage;
        memcpy(address, &v6->sin6_addr, 16);
        *port = ntohs(v6->sin6_port);
        return 16;
    }
    return 0;
}

int CSocketShims_getsockname(int fd, struct sockaddr_storage *storage) {
    socklen_t length = sizeof(*storage);
    return getsockname(fd, (struct sockaddr *)storage, &length);
}

int CSocketShims_bind(int fd, const struct sockaddr_storage *storage, socklen_t length) {
    return bind(fd, (const struct sockaddr *)storage, length);
}

long CSocketShims_sendto(int fd, const void *bytes, unsigned long count, const struct sockaddr_storage *storage,
                         socklen_t length) {
    return (long)sendto(fd, bytes, (size_t)count, MSG_NOSIGNAL, (const struct sockaddr *)storage, length);
}

long CSocketShims_recvfrom(int fd, void *bytes, unsigned long capacity, struct sockaddr_storage *storage) {
    socklen_t length = sizeof(*storage);
    return (long)recvfrom(fd, bytes, (size_t)capacity, MSG_TRUNC, (struct sockaddr *)storage, &length);
}

int CSocketShims_mallocTrim(void) {
    return malloc_trim(0);
}
