/*
 * gw_health.h — what /health/ready means: "this gateway knows a cluster map and can reach a
 * quorum of the cluster", checked cheaply and on demand.
 *
 * THE RULE (gw_health_judge, pure): ready when, for every pool of the current map, the OSDs
 * that answered a PING in the last probe round cover at least max(write_quorum, read_quorum)
 * distinct failure domains (hosts for failure_domain host, OSDs for failure_domain osd).
 * With three hosts and quorum 2: one host down is ready (every write and read can still reach
 * quorum, DESIGN promise 2), two hosts down or all OSDs down is not.
 *   Why not "every placement group has a quorum of answering replicas"? Readiness is for a load
 *   balancer choosing among gateways. A partial failure of the OSDs (one OSD down on each of
 *   two hosts) looks the same from every gateway, so a per-PG rule would take every gateway
 *   out at once and turn "the objects of a few PGs fail" into "everything fails". A gateway
 *   that cannot reach enough hosts (cut off from the network, wrong addresses, a cluster that
 *   is down) is the case a load balancer can route around, and what this rule catches. The
 *   body still says how many OSDs answered, so a partial failure is visible.
 *   PING answers count whatever their state bits say (a full disk still serves reads).
 *
 * THE PROBE: per event-loop thread (each thread has its own OSD client, and a gateway whose
 * threads disagree is rare and harmless), on demand. A /health/ready request answers from the
 * last result if it is younger than GW_HEALTH_FRESH_MS; otherwise it waits for a probe round:
 * one PING to every OSD of the map that is `in` and has an address (requests waiting meanwhile
 * share the round). A round ends when every OSD answered or failed, or after GW_HEALTH_ROUND_MS
 * (the OSDs still silent count as unreachable: a frozen OSD fails the check in one second).
 * OSDs in connect back-off (recently refused) fail at once without network traffic. Cost: at
 * most one PING per OSD per second per thread, and only while something asks; an idle
 * gateway sends nothing.
 *
 * Answers: 200 "ready: epoch E, N/M OSDs answering\n" or 503 "not ready: <why>\n"
 * (text/plain; HEAD gets no body). A gateway without a usable map (invalid config map or no
 * replication client) is never ready.
 */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include "placement.h"

#define GW_HEALTH_FRESH_MS 1000u /* a probe result younger than this is reused */
#define GW_HEALTH_ROUND_MS 1000u /* a PING not answered within this counts as unreachable */

typedef struct gw_health gw_health_t;
struct gw_thread;
struct gw_req;

/* The probe state of thread t (call on t's loop thread, after t->osd was set up). NULL on out
 * of memory (then /health/ready answers 503). */
gw_health_t *gw_health_create(struct gw_thread *t);
/* Cancels a round under way (its waiting requests are left unanswered: only at thread exit)
 * and frees h. NULL is fine. Before the thread's OSD client is destroyed. */
void gw_health_destroy(gw_health_t *h);

/* Answers /health/ready for r, now or when the probe round ends (on r's loop thread). */
void gw_health_ready(struct gw_req *r);

/* The rule above. answering[i] != 0 when map->osds[i] answered. Returns 1 ready, 0 not, and
 * writes a one-line reason (no newline) to why[cap]: the first pool short of quorum, or the
 * count of answering OSDs. -ENOMEM on allocation failure. Pure. */
int gw_health_judge(const pl_map_t *map, const uint8_t *answering, char *why, size_t cap);

#endif
