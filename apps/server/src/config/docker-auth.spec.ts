/**
 * The Docker image and the Compose file start with authentication on and a bootstrap admin
 * credential from the environment or a secret file (docs/security.md, "Docker"). No Docker engine
 * runs in CI, so this reads the Dockerfile and docker-compose.yml and checks the wiring against the
 * broker's own configuration loader; apps/server/test/docker-entrypoint.e2e-spec.ts runs the image's
 * start command with the same environment as a real process.
 *   - the runtime stage sets SPOOL_AUTH=on and listens on every address (SPOOL_HOST=0.0.0.0), which
 *     the loader accepts only because authentication is on; it bakes no credential into the image;
 *     its CMD runs the broker directly (no shell that could drop signals or the environment);
 *   - every broker service of the Compose file ends up with SPOOL_AUTH=on (its own or the image's)
 *     and requires SPOOL_ADMIN_API_KEY from the caller's environment (`${VAR:?message}`: Compose
 *     refuses to start without it), or names SPOOL_ADMIN_API_KEY_FILE; with the variable set, its
 *     environment loads with security on and that admin key.
 */
import { generateApiKey } from '@spool/security';
import { brokerServices, containerEnvironment, dockerfile, interpolate, parseDockerfile, rawEnvironment, runtimeStage } from './docker-files.test-util.js';
import { loadBrokerConfig } from './load-broker-config.js';

describe('parseDockerfile and interpolate (the readers this test relies on)', () => {
  it('reads ENV in both forms across continuations, and CMD', () => {
    const [stage] = parseDockerfile('FROM x AS run\nENV A=1 \\\n    B="two words"\nENV C 3\nCMD ["node", "main.js"]\n');
    expect(stage).toMatchObject({ name: 'run', env: { A: '1', B: 'two words', C: '3' }, cmd: ['node', 'main.js'] });
  });

  it('interpolates as Compose does, and refuses a required variable that is missing or empty', () => {
    expect(interpolate('${A:-d} ${B-d} ${C} $$x', { A: '', B: '' })).toBe('d   $x');
    expect(interpolate('${K:?set K}', { K: 'v' })).toBe('v');
    expect(() => interpolate('${K:?set K}', {})).toThrow('set K');
    expect(() => interpolate('${K:?set K}', { K: '' })).toThrow('set K');
  });
});

describe('the Docker image', () => {
  it('turns authentication on and listens on every address', () => {
    expect(runtimeStage.env.SPOOL_AUTH).toBe('on');
    expect(runtimeStage.env.SPOOL_HOST).toBe('0.0.0.0');
  });

  it('runs the broker itself as PID 1 (exec form, no shell)', () => {
    expect(runtimeStage.cmd).toEqual(['node', 'dist/apps/server/src/main.js']);
  });

  it('bakes no credential in (the admin key comes at run time)', () => {
    const secretish = /^SPOOL_(ADMIN_API_KEY|INTER_BROKER_PASSWORD|ETCD_PASSWORD)(_FILE)?$/;
    for (const stage of dockerfile) {
      expect(Object.keys(stage.env).filter((k) => secretish.test(k))).toEqual([]);
      expect(stage.lines.filter((l) => /^(ARG|ENV)\b.*(ADMIN_API_KEY|PASSWORD)/i.test(l))).toEqual([]);
    }
  });

  it('its environment alone is refused without authentication (the loader guards the non-loopback address)', () => {
    const { SPOOL_AUTH: _auth, ...withoutAuth } = runtimeStage.env;
    expect(() => loadBrokerConfig(withoutAuth, '/')).toThrow(/SPOOL_AUTH: authentication is off and SPOOL_HOST=0\.0\.0\.0 is not a loopback address/);
    const { config } = loadBrokerConfig({ ...runtimeStage.env }, '/');
    expect(config.security.enabled).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  const { apiKey } = generateApiKey();
  const caller = { SPOOL_ADMIN_API_KEY: apiKey, SPOOL_INTER_BROKER_PASSWORD: 'a shared inter-broker password' };

  it('runs the broker image in at least the single-node service and three cluster brokers', () => {
    expect(brokerServices.map(([name]) => name)).toEqual(expect.arrayContaining(['spool', 'spool-1', 'spool-2', 'spool-3']));
  });

  it.each(brokerServices)('%s: refuses to start unless the caller provides the admin key (or names a key file)', (_name, service) => {
    const raw = rawEnvironment(service);
    if (raw.SPOOL_ADMIN_API_KEY_FILE !== undefined) {
      expect(service.secrets ?? []).not.toEqual([]);
      return;
    }
    expect(raw.SPOOL_ADMIN_API_KEY).toMatch(/^\$\{SPOOL_ADMIN_API_KEY:\?[^}]+\}$/);
    expect(() => containerEnvironment(service, {})).toThrow(/SPOOL_ADMIN_API_KEY/);
    expect(() => containerEnvironment(service, { SPOOL_ADMIN_API_KEY: '' })).toThrow(/SPOOL_ADMIN_API_KEY/);
  });

  it.each(brokerServices)('%s: starts with authentication on and the caller\'s admin key', (_name, service) => {
    const env = containerEnvironment(service, caller);
    expect(env.SPOOL_AUTH).toBe('on');
    const { config } = loadBrokerConfig(env, '/');
    expect(config.security.enabled).toBe(true);
    expect(config.security.adminApiKey).toBe(apiKey);
  });
});
