#ifndef CSOCKETSHIMS_H
#define CSOCKETSHIMS_H
int CSocketShims_placeholder(void);
#endif
