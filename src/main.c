/*
 * NAME
 *   portcullis - the one program: dispatches COMMAND to its front end
 * SYNOPSIS
 *   portcullis scan|campaigns|quarantine|hunt ...    the command line (cli/)
 *   portcullis milter ...                             the mail filter (milter/)
 *   portcullis serve ...                              the analyst console (web/)
 *   portcullis help | --help | --version
 * DESCRIPTION
 *   The only file that knows every front end; the front ends never include
 *   each other (what they share is in app/).
 */
#include <stdio.h>
#include <string.h>

#include "cli/campaigns.h"
#include "cli/evidence.h"
#include "cli/ioc.h"
#include "cli/hunt.h"
#include "cli/quarantine.h"
#include "cli/scan.h"
#include "cli/replay.h"
#include "cli/user.h"
#include "milter/milter.h"
#include "web/web.h"

#include "core/version.h"

static const char usage_main[] =
    "usage: portcullis COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  scan PATH...   parse messages and print one JSON line per message\n"
    "  campaigns      list, show and mark campaigns (one template, many recipients)\n"
    "  quarantine     list, show, release and delete quarantined messages\n"
    "  evidence       verify kept messages offline; export a campaign (STIX, MISP, HTML, PDF)\n"
    "  ioc            keep indicator sets (text, STIX, MISP) the milter matches at delivery\n"
    "  hunt PATH...   find members of malicious campaigns or indicators in mailboxes\n"
    "  milter         run the mail filter for Postfix/Sendmail (libmilter)\n"
    "  serve          run the analyst console (a web server; see docs/console.md)\n"
    "  user           the console's accounts: add, passwd, remove, list\n"
    "  replay         record what the milter delivered while the store was unavailable\n"
    "  help           this text; 'portcullis COMMAND --help' for a command\n"
    "\n"
    "Options: --version, --help\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("portcullis %s\n", PC_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "scan"))
		return pc_cli_scan(argc - 1, argv + 1);
	if (!strcmp(cmd, "campaigns"))
		return pc_cli_campaigns(argc - 1, argv + 1);
	if (!strcmp(cmd, "quarantine"))
		return pc_cli_quarantine(argc - 1, argv + 1);
	if (!strcmp(cmd, "ioc"))
		return pc_cli_ioc(argc - 1, argv + 1);
	if (!strcmp(cmd, "evidence"))
		return pc_cli_evidence(argc - 1, argv + 1);
	if (!strcmp(cmd, "hunt"))
		return pc_cli_hunt(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return pc_web_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "user"))
		return pc_cli_user(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return pc_cli_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "milter"))
		return pc_cli_milter(argc - 1, argv + 1);
	fprintf(stderr, "portcullis: unknown command '%s'\n\n%s", cmd, usage_main);
	return 2;
}
