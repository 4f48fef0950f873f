/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_ext.c — the extensions this server implements, exactly: clients
 * (the openstack CLI, tempest) decide what to send and test from this list,
 * so an alias appears here only when its attributes and semantics work.
 */
#include <string.h>

#include "api_priv.h"

static const struct {
	const char *alias, *name, *description;
} exts[] = {
	{ "allowed-address-pairs", "Allowed Address Pairs",
	  "Provides allowed address pairs" },
	{ "binding", "Port Binding",
	  "Expose port bindings of a virtual port to external application" },
	{ "external-net", "Neutron external network",
	  "Adds external network attribute to network resource." },
	{ "ext-gw-mode", "Neutron L3 Configurable external gateway mode",
	  "Extension of the router abstraction for specifying whether SNAT should occur on "
	  "the external gateway" },
	{ "extra_dhcp_opt", "Neutron Extra DHCP options",
	  "Extra options configuration for DHCP. (stored; not served by the DHCP app yet)" },
	{ "extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router" },
	{ "net-mtu", "Network MTU", "Provides MTU attribute for a network resource." },
	{ "pagination", "Pagination support", "Extension that indicates that pagination is "
	  "enabled." },
	{ "port-security", "Port Security", "Provides port security" },
	{ "project-id", "project_id field enabled", "Extension that indicates that project_id "
	  "field is enabled." },
	{ "provider", "Provider Network", "Expose mapping of virtual networks to physical "
	  "networks" },
	{ "revision-if-match", "If-Match constraints based on revision_number",
	  "Extension indicating that If-Match based on revision_number is supported." },
	{ "router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between "
	  "L2 Neutron networks and access to external networks via a NAT gateway. (floating "
	  "IPs are stored and validated; NAT does not forward them yet)" },
	{ "security-group", "security-group", "The security groups extension. (stored and "
	  "compiled by the controller; no default group per project yet)" },
	{ "sorting", "Sorting support", "Extension that indicates that sorting is enabled." },
	{ "standard-attr-description", "standard-attr-description",
	  "Extension to add descriptions to standard attributes" },
	{ "standard-attr-revisions", "Resource revision numbers",
	  "This extension will display the revision number of neutron resources." },
	{ "standard-attr-tag", "Tag support for resources with standard attribute: subnet, "
	  "port, router, network, subnetpool", "Enables to set tag on resources with standard attribute." },
	{ "standard-attr-timestamp", "Resource timestamps",
	  "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
	  "standard attributes." },
	{ "subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a "
	  "subnet pool" },
};
#define N_EXTS (sizeof(exts) / sizeof(exts[0]))

static json_t *one(size_t i)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:[]}", "alias", exts[i].alias, "name",
			 exts[i].name, "description", exts[i].description, "updated",
			 "2026-12-01T00:00:00-00:00", "links");
}

json_t *api_extensions(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < N_EXTS; i++)
		json_array_append_new(a, one(i));
	return a ? json_pack("{s:o}", "extensions", a) : NULL;
}

json_t *api_extension(const char *alias)
{
	size_t i;

	for (i = 0; i < N_EXTS; i++)
		if (!strcmp(exts[i].alias, alias))
			return json_pack("{s:o}", "extension", one(i));
	return NULL;
}
