import { Etcd3 } from 'etcd3';
import { noop } from 'cockatiel';
const c = new Etcd3({ hosts: 'http://127.0.0.1:23791', faultHandling: { host: () => noop, global: noop } });
const g = await c.leaseClient.leaseGrant({ TTL: 1 });
console.log('grant', g);
const put = await c.kv.txn({ compare: [{ key: Buffer.from('/x'), target: 'Create', result: 'Equal', create_revision: 0 }], success: [{ request_put: { key: Buffer.from('/x'), value: Buffer.from('v'), lease: g.ID } }], failure: [{ request_range: { key: Buffer.from('/x') } }] });
console.log(JSON.stringify(put));
const s = await c.watchClient.watch();
s.on('data', (r) => console.log('watch', JSON.stringify(r)));
s.write({ create_request: { key: Buffer.from('/'), range_end: Buffer.from('0'), start_revision: 1 } });
await new Promise((r) => setTimeout(r, 2500));
s.write({ progress_request: {} });
await new Promise((r) => setTimeout(r, 200));
const bad = new Etcd3({ hosts: 'http://127.0.0.1:1', faultHandling: { host: () => noop, global: noop } });
try { await bad.kv.range({ key: Buffer.from('a') }, { deadline: Date.now() + 1000 }); } catch (e) { console.log('err', e.constructor.name, e.message); }
c.close(); bad.close();
