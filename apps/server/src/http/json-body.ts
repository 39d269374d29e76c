/**
 * A JSON request body left unparsed by the body parser (fastify-setup.ts): a large produce body,
 * which the produce route hands whole to a produce worker (ProduceService.produceJson) instead of
 * parsing it on the main thread. Only the produce route ever receives one.
 */
export class JsonBodyBytes {
  constructor(readonly bytes: Buffer) {}

  /** The body parsed here after all (the Idempotency-Key path, which fingerprints the parsed body). */
  parse(): unknown {
    const text = this.bytes.toString('utf8');
    return text.length === 0 ? undefined : JSON.parse(text);
  }
}
