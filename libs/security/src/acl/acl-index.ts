/**
 * The ACLs of one node, indexed for per-request checks. Per resource type:
 *
 *   literal:   Map name -> entries     (LITERAL patterns, including the wildcard "*")
 *   prefixed:  Map prefix -> entries   (PREFIXED patterns)
 *   prefixLengths: the distinct prefix lengths present, ascending
 *
 * Finding every ACL that applies to resource (type, name) is then two literal lookups (name and
 * "*") plus one lookup per distinct prefix length not longer than the name: a handful of Map gets
 * however many ACLs there are, where Kafka's AclAuthorizer walks a sorted set. Not thread-safe
 * (Node has one thread); mutations happen when the store reports a change.
 */
import { aclBindingKey, aclFilterMatches } from './acl-binding.js';
import {
  WILDCARD_HOST,
  WILDCARD_RESOURCE,
  type AclBinding,
  type AclBindingFilter,
  type AclOperation,
  type PermissionType,
  type ResourceType,
} from './acl-types.js';
import { WILDCARD_PRINCIPAL } from '../principal.js';

export interface IndexedEntry {
  readonly principal: string;
  readonly host: string;
  readonly operation: AclOperation;
  readonly permissionType: PermissionType;
}

class TypeIndex {
  readonly literal = new Map<string, IndexedEntry[]>();
  readonly prefixed = new Map<string, IndexedEntry[]>();
  prefixLengths: number[] = [];

  add(binding: AclBinding): void {
    const map = binding.pattern.patternType === 'LITERAL' ? this.literal : this.prefixed;
    let list = map.get(binding.pattern.name);
    if (list === undefined) {
      list = [];
      map.set(binding.pattern.name, list);
      if (map === this.prefixed) this.recomputeLengths();
    }
    list.push({ ...binding.entry });
  }

  remove(binding: AclBinding): void {
    const map = binding.pattern.patternType === 'LITERAL' ? this.literal : this.prefixed;
    const list = map.get(binding.pattern.name);
    if (list === undefined) return;
    const e = binding.entry;
    const at = list.findIndex(
      (x) => x.principal === e.principal && x.host === e.host && x.operation === e.operation && x.permissionType === e.permissionType,
    );
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) {
      map.delete(binding.pattern.name);
      if (map === this.prefixed) this.recomputeLengths();
    }
  }

  private recomputeLengths(): void {
    this.prefixLengths = [...new Set([...this.prefixed.keys()].map((k) => k.length))].sort((a, b) => a - b);
  }
}

export class AclIndex {
  private readonly bindings = new Map<string, AclBinding>();
  private readonly types = new Map<ResourceType, TypeIndex>();

  get size(): number {
    return this.bindings.size;
  }

  /** Adds `binding`; false when an equal binding is already present (ACLs are a set). */
  add(binding: AclBinding): boolean {
    const key = aclBindingKey(binding);
    if (this.bindings.has(key)) return false;
    this.bindings.set(key, binding);
    let index = this.types.get(binding.pattern.resourceType);
    if (index === undefined) {
      index = new TypeIndex();
      this.types.set(binding.pattern.resourceType, index);
    }
    index.add(binding);
    return true;
  }

  /** Removes the binding equal to `binding`; false when there was none. */
  remove(binding: AclBinding): boolean {
    const key = aclBindingKey(binding);
    if (!this.bindings.delete(key)) return false;
    this.types.get(binding.pattern.resourceType)?.remove(binding);
    return true;
  }

  clear(): void {
    this.bindings.clear();
    this.types.clear();
  }

  all(): AclBinding[] {
    return [...this.bindings.values()];
  }

  matching(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const binding of this.bindings.values()) if (aclFilterMatches(filter, binding)) out.push(binding);
    return out;
  }

  /**
   * Calls `visit` with every entry list whose pattern applies to (resourceType, name): the
   * literal name, the literal wildcard, and every prefix of the name. Returns how many lists
   * there were (0 = no ACL on this resource at all, which allow.everyone.if.no.acl.found reads).
   */
  forEachApplying(resourceType: ResourceType, name: string, visit: (entries: readonly IndexedEntry[]) => boolean): number {
    const index = this.types.get(resourceType);
    if (index === undefined) return 0;
    let lists = 0;
    const literal = index.literal.get(name);
    if (literal !== undefined) {
      lists++;
      if (visit(literal)) return lists;
    }
    if (name !== WILDCARD_RESOURCE) {
      const wildcard = index.literal.get(WILDCARD_RESOURCE);
      if (wildcard !== undefined) {
        lists++;
        if (visit(wildcard)) return lists;
      }
    }
    for (const length of index.prefixLengths) {
      if (length > name.length) break;
      const entries = index.prefixed.get(length === name.length ? name : name.slice(0, length));
      if (entries !== undefined) {
        lists++;
        if (visit(entries)) return lists;
      }
    }
    return lists;
  }

  /** Every binding of a resource type, for authorizeByResourceType. */
  bindingsOfType(resourceType: ResourceType): AclBinding[] {
    const out: AclBinding[] = [];
    for (const binding of this.bindings.values()) if (binding.pattern.resourceType === resourceType) out.push(binding);
    return out;
  }
}

/** Whether an entry names `principal` (or everyone) from `host` (or anywhere). */
export function entryApplies(entry: IndexedEntry, principal: string, host: string): boolean {
  return (entry.principal === principal || entry.principal === WILDCARD_PRINCIPAL) && (entry.host === host || entry.host === WILDCARD_HOST);
}
