/**
 * Security admin over HTTP: API keys, ACLs (Kafka's model; the Kafka face's CreateAcls/
 * DescribeAcls/DeleteAcls manage the same ones) and tenants. Kafka's rules for who may do it:
 * changing ACLs, keys or tenants needs ALTER on the cluster, reading them DESCRIBE on the cluster
 * (super users have both; tenant principals never hold cluster ALTER). Every change is written to
 * the security store before the answer, and applies to every later request at once.
 */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, UsePipes } from '@nestjs/common';
import { LogManager } from '@spool/log-engine';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { SpoolError } from '@spool/common';
import { CLUSTER_RESOURCE, QUOTA_KEYS, SecurityError, parseAclBinding, parseAclBindingFilter, type AclBinding, type ApiKeyInfo, type Identity, type SpoolSecurity, type TenantRecord } from '@spool/security';
import { ApiErrors } from '../http/openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../http/validation.pipe.js';
import { AccessControl } from './access-control.js';
import { CurrentIdentity, RequireAcl } from './http-auth.js';
import { tenantUsage } from './tenant-usage.js';
import {
  AclBindingDto,
  AclCreationResultsDto,
  AclListDto,
  ApiKeyInfoDto,
  ApiKeyListDto,
  CreateAclsDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  CreateTenantDto,
  ScramCredentialInfoDto,
  ScramCredentialListDto,
  UpsertScramCredentialDto,
  TenantDto,
  UpdateTenantDto,
  TenantListDto,
  TenantUsageDto,
  WhoAmIDto,
  PutQuotaDto,
  QuotaDto,
  QuotaListDto,
} from './security-admin.dto.js';

const ALTER_CLUSTER = RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' });
const DESCRIBE_CLUSTER = RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' });
// Kafka's rules for its client-quota APIs.
const ALTER_CLUSTER_CONFIGS = RequireAcl({ operation: 'ALTER_CONFIGS', resourceType: 'CLUSTER' });
const DESCRIBE_CLUSTER_CONFIGS = RequireAcl({ operation: 'DESCRIBE_CONFIGS', resourceType: 'CLUSTER' });
const MAX_ACLS_PER_REQUEST = 1000;
const ACL_FILTER_QUERY = ['resourceType', 'resourceName', 'patternType', 'principal', 'host', 'operation', 'permissionType'] as const;

function toDto(binding: AclBinding): AclBindingDto {
  return { resourceType: binding.pattern.resourceType, resourceName: binding.pattern.name, patternType: binding.pattern.patternType, ...binding.entry };
}

function fromDto(input: unknown): AclBinding {
  const flat = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  return parseAclBinding({
    pattern: { resourceType: flat.resourceType, name: flat.resourceName, patternType: flat.patternType },
    entry: { principal: flat.principal, host: flat.host ?? '*', operation: flat.operation, permissionType: flat.permissionType },
  });
}

function filterFromQuery(query: Record<string, unknown>) {
  for (const key of Object.keys(query)) {
    if (!(ACL_FILTER_QUERY as readonly string[]).includes(key)) throw new SpoolError('INVALID_REQUEST', `unknown query parameter ${key}; filters: ${ACL_FILTER_QUERY.join(', ')}`, { field: key });
  }
  const value = (key: string): unknown => (typeof query[key] === 'string' && query[key] !== '' ? query[key] : undefined);
  return parseAclBindingFilter({
    pattern: { resourceType: value('resourceType'), name: value('resourceName'), patternType: value('patternType') },
    entry: { principal: value('principal'), host: value('host'), operation: value('operation'), permissionType: value('permissionType') },
  });
}

function tenantDto(tenant: TenantRecord): TenantDto {
  return { name: tenant.name, createdAtMs: tenant.createdAtMs, maxTopics: tenant.limits.maxTopics, maxPartitions: tenant.limits.maxPartitions, maxRetainedBytes: tenant.limits.maxRetainedBytes ?? null };
}

function keyDto(info: ApiKeyInfo): ApiKeyInfoDto {
  return { keyId: info.keyId, principal: info.principal, tenant: info.tenant, createdAtMs: info.createdAtMs, expiresAtMs: info.expiresAtMs, revokedAtMs: info.revokedAtMs, description: info.description };
}

const FILTER_QUERIES = ACL_FILTER_QUERY.map((name) => ApiQuery({ name, required: false, description: name === 'patternType' ? 'LITERAL, PREFIXED, ANY (default) or MATCH (every binding that applies to resourceName)' : 'Matches any when absent' }));
function AclFilterQueries(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const decorate of FILTER_QUERIES) decorate(target, key, descriptor);
  };
}

