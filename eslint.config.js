// Lint = typescript-eslint's recommended rules plus the one-way dependency rule of
// ../shared/STYLE.md: apps -> {log-engine, coordinator, broker-client} -> protocol -> common (and apps -> cluster
// -> common, apps -> security -> common, apps -> replication -> {log-engine, broker-client, cluster},
// apps -> schema-registry -> common, streams imports no lib: it is published alone), libs import each other only through their barrel alias, and only
// `<lib>.module.ts` may import NestJS.
import tseslint from 'typescript-eslint';

const LIBS = ['common', 'protocol', 'log-engine', 'coordinator', 'broker-client', 'cluster', 'security', 'webhooks', 'replication', 'schema-registry', 'streams'];
/** What each lib may import, besides itself (itself it imports relatively). */
const ALLOWED = {
  common: [],
  protocol: ['common'],
  'log-engine': ['common', 'protocol'],
  coordinator: ['common', 'protocol'],
  'broker-client': ['common', 'protocol'],
  // Cluster coordination on etcd: metadata, placement, controller. It speaks no Kafka wire format.
  cluster: ['common'],
  // Credentials, ACLs and quotas are face-neutral: the faces decode their own frames and hand the
  // lib strings and bytes, so it needs nothing but common.
  security: ['common'],
  // Webhook delivery on BullMQ (signing, SSRF guard, retries, ordering); records arrive already rendered.
  webhooks: ['common'],
  // Replication's broker side: drives logs (log-engine) from partition state (cluster) over the Kafka protocol (broker-client).
  replication: ['common', 'protocol', 'log-engine', 'broker-client', 'cluster'],
  // Schemas (Avro, JSON Schema, Protobuf), compatibility and the registry's state; the app gives it a log.
  'schema-registry': ['common'],
  // Stream processing for applications, published as a package of its own (libs/streams/package.json): it talks to
  // brokers only through the Kafka protocol (kafkajs), so it imports no other lib and compiles alone.
  streams: [],
};

const deepAndRelative = [
  { group: ['@spool/*/*'], message: 'Import a lib only through its barrel alias (@spool/<lib>), never a deep path.' },
  { group: ['**/libs/**', '../../libs/*'], message: 'Import a lib through its @spool/<lib> alias, not a relative path across lib roots.' },
  { group: ['**/apps/**'], message: 'Nothing imports an app.' },
];

const libBlocks = LIBS.map((lib) => ({
  files: [`libs/${lib}/src/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...deepAndRelative,
        { group: ['../../**'], message: 'A relative import may not climb out of this lib (use @spool/<lib>).' },
        ...LIBS.filter((other) => other !== lib && !ALLOWED[lib].includes(other)).map((other) => ({
          group: [`@spool/${other}`],
          message: `libs/${lib} may import only ${ALLOWED[lib].map((l) => '@spool/' + l).join(', ') || 'no other lib'} (STYLE.md: one direction of dependency).`,
        })),
        { group: ['@nestjs/*'], message: 'Libs are plain TypeScript: only <lib>.module.ts may import NestJS.' },
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'libs/*/dist/**', 'client/dist/**', 'apps/console/dist/**', 'node_modules/**', 'coverage/**', '**/generated/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: deepAndRelative }],
    },
  },
  ...libBlocks,
  {
    // A lib's Nest adapter and its tests may use Nest; the boundary rules still hold.
    files: ['libs/*/src/**/*.module.ts', 'libs/*/src/**/*.spec.ts', 'libs/*/src/**/*.int-spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: deepAndRelative }] },
  },
);
