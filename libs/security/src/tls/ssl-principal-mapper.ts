/**
 * Principals from client certificates (mutual TLS), as Kafka's SSL listener makes them: the
 * certificate's subject distinguished name in RFC 2253 form (`CN=acme.ingest,OU=ops,O=Acme`: most
 * specific first, as Java's X500Principal.getName() writes it) is turned into a principal name by
 * Kafka's `ssl.principal.mapping.rules` (SPOOL_TLS_PRINCIPAL_MAPPING_RULES), a list of
 *
 *   RULE:<pattern>/<replacement>/[L|U]   the first rule whose pattern matches the whole DN wins;
 *                                        $1.. in the replacement are its groups; L/U lower/upper case
 *   DEFAULT                              the DN itself
 *
 * separated by commas or white space (neither pattern nor replacement may hold a '/', as in Kafka).
 * A DN no rule matches has no principal: the login fails, as in Kafka.
 */
import { X509Certificate } from 'node:crypto';
import { SecurityError } from '../security.error.js';

interface MappingRule {
  readonly isDefault: boolean;
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly toCase: 'L' | 'U' | null;
}

export class SslPrincipalMapper {
  private constructor(private readonly rules: readonly MappingRule[]) {}

  /** Parses Kafka's rule list; throws INVALID_CONFIG naming the part that does not parse. */
  static parse(text: string): SslPrincipalMapper {
    const rules: MappingRule[] = [];
    const token = /\s*(?:(DEFAULT)|RULE:([^/]*)\/([^/]*)\/([LU])?)\s*(?:,|$)/y;
    let at = 0;
    while (at < text.length && text.slice(at).trim() !== '') {
      token.lastIndex = at;
      const m = token.exec(text);
      if (m === null) throw invalidRules(`cannot parse the rules from character ${at}: ${JSON.stringify(text.slice(at, at + 40))}`);
      at = token.lastIndex;
      if (m[1] !== undefined) {
        rules.push({ isDefault: true, pattern: null, replacement: '', toCase: null });
        continue;
      }
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${m[2]})$`);
      } catch (err) {
        throw invalidRules(`the pattern ${JSON.stringify(m[2])} is not a regular expression: ${(err as Error).message}`);
      }
      rules.push({ isDefault: false, pattern, replacement: m[3], toCase: (m[4] as 'L' | 'U' | undefined) ?? null });
    }
    if (rules.length === 0) throw invalidRules('no rule (use DEFAULT for the whole distinguished name)');
    return new SslPrincipalMapper(rules);
  }

  /** The principal name for `dn`, or null when no rule applies. */
  nameOf(dn: string): string | null {
    for (const rule of this.rules) {
      if (rule.isDefault) return dn;
      const m = rule.pattern!.exec(dn);
      if (m === null) continue;
      const name = rule.replacement.replace(/\$(\d)/g, (_, i: string) => m[Number(i)] ?? '');
      return rule.toCase === 'L' ? name.toLowerCase() : rule.toCase === 'U' ? name.toUpperCase() : name;
    }
    return null;
  }
}

/** The subject of a certificate (DER or PEM) in RFC 2253 order (most specific attribute first). */
export function subjectDistinguishedName(certificate: Buffer): string {
  // Node lists the subject one attribute a line, least specific first (C=.., O=.., CN=..), with
  // RFC 2253's escapes already in the values (`O=Acme\, Inc`).
  return new X509Certificate(certificate).subject.split('\n').filter((l) => l.length > 0).reverse().join(',');
}

function invalidRules(message: string): SecurityError {
  return new SecurityError('INVALID_REQUEST', `ssl principal mapping rules: ${message}`, 'invalid-mapping-rules');
}
