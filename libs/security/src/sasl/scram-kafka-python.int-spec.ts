/**
 * The SCRAM server judged by a client nobody here wrote: kafka-python's ScramClient (Debian's
 * python3-kafka, run by /usr/bin/python3), the code kafka-python uses for SASL/SCRAM against
 * Kafka brokers. The Python side speaks one message per line on stdin/stdout.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createScramCredential } from './scram-credential.js';
import { ScramSaslServer } from './scram-sasl-server.js';
import type { ScramCredentialRecord, ScramMechanism } from '../store/security-records.js';

const CLIENT = `
import sys
from kafka.scram import ScramClient
c = ScramClient(sys.argv[1], sys.argv[2], sys.argv[3])
print(c.first_message(), flush=True)
c.process_server_first_message(sys.stdin.readline().strip())
print(c.final_message(), flush=True)
try:
    c.process_server_final_message(sys.stdin.readline().strip())
    print("verified", flush=True)
except Exception as e:
    print("rejected " + str(e), flush=True)
`;

async function exchange(mechanism: ScramMechanism, credential: ScramCredentialRecord, user: string, password: string): Promise<{ outcome: string; serverError: unknown }> {
  const child = spawn('/usr/bin/python3', ['-c', CLIENT, user, password, mechanism], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`kafka-python client ended early: ${stderr}`);
    return value as string;
  };
  const server = new ScramSaslServer(mechanism, {
    lookup: (m, u) => (m === credential.mechanism && u === credential.user ? credential : undefined),
    mockSaltSecret: Buffer.alloc(32, 1),
    clientHost: '127.0.0.1',
  });
  let serverError: unknown = null;
  try {
    const first = await server.evaluate(Buffer.from(await next()));
    child.stdin.write(first.challenge.toString() + '\n');
    try {
      const final = await server.evaluate(Buffer.from(await next()));
      child.stdin.write(final.challenge.toString() + '\n');
      return { outcome: await next(), serverError };
    } catch (err) {
      serverError = err;
      return { outcome: 'server refused', serverError };
    }
  } finally {
    child.kill();
  }
}

describe('SCRAM server against kafka-python\'s ScramClient', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: logs in, the client verifies the server signature; a wrong password is refused`, async () => {
      const credential = await createScramCredential({ user: 'acme.py', mechanism, tenant: 'acme', password: 'pässwörd 1', iterations: 8192 });
      await expect(exchange(mechanism, credential, 'acme.py', 'pässwörd 1')).resolves.toEqual({ outcome: 'verified', serverError: null });
      const wrong = await exchange(mechanism, credential, 'acme.py', 'password 1');
      expect(wrong.outcome).toBe('server refused');
      expect(wrong.serverError).toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    });
  }
});
