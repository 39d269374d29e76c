/**
 * Small class-validator building blocks for environment variables, which always arrive as
 * strings. Numbers are parsed strictly (decimal digits only: "0x10", "1e3", " 8080" and "" are
 * rejected, where Number() would quietly accept them), and values that may exceed 2^53
 * (Kafka's Long.MAX "never" sentinels) stay strings checked with BigInt.
 */
import { EtcdConnection } from '@spool/cluster';
import { isFQDN, isIP, registerDecorator, type ValidationOptions } from 'class-validator';

const DECIMAL_INTEGER = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Parses a decimal integer string; anything else becomes NaN so @IsInt reports it. */
export function parseIntegerStrict(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return DECIMAL_INTEGER.test(value) ? Number(value) : Number.NaN;
}

/** Parses "true"/"false" (case-insensitive); anything else is left as is for @IsBoolean to reject. */
export function parseBooleanStrict(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : value;
}

/** A decimal integer string within [min, max] (int64 by default), compared exactly with BigInt. */
export function IsInt64String(range: { min?: bigint; max?: bigint } = {}, options?: ValidationOptions): PropertyDecorator {
  const min = range.min ?? INT64_MIN;
  const max = range.max ?? INT64_MAX;
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isInt64String',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `an integer in ${min}..${max}`, ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && DECIMAL_INTEGER.test(value) && BigInt(value) >= min && BigInt(value) <= max,
      },
    });
  };
}

/** A decimal number string (e.g. a ratio) within [min, max]. */
export function IsDecimalString(range: { min: number; max: number }, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isDecimalString',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `a decimal number in ${range.min}..${range.max}`, ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) && Number(value) >= range.min && Number(value) <= range.max,
      },
    });
  };
}

/**
 * SPOOL_ETCD_ENDPOINTS: comma-separated http://host:port URLs (port 2379 when absent), as the
 * cluster lib parses them; the message names the first bad endpoint.
 */
export function IsEtcdEndpoints(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isEtcdEndpoints',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: (args) => `comma-separated etcd URLs http://host:port${etcdEndpointsProblem(String(args.value)) ?? ''}`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && etcdEndpointsProblem(value) === null,
      },
    });
  };
}

/** Why `text` is not a list of etcd endpoints (" (...)" to append to the message), or null if it is. */
function etcdEndpointsProblem(text: string): string | null {
  try {
    if (EtcdConnection.parseEndpoints(text).length === 0) return ' (none given)';
    return null;
  } catch (err) {
    return ` (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** An IP address or a host name ("localhost", "spool-0.spool.svc"): what a listener can bind to. */
export function IsBindHost(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isBindHost',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'an IP address or a host name', ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && (isIP(value) || isFQDN(value, { require_tld: false, allow_underscores: false })),
      },
    });
  };
}
