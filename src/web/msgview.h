/* TEMPORARY until web-msgview lands */
#ifndef PC_WEB_MSGVIEW_H
#define PC_WEB_MSGVIEW_H
#include <jansson.h>
#include <stddef.h>
json_t *pc_msgview(const char *bytes, size_t n);
#endif
