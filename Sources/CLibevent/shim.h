#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H

// libevent's event2/event-config.h defines _GNU_SOURCE (and other feature macros) before its first system header.
// glibc's headers are textual in every Clang module, so this module would then carry GNU variants of shared types
// (`fd_set` has `fds_bits` instead of `__fds_bits`) and any Swift file that also loads Foundation or Dispatch fails
// with "'fd_set' ... is not present in definition of 'fd_set' in module 'CDispatch'". Including every system header
// libevent uses first, with the default feature macros, fixes glibc's configuration (<features.h> is evaluated once)
// before event-config.h can change it.
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <event2/event.h>
#include <event2/util.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/http.h>

#endif