@ApiTags('security')
@Controller('v1')
@UsePipes(dtoValidationPipe())
export class SecurityAdminController {
  constructor(
    private readonly access: AccessControl,
    @Inject(LogManager) private readonly logManager: LogManager,
  ) {}

  private get security(): SpoolSecurity {
    if (this.access.security === null) throw new SpoolError('INVALID_REQUEST', 'security is off on this broker (start it with SPOOL_AUTH=on to manage API keys, ACLs and tenants)', { reason: 'security-disabled' });
    return this.access.security;
  }

  @Get('whoami')
  @ApiOperation({ operationId: 'whoAmI', summary: 'The principal and tenant of the credential sent' })
  @ApiOkResponse({ type: WhoAmIDto })
  @ApiErrors(401)
  whoAmI(@CurrentIdentity() identity: Identity): WhoAmIDto {
    return { principal: identity.principal, tenant: identity.tenant, credentialKind: identity.credentialKind, expiresAtMs: identity.expiresAtMs, authenticationEnabled: this.access.enabled };
  }

  @Post('admin/api-keys')
  @HttpCode(201)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'createApiKey', summary: 'Create an API key (its secret is in this answer only)' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiErrors(400, 401, 403)
  async createApiKey(@Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const principalName = body.principal.startsWith('User:') ? body.principal.slice(5) : body.principal;
    const created = await this.security.admin.createApiKey({ principalName, expiresAtMs: body.expiresAtMs ?? null, description: body.description });
    return { ...keyDto(created.info), apiKey: created.apiKey };
  }

  @Get('admin/api-keys')
  @DESCRIBE_CLUSTER
  @ApiOperation({ operationId: 'listApiKeys', summary: 'List API keys (never their secrets)' })
  @ApiQuery({ name: 'tenant', required: false, description: 'Only this tenant\'s keys' })
  @ApiOkResponse({ type: ApiKeyListDto })
  @ApiErrors(401, 403)
  listApiKeys(@Query('tenant') tenant?: string): ApiKeyListDto {
    return { apiKeys: this.security.admin.listApiKeys(tenant === undefined || tenant === '' ? {} : { tenant }).map(keyDto) };
  }

