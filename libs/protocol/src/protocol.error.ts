import { SpoolError, type SpoolErrorCode } from '@spool/common';

/** Thrown by decoders and validators of libs/protocol; `code` is a Kafka error name. */
export class ProtocolError extends SpoolError {
  constructor(code: SpoolErrorCode, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(code, message, details);
    this.name = 'ProtocolError';
  }
}
