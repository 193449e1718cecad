/*
 * NAME
 *   uuid - identifiers for exported objects (STIX, MISP)
 * SYNOPSIS
 *   char u[PC_UUID_LEN];
 *   pc_uuid4(u);                                 random (SDOs, MISP attributes)
 *   pc_uuid5(u, PC_UUID_NS_STIX_SCO, name, n);   deterministic (STIX SCOs)
 * DESCRIPTION
 *   RFC 4122 version 4 from getrandom, version 5 (SHA-1 of namespace and
 *   name, OpenSSL). STIX 2.1 (section 2.9) derives a cyber-observable's id
 *   as UUIDv5 in its namespace 00abedb4-aa42-466c-9c01-fed23315a9b7 over
 *   the canonical JSON of its id-contributing properties, so two
 *   producers name the same address or domain with the same id.
 */
#ifndef PC_EVIDENCE_UUID_H
#define PC_EVIDENCE_UUID_H

#include <stddef.h>

#define PC_UUID_LEN 37
#define PC_UUID_NS_STIX_SCO "00abedb4-aa42-466c-9c01-fed23315a9b7"

/* 0, or -1 when no randomness could be had. */
int pc_uuid4(char out[PC_UUID_LEN]);
/* 0, or -1 when ns is not a UUID or SHA-1 failed. */
int pc_uuid5(char out[PC_UUID_LEN], const char *ns, const char *name, size_t n);

#endif
