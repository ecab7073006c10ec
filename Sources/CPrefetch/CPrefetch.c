// CPrefetch is header-only (static inline); SwiftPM needs one source file for a C target.
#include "CPrefetch.h"
