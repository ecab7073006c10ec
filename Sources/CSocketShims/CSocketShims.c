#include "CSocketShims.h"
int CSocketShims_placeholder(void) { return 0; }
