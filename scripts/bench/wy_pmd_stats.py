#!/usr/bin/python3
"""Reduce `wyctl --json show pmd` output to the bench figures.

Usage: wy_pmd_stats.py FILE.json
       wy_pmd_stats.py --tx FILE.json   (only: sum of tx_packets over the PMDs)

Input: {"pmds":[{"lcore":1,"rx_packets":N,"tx_packets":N,"busy_cycles":N,
"idle_cycles":N,"tsc_hz":N,"seconds":S,"emc_hits":N,"mfc_hits":N,
"misses":N,"megaflows":N,"drops":{"reason":N}}]}

Output, four lines:
  mpps=<sum over PMDs of tx_packets / seconds / 1e6>
  cycles_per_pkt=<sum(busy_cycles + idle_cycles) / sum(rx_packets)>
  own_cycles_per_pkt=<of the sampled, timed iterations ("timed" in show pmd):
      (cycles - driver_cycles) / packets; "-" when none were timed>
  info=<key=value ...: megaflows, hit rates, drops, the timed split>
"""

import json
import sys


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--tx":
        with open(sys.argv[2]) as f:
            print(sum(int(p["tx_packets"]) for p in json.load(f)["pmds"]))
        return 0
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    pmds = doc["pmds"]
    if not pmds:
        print("wy_pmd_stats: no PMDs", file=sys.stderr)
        return 1
    mpps = 0.0
    cycles = rx = tx = emc = mfc = miss = megaflows = 0
    t_pkts = t_cyc = t_drv = 0
    drops = {}
    for p in pmds:
        secs = float(p["seconds"])
        if secs <= 0:
            print("wy_pmd_stats: lcore %s: seconds=%s" % (p.get("lcore"), secs), file=sys.stderr)
            return 1
        mpps += p["tx_packets"] / secs / 1e6
        cycles += p["busy_cycles"] + p["idle_cycles"]
        rx += p["rx_packets"]
        tx += p["tx_packets"]
        emc += p.get("emc_hits", 0)
        mfc += p.get("mfc_hits", 0)
        miss += p.get("misses", 0)
        megaflows += p.get("megaflows", 0)
        timed = p.get("timed") or {}
        t_pkts += timed.get("packets", 0)
        t_cyc += timed.get("cycles", 0)
        t_drv += timed.get("driver_cycles", 0)
        for k, v in (p.get("drops") or {}).items():
            drops[k] = drops.get(k, 0) + v
    if rx == 0:
        print("wy_pmd_stats: no packets received", file=sys.stderr)
        return 1
    print("mpps=%.2f" % mpps)
    print("cycles_per_pkt=%.1f" % (cycles / rx))
    own = "%.1f" % ((t_cyc - t_drv) / t_pkts) if t_pkts else "-"
    print("own_cycles_per_pkt=" + own)
    lookups = emc + mfc + miss or 1
    info = "megaflows=%d tx_packets=%d rx_packets=%d emc_hits=%d mfc_hits=%d misses=%d " \
        "emc_rate=%.3f mfc_rate=%.3f miss_rate=%.3f tsc_hz=%s" % (
            megaflows, tx, rx, emc, mfc, miss, emc / lookups, mfc / lookups, miss / lookups,
            pmds[0].get("tsc_hz", "?"))
    if t_pkts:
        info += " timed_packets=%d timed_cycles_per_pkt=%.1f timed_driver_cycles_per_pkt=%.1f " \
            "timed_own_cycles_per_pkt=%s" % (t_pkts, t_cyc / t_pkts, t_drv / t_pkts, own)
    for k in sorted(drops):
        info += " drop_%s=%d" % (k, drops[k])
    print("info=" + info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
