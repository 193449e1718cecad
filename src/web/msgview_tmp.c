#include "web/msgview.h"
json_t *pc_msgview(const char *bytes, size_t n)
{
	(void)bytes;
	(void)n;
	return json_object();
}
