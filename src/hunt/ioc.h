/*
 * NAME
 *   ioc - indicators of compromise an analyst hunts for, matched against messages
 * SYNOPSIS
 *   pc_ioc *ioc = pc_ioc_load("campaign-7.txt", err, sizeof err);   NULL: err "FILE:LINE: reason"
 *   const char *why;
 *   if (pc_ioc_match(ioc, m, &fp, sha, &why))
 *       ... "domain evil.example (campaign-7.txt:3) in link host www.evil.example" ...
 *   pc_ioc_free(ioc);
 * DESCRIPTION
 *   Text files: UTF-8, one indicator per line, lines whose first non-blank
 *   character is '#' are comments, blank lines are ignored. A line is
 *   "TYPE:VALUE" for TYPE one of domain, host, email, url, ip, template,
 *   subject, message-id, sha256 (case-insensitive), or a bare value whose
 *   type is inferred: http:// or https:// → url; contains '@' → email; an
 *   IPv4/IPv6 address or CIDR block → ip; 64 hex digits → sha256; else a
 *   domain name. Defanged forms are accepted in domains, hosts, addresses,
 *   URLs and IPs: "[.]", "(.)", "[:]", "[@]", "hxxp(s)://".
 *
 *   A file starting with '{' is a STIX 2.1 bundle (or one indicator
 *   object): each indicator whose pattern_type is stix and whose pattern
 *   is one comparison with '=', or an OR of such (inside one [...] or
 *   between several), on domain-name:value, url:value, email-addr:value,
 *   ipv4-addr:value, ipv6-addr:value, email-message:subject,
 *   email-message:from_ref.value, email-message:sender_ref.value or
 *   file:hashes.'SHA-256'. Other indicators (AND, qualifiers, other
 *   operators or objects, revoked) are skipped and counted
 *   (pc_ioc_skipped), since a published bundle mixes kinds; a malformed
 *   file is an error.
 *
 *   What matches:
 *   - domain: the host itself or a subdomain (at a label boundary) of:
 *     From / Reply-To / Sender and Return-Path domains, every link and
 *     resource URL host (as written and IDNA A-label), DKIM d=, and the
 *     fingerprint's infrastructure keys (from:, rp:, dkim:, tracker:).
 *     A public suffix (com, co.uk) is refused: it would match half the mail.
 *   - host: the same places, the host itself only (no subdomains).
 *   - email: From / Reply-To / Sender / Return-Path, case-insensitive.
 *   - url: a prefix of a link or resource URL (the URL as the message has
 *     it, or as <base href> resolved it), scheme and host compared without
 *     case; a prefix that ends in the host ends at the host ("https://e.x"
 *     does not match "https://e.xy/").
 *   - ip: address or CIDR block; a URL host that is in it, or a
 *     fingerprint "ip:" / "tracker:" key whose address or block overlaps.
 *   - template: equal to one of the fingerprint's tracker URL templates.
 *   - subject: a substring of the Subject, Unicode case-folded, runs of
 *     white space read as one space.
 *   - message-id: equal to the Message-ID, with or without <>.
 *   - sha256: the SHA-256 of the message bytes the caller passes.
 *   Exact kinds are hash-table lookups, a domain costs one lookup per
 *   label of the host, a URL one lookup per distinct indicator length,
 *   an IP one per distinct prefix length plus a binary search, subjects
 *   one Aho-Corasick pass: matching cost does not grow with the number
 *   of indicators.
 *
 *   Limits: PC_IOC_MAX indicators, lines and STIX values of at most
 *   PC_IOC_LINE_MAX bytes, files of at most 256 MB. A loaded pc_ioc is
 *   read-only: one may be shared by several threads.
 */
#ifndef PC_HUNT_IOC_H
#define PC_HUNT_IOC_H

#include <stddef.h>

#include "core/msg.h"

#define PC_IOC_MAX 100000
#define PC_IOC_LINE_MAX 4096

typedef struct pc_ioc pc_ioc;
struct pc_fingerprint;

/* NULL with err ("FILE:LINE: reason", or "FILE: reason") on a bad file or
 * one without indicators. */
pc_ioc *pc_ioc_load(const char *path, char *err, size_t errlen);
/* The same from memory (any bytes); `name` stands for FILE in errors. */
pc_ioc *pc_ioc_load_mem(const char *buf, size_t n, const char *name, char *err, size_t errlen);
void pc_ioc_free(pc_ioc *ioc);
/* Distinct indicators loaded (a value given twice counts once). */
size_t pc_ioc_count(const pc_ioc *ioc);
/* STIX indicators skipped as unsupported; *first (when not NULL) the
 * reason for the first of them, NULL when none. */
size_t pc_ioc_skipped(const pc_ioc *ioc, const char **first);
/* 1 when the message matches an indicator, *why (when not NULL) naming
 * the indicator, its origin and where it matched (in m's arena; when the
 * message has no arena or it is full, the indicator's own label, which
 * lives as long as ioc); 0 when none matches. fp and sha256 may be NULL
 * (their indicators are then not checked). */
int pc_ioc_match(const pc_ioc *ioc, const pc_msg *m, const struct pc_fingerprint *fp, const unsigned char sha256[32],
                 const char **why);

#endif
