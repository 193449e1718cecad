/*
 * NAME
 *   hostport - "ADDR:PORT", the address a listener binds
 * SYNOPSIS
 *   struct sockaddr_storage ss; socklen_t len;
 *   if (pc_hostport("127.0.0.1:9187", &ss, &len) != 0) ... not an address
 *   pc_hostport("[::1]:9187", NULL, NULL);     a check only
 * DESCRIPTION
 *   ADDR is a numeric IPv4 address, or an IPv6 address in brackets; never
 *   a host name (that would need DNS before the daemon listens, and a
 *   name can change under it). PORT is decimal, 1 to 65535. 0 with the
 *   socket address in *ss and its length in *len (either may be NULL),
 *   or -1 when s is not such an address.
 */
#ifndef PC_CORE_HOSTPORT_H
#define PC_CORE_HOSTPORT_H

#include <sys/socket.h>

int pc_hostport(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
