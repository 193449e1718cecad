/*
 * NAME
 *   protect - the organisation's own domains, protected partner domains
 *   and protected people, normalised once per scanner
 * SYNOPSIS
 *   pc_protect *p = pc_protect_new(&config);      (pc_scanner_new does it)
 *   const pc_protected_domain *own = pc_protect_domain_of(p, &d);
 *   const char *t = pc_protect_lookalike(p, &d, &imitated);
 *   pc_protect_free(p);
 * DESCRIPTION
 *   Holds the config's [organisation] and [protected] domains, every
 *   [person]'s domains and the domains of their addresses as pc_domain
 *   (names.h), and each person's name variants as normalised display
 *   names. It owns a pc_names state, so like the scanner it belongs to one
 *   thread. The lookalike test lives here so that every detector asks the
 *   same question the same way.
 */
#ifndef PC_PROTECT_H
#define PC_PROTECT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "detect/lib/names.h"

typedef struct pc_protect pc_protect;

typedef enum { PC_PROTECT_OWN, PC_PROTECT_PROTECTED, PC_PROTECT_PERSON } pc_protect_kind;

typedef struct pc_protected_domain {
	pc_domain d;
	pc_protect_kind kind;
	size_t person;     /* PC_PROTECT_PERSON: index into config->people */
	bool from_address; /* PC_PROTECT_PERSON: only the domain of an address */
} pc_protected_domain;

typedef struct pc_protected_person {
	const pc_person *cfg;
	const char **variants; /* normalised, parallel to cfg->names */
	pc_domain *domains;    /* cfg->domains, then the domains of cfg->addresses */
	size_t ndomains;
	size_t nexplicit; /* domains[0..nexplicit) came from cfg->domains */
} pc_protected_person;

/* NULL when out of memory or ICU could not be set up. */
pc_protect *pc_protect_new(const pc_config *c);
void pc_protect_free(pc_protect *p);
pc_names *pc_protect_names(pc_protect *p);
/* Freemail providers (the caller keeps the list alive; NULL: none). A
 * person's address on a freemail domain makes only that address theirs,
 * and the provider is not a domain to protect. */
struct pc_trackerlist;
void pc_protect_set_freemail(pc_protect *p, const struct pc_trackerlist *freemail);
size_t pc_protect_npeople(const pc_protect *p);
const pc_protected_person *pc_protect_person(const pc_protect *p, size_t i);
size_t pc_protect_ndomains(const pc_protect *p);
/* The listed domain d is, or is a subdomain of; NULL when none. */
const pc_protected_domain *pc_protect_domain_of(const pc_protect *p, const pc_domain *d);
/* The transformation by which d imitates a listed domain (names.h), with
 * that domain in *imitated; or "mixed-script" (*imitated NULL) for a label
 * mixing Latin with Cyrillic or Greek that imitates none; NULL when d is
 * one of them, a subdomain of one, or like none. */
const char *pc_protect_lookalike(const pc_protect *p, const pc_domain *d, const pc_protected_domain **imitated);
/* Whether addr (compared ignoring case), on domain d, is one of the
 * person's own addresses or on one of their domains (cfg->domains, and
 * the domains of their addresses unless freemail). */
bool pc_protect_person_owns(const pc_protect *p, size_t person, const char *addr, const pc_domain *d);
/* The domain part of an address ("a@b.example"), normalised; -1 when none. */
int pc_protect_addr_domain(pc_protect *p, pc_arena *a, const char *addr, pc_domain *out);
/* A display name normalised into the arena (pc_names_display). */
const char *pc_protect_display(pc_protect *p, pc_arena *a, const char *name);

#endif