  @Delete('admin/api-keys/:keyId')
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'revokeApiKey', summary: 'Revoke an API key: refused from the next request on' })
  @ApiParam({ name: 'keyId', description: 'The key id (20 hex digits)' })
  @ApiOkResponse({ type: ApiKeyInfoDto, description: 'The key, with revokedAtMs set.' })
  @ApiErrors(401, 403, 404)
  async revokeApiKey(@Param('keyId') keyId: string): Promise<ApiKeyInfoDto> {
    return keyDto(await this.security.admin.revokeApiKey(keyId));
  }

  @Post('admin/acls')
  @HttpCode(201)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'createAcls', summary: 'Create ACL bindings (Kafka\'s CreateAcls)' })
  @ApiCreatedResponse({ type: AclCreationResultsDto })
  @ApiErrors(400, 401, 403)
  async createAcls(@Body() body: CreateAclsDto): Promise<AclCreationResultsDto> {
    if (body.acls.length > MAX_ACLS_PER_REQUEST) throw new SpoolError('INVALID_REQUEST', `at most ${MAX_ACLS_PER_REQUEST} ACLs per request; got ${body.acls.length}`);
    // A malformed binding fails the request whole (nothing is created), as a bad field does elsewhere.
    const bindings = body.acls.map((input, i) => {
      try {
        return fromDto(input);
      } catch (err) {
        if (err instanceof SpoolError) throw new SpoolError('INVALID_REQUEST', `acls[${i}]: ${err.message}`, { index: i });
        throw err;
      }
    });
    const results = await this.security.admin.createAcls(bindings);
    return { results: results.map((err) => ({ errorCode: err?.code ?? null, errorMessage: err?.message ?? null })) };
  }

  @Get('admin/acls')
  @DESCRIBE_CLUSTER
  @ApiOperation({ operationId: 'describeAcls', summary: 'ACL bindings matching a filter (Kafka\'s DescribeAcls)' })
  @AclFilterQueries()
  @ApiOkResponse({ type: AclListDto })
  @ApiErrors(400, 401, 403)
  describeAcls(@Query() query: Record<string, unknown>): AclListDto {
    return { acls: this.security.admin.describeAcls(filterFromQuery(query)).map(toDto) };
  }

  @Delete('admin/acls')
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'deleteAcls', summary: 'Delete the ACL bindings matching a filter (Kafka\'s DeleteAcls); no filter at all is refused' })
  @AclFilterQueries()
  @ApiOkResponse({ type: AclListDto, description: 'The bindings deleted.' })
  @ApiErrors(400, 401, 403)
  async deleteAcls(@Query() query: Record<string, unknown>): Promise<AclListDto> {
    if (Object.keys(query).length === 0) throw new SpoolError('INVALID_REQUEST', 'name at least one filter (e.g. principal=User:acme.ingest); deleting every ACL needs resourceType=ANY explicitly');
    const [deleted] = await this.security.admin.deleteAcls([filterFromQuery(query)]);
    return { acls: deleted.map(toDto) };
  }

  @Post('admin/scram-credentials')
  @HttpCode(200)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'upsertScramCredential', summary: 'Create or replace a SCRAM credential (Kafka SASL/SCRAM and SASL/PLAIN log in with it)' })
  @ApiOkResponse({ type: ScramCredentialInfoDto })
  @ApiErrors(400, 401, 403)
  async upsertScramCredential(@Body() body: UpsertScramCredentialDto): Promise<ScramCredentialInfoDto> {
    if (body.mechanism !== 'SCRAM-SHA-256' && body.mechanism !== 'SCRAM-SHA-512') throw new SpoolError('INVALID_REQUEST', `mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, got ${JSON.stringify(body.mechanism)}`, { field: 'mechanism' });
    await this.security.admin.upsertScramCredential({ user: body.user, mechanism: body.mechanism, password: body.password, iterations: body.iterations });
    return this.security.admin.describeScramCredentials([body.user]).find((c) => c.mechanism === body.mechanism)!;
  }

  @Get('admin/scram-credentials')
  @DESCRIBE_CLUSTER
  @ApiOperation({ operationId: 'listScramCredentials', summary: 'List SCRAM users and mechanisms (never their keys)' })
  @ApiOkResponse({ type: ScramCredentialListDto })
  @ApiErrors(401, 403)
  listScramCredentials(): ScramCredentialListDto {
    return { credentials: this.security.admin.describeScramCredentials() };
  }

  @Delete('admin/scram-credentials/:user')
  @HttpCode(204)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'deleteScramCredential', summary: 'Delete a user\'s SCRAM credential for one mechanism' })
  @ApiParam({ name: 'user' })
  @ApiQuery({ name: 'mechanism', required: true, enum: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] })
  @ApiNoContentResponse({ description: 'Deleted (or there was none).' })
  @ApiErrors(400, 401, 403)
  async deleteScramCredential(@Param('user') user: string, @Query('mechanism') mechanism: string): Promise<void> {
    if (mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') throw new SpoolError('INVALID_REQUEST', 'query parameter mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512', { field: 'mechanism' });
    await this.security.admin.deleteScramCredential(user, mechanism);
  }

  @Get('admin/quotas')
  @DESCRIBE_CLUSTER_CONFIGS
  @ApiOperation({ operationId: 'listQuotas', summary: 'List the client quotas per user and per tenant (Kafka\'s DescribeClientQuotas manages the same ones)' })
  @ApiOkResponse({ type: QuotaListDto })
  @ApiErrors(401, 403)
  listQuotas(): QuotaListDto {
    return { quotas: this.security.admin.describeQuotas().map((q) => ({ entityType: q.entity.entityType, name: q.entity.name, values: { ...q.values } })) };
  }

  @Put('admin/quotas')
  @HttpCode(200)
  @ALTER_CLUSTER_CONFIGS
  @ApiOperation({ operationId: 'putQuota', summary: 'Set the quotas of one user or tenant (or the default of either): keys left out are removed' })
  @ApiOkResponse({ type: QuotaDto })
  @ApiErrors(400, 401, 403)
  async putQuota(@Body() body: PutQuotaDto): Promise<QuotaDto> {
    const entity = { entityType: body.entityType, name: body.name ?? null };
    const values = Object.fromEntries(Object.entries(body.values ?? {}).filter(([, v]) => v !== undefined)) as Record<string, number>;
    const remove = QUOTA_KEYS.filter((k) => !(k in values));
    const stored = await this.security.admin.alterQuota(entity, values, remove);
    return { ...entity, values: { ...(stored?.values ?? {}) } };
  }

  @Delete('admin/quotas')
  @HttpCode(204)
  @ALTER_CLUSTER_CONFIGS
  @ApiOperation({ operationId: 'deleteQuota', summary: 'Remove every quota of one user or tenant (without `name`: of the default)' })
  @ApiQuery({ name: 'entityType', required: true, enum: ['user', 'tenant'] })
  @ApiQuery({ name: 'name', required: false, description: 'The principal name or tenant; absent: the default entity.' })
  @ApiNoContentResponse({ description: 'Removed (or there were none).' })
  @ApiErrors(400, 401, 403)
  async deleteQuota(@Query('entityType') entityType: string, @Query('name') name?: string): Promise<void> {
    if (entityType !== 'user' && entityType !== 'tenant') throw new SpoolError('INVALID_REQUEST', 'query parameter entityType must be user or tenant', { field: 'entityType' });
    await this.security.admin.alterQuota({ entityType, name: name === undefined || name === '' ? null : name }, {}, QUOTA_KEYS);
  }

  @Post('admin/tenants')
  @HttpCode(201)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'createTenant', summary: 'Create a tenant: it owns every topic, group and principal name starting with `<name>.`' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiErrors(400, 401, 403, 409)
  async createTenant(@Body() body: CreateTenantDto): Promise<TenantDto> {
    return tenantDto(await this.security.admin.createTenant(body.name, { maxTopics: body.maxTopics ?? null, maxPartitions: body.maxPartitions ?? null, maxRetainedBytes: body.maxRetainedBytes ?? null }));
  }

  @Patch('admin/tenants/:tenant')
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'updateTenant', summary: 'Change a tenant\'s limits: only the ones given; null removes one. Applies to the next topic creation or produce on every broker' })
  @ApiParam({ name: 'tenant' })
  @ApiOkResponse({ type: TenantDto, description: 'The tenant with its limits after the change.' })
  @ApiErrors(400, 401, 403, 404)
  async updateTenant(@Param('tenant') tenant: string, @Body() body: UpdateTenantDto): Promise<TenantDto> {
    const limits = { maxTopics: body.maxTopics, maxPartitions: body.maxPartitions, maxRetainedBytes: body.maxRetainedBytes };
    if (Object.values(limits).every((v) => v === undefined)) {
      throw new SpoolError('INVALID_REQUEST', 'name at least one limit to change: maxTopics, maxPartitions or maxRetainedBytes (null removes it)', { reason: 'no-change' });
    }
    return tenantDto(await this.security.admin.updateTenantLimits(tenant, limits));
  }

  @Get('admin/tenants')
  @DESCRIBE_CLUSTER
  @ApiOperation({ operationId: 'listTenants', summary: 'List tenants' })
  @ApiOkResponse({ type: TenantListDto })
  @ApiErrors(401, 403)
  listTenants(): TenantListDto {
    return { tenants: this.security.admin.listTenants().map(tenantDto) };
  }

  @Get('tenants/:tenant/usage')
  @ApiOperation({ operationId: 'getTenantUsage', summary: 'A tenant\'s usage: bytes and records in and out and requests since start, connections, topics, partitions and stored bytes now' })
  @ApiParam({ name: 'tenant' })
  @ApiOkResponse({ type: TenantUsageDto })
  @ApiErrors(401, 403, 404)
  tenantUsage(@Param('tenant') tenant: string, @CurrentIdentity() identity: Identity): TenantUsageDto {
    const security = this.security;
    // A tenant's own principals may read it; others need DESCRIBE on the cluster.
    if (identity.tenant !== tenant) this.access.check(identity, 'DESCRIBE', CLUSTER_RESOURCE);
    if (!security.admin.listTenants().some((t) => t.name === tenant)) throw new SecurityError('RESOURCE_NOT_FOUND', `tenant ${JSON.stringify(tenant)} does not exist`, 'not-found');
    return tenantUsage(this.access, this.logManager).find((u) => u.tenant === tenant)!;
  }

  @Delete('admin/tenants/:tenant')
  @HttpCode(204)
  @ALTER_CLUSTER
  @ApiOperation({ operationId: 'deleteTenant', summary: 'Delete a tenant with its API keys, SCRAM credentials, ACLs and quotas (its topics stay)' })
  @ApiParam({ name: 'tenant' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors(401, 403, 404)
  async deleteTenant(@Param('tenant') tenant: string): Promise<void> {
    await this.security.admin.deleteTenant(tenant);
  }
}
