/**
 * The workloads of `npm run bench`, in the order each round runs them. A new face (a transport,
 * a peer) plugs in as cases of these modules, or as a new module listed here.
 */
import type { Workload } from './types.js';
import { consumeWorkload } from './workloads/consume.js';
import { durableWorkload } from './workloads/durable.js';
import { e2eLatencyWorkload } from './workloads/e2e-latency.js';
import { fanoutWorkload } from './workloads/fanout.js';
import { produceWorkload } from './workloads/produce.js';
import { rebalanceWorkload } from './workloads/rebalance.js';

export const WORKLOADS: readonly Workload[] = [produceWorkload, consumeWorkload, e2eLatencyWorkload, fanoutWorkload, durableWorkload, rebalanceWorkload];
