/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/features.c — the one list of wyvernd's features (feature.h), in
 * init order (tick order; fini runs backwards).  A new feature: its files,
 * one extern and one line here, its command lines in ctrl/cli/cmd_spec.c.
 */
#include "feature.h"

extern const struct ctrl_feature ctrl_show_feature;     /* mgmt/cmd_show.c */
extern const struct ctrl_feature ctrl_cfg_feature;      /* mgmt/cmd_cfg.c */
extern const struct ctrl_feature ctrl_lc_feature;       /* mgmt/cmd_lc.c */
extern const struct ctrl_feature ctrl_nb_feature;       /* mgmt/cmd_nb.c */
extern const struct ctrl_feature app_dhcp_feature;      /* apps/app_dhcp.c */
extern const struct ctrl_feature app_icmp_feature;      /* apps/app_icmp.c */
extern const struct ctrl_feature app_underlay_feature;  /* apps/app_underlay.c */
extern const struct ctrl_feature app_nat_feature;       /* apps/app_nat.c */
extern const struct ctrl_feature ctrl_capture_feature;  /* mgmt/cmd_capture.c */
extern const struct ctrl_feature ctrl_ct_feature;       /* mgmt/cmd_ct.c */
extern const struct ctrl_feature ctrl_offload_feature;  /* mgmt/cmd_offload.c */
extern const struct ctrl_feature ctrl_sg_feature;       /* mgmt/cmd_sg.c */
extern const struct ctrl_feature ctrl_mem_feature;      /* mgmt/cmd_mem.c */
extern const struct ctrl_feature ctrl_api_feature;      /* main/api_feature.c */

static const struct ctrl_feature *const features[] = {
	&ctrl_show_feature,
	&ctrl_cfg_feature,
	&ctrl_lc_feature,
	&ctrl_nb_feature,
	&ctrl_api_feature,
	&ctrl_capture_feature,
	&ctrl_ct_feature,
	&ctrl_offload_feature,
	&ctrl_sg_feature,
	&ctrl_mem_feature,
	&app_dhcp_feature,
	&app_icmp_feature,
	&app_underlay_feature,
	&app_nat_feature,
};

const struct ctrl_feature *const *ctrl_features(size_t *n)
{
	*n = sizeof(features) / sizeof(features[0]);
	return features;
}
