import { BadRequestException, ConflictException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { isSpoolError, SpoolError, type SpoolErrorCode } from '@spool/common';
import { SecurityError } from '@spool/security';
import { classifyError } from './error-envelope.filter.js';
import { httpStatusOf } from './error-status.js';
import { HttpApiError } from './http-api.error.js';
import { RelayedHttpError } from './relayed-http.error.js';

describe('httpStatusOf', () => {
  it('maps the codes clients branch on to their documented statuses', () => {
    const expected: Array<[SpoolErrorCode | 'NOT_FOUND' | 'REQUEST_TOO_LARGE' | 'IDEMPOTENCY_KEY_REUSED', number]> = [
      ['INVALID_REQUEST', 400],
      ['UNKNOWN_TOPIC_OR_PARTITION', 404],
      ['NOT_FOUND', 404],
      ['TOPIC_ALREADY_EXISTS', 409],
      ['MESSAGE_TOO_LARGE', 413],
      ['RECORD_LIST_TOO_LARGE', 413],
      ['REQUEST_TOO_LARGE', 413],
      ['OFFSET_OUT_OF_RANGE', 416],
      ['IDEMPOTENCY_KEY_REUSED', 422],
      ['UNKNOWN_SERVER_ERROR', 500],
      ['BROKER_NOT_AVAILABLE', 503],
    ];
    for (const [code, status] of expected) expect([code, httpStatusOf(code)]).toEqual([code, status]);
  });
});

describe('classifyError', () => {
  it("answers another broker's error to a forwarded request with its status and envelope as they came", () => {
    const envelope = { error: { code: 'NON_EMPTY_GROUP' as const, message: 'group g is Stable: offsets can only be reset while it is empty', retriable: false, details: { groupId: 'g', state: 'Stable' } } };
    expect(classifyError(new RelayedHttpError(409, envelope))).toEqual({ status: 409, envelope });
  });

  it('keeps a SpoolError code, message, retriable flag and details', () => {
    const c = classifyError(new SpoolError('OFFSET_OUT_OF_RANGE', 'offset 9 is outside [0, 5]', { offset: 9 }));
    expect(c).toEqual({
      status: 416,
      envelope: { error: { code: 'OFFSET_OUT_OF_RANGE', message: 'offset 9 is outside [0, 5]', retriable: false, details: { offset: 9 } } },
    });
    expect(classifyError(new SpoolError('BROKER_NOT_AVAILABLE', 'starting')).envelope.error.retriable).toBe(true);
  });

  it('maps HTTP-only errors, Nest exceptions and Fastify body errors', () => {
    expect(classifyError(new HttpApiError('IDEMPOTENCY_KEY_REUSED', 'x')).status).toBe(422);
    expect(classifyError(new NotFoundException('Cannot GET /nope')).envelope.error.code).toBe('NOT_FOUND');
    const bad = classifyError(new BadRequestException(['name must be a string']));
    expect(bad.envelope.error).toMatchObject({ code: 'INVALID_REQUEST', details: { violations: ['name must be a string'] } });
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(classifyError(tooLarge)).toMatchObject({ status: 413, envelope: { error: { code: 'REQUEST_TOO_LARGE' } } });
    const media = Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 });
    expect(classifyError(media).envelope.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(classifyError(new SyntaxError('Unexpected token')).envelope.error.code).toBe('INVALID_REQUEST');
    // Another controller's HttpException keeps its status.
    expect(classifyError(new ServiceUnavailableException('starting'))).toMatchObject({ status: 503, envelope: { error: { code: 'BROKER_NOT_AVAILABLE', retriable: true } } });
    expect(classifyError(new ConflictException('busy'))).toMatchObject({ status: 409, envelope: { error: { code: 'INVALID_REQUEST' } } });
  });

  it('maps security errors to 401/403/429/503 and shows their reason, never their log details', () => {
    const denied = new SecurityError('TOPIC_AUTHORIZATION_FAILED', 'not authorized to WRITE topic "b.orders"', 'denied', { rule: 'tenant-scope', keyId: 'abc' });
    expect(isSpoolError(denied)).toBe(true);
    expect(classifyError(denied)).toEqual({
      status: 403,
      envelope: { error: { code: 'TOPIC_AUTHORIZATION_FAILED', message: 'not authorized to WRITE topic "b.orders"', retriable: false, details: { reason: 'denied' } } },
    });
    expect(classifyError(new SecurityError('SASL_AUTHENTICATION_FAILED', 'Authentication failed', 'invalid-credential', { keyId: 'k' })).status).toBe(401);
    expect(classifyError(new SecurityError('GROUP_AUTHORIZATION_FAILED', 'no')).status).toBe(403);
    expect(classifyError(new SecurityError('THROTTLING_QUOTA_EXCEEDED', 'slow down'))).toMatchObject({ status: 429, envelope: { error: { retriable: true } } });
    expect(classifyError(new SecurityError('AUTHENTICATION_UNAVAILABLE', 'JWKS unreachable'))).toMatchObject({ status: 503, envelope: { error: { retriable: true } } });
  });

  it('hides unexpected errors behind a generic 500', () => {
    const c = classifyError(new TypeError('secret internal detail'));
    expect(c.status).toBe(500);
    expect(c.envelope.error.code).toBe('UNKNOWN_SERVER_ERROR');
    expect(c.envelope.error.message).not.toContain('secret');
  });
});
