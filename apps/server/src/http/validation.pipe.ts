/**
 * class-validator for the admin endpoints: unknown fields are refused (not silently dropped) and
 * every violation is reported as INVALID_REQUEST with the list of what was wrong.
 */
import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { SpoolError } from '@spool/common';

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${prefix ? prefix + '.' : ''}${m}` : `${path}: ${m}`));
    return [...own, ...describe(e.children ?? [], path)];
  });
}

export function dtoValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const violations = describe(errors);
      return new SpoolError('INVALID_REQUEST', `invalid request: ${violations.join('; ')}`, { violations });
    },
  });
}
