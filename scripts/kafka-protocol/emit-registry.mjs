/**
 * The registry modules of generated/: api-messages.ts (apiKey -> request and response codecs,
 * pairing each XRequest spec with its XResponse) and index.ts (re-exports every generated module).
 */
import { HEADER, kebab, screaming } from './common.mjs';

/** generated/api-messages.ts from every request/response model; throws on an unpaired or mismatched API. */
export function emitApiMessages(models) {
  const apis = new Map();
  for (const m of models) {
    if (m.spec.type !== 'request' && m.spec.type !== 'response') continue;
    const entry = apis.get(m.spec.apiKey) ?? {};
    entry[m.spec.type] = m;
    apis.set(m.spec.apiKey, entry);
  }
  const apiLines = [];
  const apiImports = [];
  const keyLines = [];
  for (const [apiKey, { request, response }] of [...apis].sort((a, b) => a[0] - b[0])) {
    if (!request || !response) throw new Error(`apiKey ${apiKey} lacks a request or a response spec`);
    const name = request.spec.name.replace(/Request$/, '');
    if (response.spec.name !== `${name}Response`) throw new Error(`apiKey ${apiKey}: ${request.spec.name} pairs with ${response.spec.name}`);
    if (JSON.stringify(request.valid) !== JSON.stringify(response.valid)) {
      throw new Error(`apiKey ${apiKey}: request versions ${request.spec.validVersions} != response versions ${response.spec.validVersions}`);
    }
    const rq = screaming(request.spec.name);
    const rs = screaming(response.spec.name);
    apiImports.push(`import { ${rq}_CODEC } from './${kebab(request.spec.name)}.js';`);
    apiImports.push(`import { ${rs}_CODEC } from './${kebab(response.spec.name)}.js';`);
    apiLines.push(`  { apiKey: ${apiKey}, name: '${name}', request: ${rq}_CODEC, response: ${rs}_CODEC },`);
    keyLines.push(`  ${name}: ${apiKey},`);
  }
  return `${HEADER('messages/*.json')}import type { KafkaMessageCodec } from '../kafka-schema.js';
${apiImports.join('\n')}

/** API name -> apiKey, for every API the specs define. */
export const KafkaApiKey = {
${keyLines.join('\n')}
} as const;

export type KafkaApiName = keyof typeof KafkaApiKey;

export interface KafkaApiMessages {
  readonly apiKey: number;
  readonly name: KafkaApiName;
  // The codecs are typed per message where they are exported; here they are one list.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly request: KafkaMessageCodec<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly response: KafkaMessageCodec<any>;
}

/** Request and response codecs of every API, in apiKey order. */
export const KAFKA_API_MESSAGES: readonly KafkaApiMessages[] = [
${apiLines.join('\n')}
];
`;
}

/** generated/index.ts re-exporting `fileNames` (the other generated modules), sorted. */
export function emitIndex(fileNames) {
  const index = [...fileNames]
    .sort()
    .map((f) => `export * from './${f.replace(/\.ts$/, '.js')}';`)
    .join('\n');
  return `${HEADER('messages/*.json')}${index}\n`;
}
