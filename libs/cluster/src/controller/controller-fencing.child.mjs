// Child process of controller-fencing.int-spec.ts: one broker node (EtcdClusterMetadata from the
// compiled library, npm run build) that the test can SIGSTOP, SIGCONT and SIGKILL. It prints one
// JSON line per event on stdout and takes commands on stdin:
//   stale-write <topic> <partition>   write that partition through the last controller session
//                                     this node won, even if the node believes it has ended
//                                     (prints {"event":"write","outcome":...}): the fencing probe
//   exit                              leave the cluster cleanly and exit
// argv: <distRoot> <etcd endpoint> <brokerId>
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const [distRoot, endpoint, brokerIdText] = process.argv.slice(2);
const brokerId = Number(brokerIdText);
const cluster = await import(pathToFileURL(path.join(distRoot, 'libs', 'cluster', 'src', 'index.js')).href);
const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const node = new cluster.EtcdClusterMetadata({
  brokerId,
  endpoints: [endpoint],
  clusterName: 'test',
  advertised: { host: '127.0.0.1', kafkaPort: 19000 + brokerId, httpPort: 18000 + brokerId },
  sessionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  duplicateRegistrationWaitMs: 10000,
  controller: { leaderImbalanceCheckIntervalMs: 3600000 },
});
let lastSession = null;
node.onControllerSession((session) => {
  lastSession = session;
  emit({ event: 'controller', controllerEpoch: session.controllerEpoch, electionRevision: session.electionRevision });
});
node.registrar.onChange((session) => emit({ event: 'registration', brokerEpoch: session ? session.brokerEpoch : null }));
await node.start();
emit({ event: 'started', brokerEpoch: node.brokerSession().brokerEpoch });

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const [cmd, topic, partitionText] = line.trim().split(' ');
  try {
    if (cmd === 'stale-write') {
      const partition = Number(partitionText);
      const key = node.keys.partition(topic, partition);
      // Read the partition fresh, so the only condition that can fail is the election's.
      const { kv } = await node.connection.get(key);
      const state = cluster.decodePartitionState(key, kv.value, topic, partition, kv.modRevision);
      const next = { ...cluster.stateFields(state), leader: brokerId, leaderEpoch: state.leaderEpoch + 100, partitionEpoch: state.partitionEpoch + 1 };
      const { outcome } = await lastSession.writePartition(state, next);
      emit({ event: 'write', outcome, sessionActive: lastSession.active, endReason: lastSession.endReason, sessionEpoch: lastSession.controllerEpoch, modRevision: kv.modRevision });
    } else if (cmd === 'exit') {
      await node.close();
      process.exit(0);
    }
  } catch (err) {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
