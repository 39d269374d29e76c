/**
 * The OpenAPI 3.1 document of the HTTP API, built from the controllers' decorators, served at
 * GET /openapi.json with Swagger UI at /docs. docs/openapi.json is the committed copy
 * (openapi.drift.spec.ts fails when it differs from what the server serves; regenerate with
 * `npm run generate:sdk`, which also regenerates the SDK from it).
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { CoordinatorModule } from '../../groups/coordinator.module.js';
import { WebhooksModule } from '../../webhooks/webhooks.module.js';
import { HttpApiModule } from '../http-api.module.js';
import { SecurityModule } from '../../security/security.module.js';
import { serveSwaggerUi } from './swagger-ui.js';

export const OPENAPI_JSON_PATH = '/openapi.json';
export const SWAGGER_UI_PATH = 'docs';


const NDJSON_BODY = {
  schema: { type: 'string', description: 'One ProduceRecord JSON object per line; ?format= sets the record format.' },
  example: '{"key":"user-42","value":{"n":1}}\n{"key":"user-43","value":{"n":2}}\n',
};

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Spool HTTP API')
    .setDescription(
      'Produce, fetch, offsets and topic admin for Spool, a Kafka-model event-streaming broker. ' +
        'Every error is `{ "error": { "code", "message", "retriable", "details"? } }` with a stable code (Kafka\'s error names where one fits). ' +
        'With authentication on (SPOOL_AUTH=on), send `Authorization: Bearer <API key or JWT>`: 401 SASL_AUTHENTICATION_FAILED without a valid one, 403 *_AUTHORIZATION_FAILED when an ACL says no (docs/security.md).',
    )
    .setVersion('1')
    .addTag('topics', 'Topic admin')
    .addTag('records', 'Produce, fetch and offsets')
    .addTag('groups', 'Consumer group admin')
    .addTag('subscriptions', 'Push subscriptions: records POSTed to your HTTPS endpoint, signed (Standard Webhooks)')
    .addTag('security', 'API keys, ACLs and tenants (SPOOL_AUTH=on)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (spk_...) or a JWT from a trusted issuer' })
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [HttpApiModule, CoordinatorModule, WebhooksModule, SecurityModule], operationIdFactory: (_c, method) => method });
  // The NDJSON body is a stream of records, which decorators cannot say: describe it here.
  const produce = document.paths['/v1/topics/{topic}/records']?.post;
  const body = produce?.requestBody;
  if (body !== undefined && 'content' in body) body.content['application/x-ndjson'] = NDJSON_BODY;
  return document;
}

/** Serves the document at /openapi.json and Swagger UI at /docs; call before app.listen / app.init. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  const json = JSON.stringify(document);
  const adapter = app.getHttpAdapter();
  adapter.get(OPENAPI_JSON_PATH, (_req: unknown, res: unknown) => {
    adapter.setHeader(res, 'content-type', 'application/json; charset=utf-8');
    adapter.reply(res, json, 200);
  });
  serveSwaggerUi(adapter, '/' + SWAGGER_UI_PATH, OPENAPI_JSON_PATH);
  return document;
}
