/*
 * NAME
 *   hostport - parse "ADDR:PORT" into a socket address (see hostport.h)
 */
#include "core/hostport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int pc_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *h = s, *colon;
	size_t hl;
	int v6 = s[0] == '[';
	if (v6) {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		if (!(colon = strchr(s, ':')))
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	const char *p = colon + 1;
	unsigned port = 0;
	size_t digits = 0;
	for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		port = port * 10 + (unsigned)(*p - '0');
	if (*p || digits == 0 || port == 0 || port > 65535)
		return -1;
	struct sockaddr_storage a;
	memset(&a, 0, sizeof a);
	socklen_t l;
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		l = sizeof *sin6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		l = sizeof *sin;
	}
	if (ss)
		*ss = a;
	if (len)
		*len = l;
	return 0;
}
