/** Security admin request and response shapes: API keys, ACLs (Kafka's fields, flat), tenants, quotas. */
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsNumber, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';

@ApiSchema({ name: 'CreateApiKey' })
export class CreateApiKeyDto {
  @ApiProperty({ description: 'Principal the key authenticates as: `User:<name>` or just `<name>`. A tenant\'s principals carry its prefix (`acme.ingest`).', example: 'User:acme.ingest' })
  @IsString()
  principal!: string;

  @ApiPropertyOptional({ type: 'integer', description: 'When the key stops working (ms since the epoch); never when absent.', example: 1893456000000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  expiresAtMs?: number;

  @ApiPropertyOptional({ description: 'Free text for operators (never a secret), at most 256 characters.', example: 'ingest service, prod' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  description?: string;
}

@ApiSchema({ name: 'ApiKeyInfo' })
export class ApiKeyInfoDto {
  @ApiProperty({ description: 'Public id of the key (20 hex digits), as it appears in logs.', example: '3f9c0a1b2c3d4e5f6a7b' }) keyId!: string;
  @ApiProperty({ example: 'User:acme.ingest' }) principal!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Tenant of the principal; null for operator principals.', example: 'acme' }) tenant!: string | null;
  @ApiProperty({ type: 'integer' }) createdAtMs!: number;
  @ApiProperty({ type: 'integer', nullable: true }) expiresAtMs!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'When it was revoked; null while valid.' }) revokedAtMs!: number | null;
  @ApiProperty() description!: string;
}

@ApiSchema({ name: 'CreatedApiKey' })
export class CreatedApiKeyDto extends ApiKeyInfoDto {
  @ApiProperty({ description: 'The key itself (`spk_<keyId>_<secret>`): shown this once, stored only as a scrypt hash. Send it as `Authorization: Bearer <apiKey>` or as the SASL/PLAIN password.', example: 'spk_3f9c0a1b2c3d4e5f6a7b_...' })
  apiKey!: string;
}

@ApiSchema({ name: 'ApiKeyList' })
export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyInfoDto] }) apiKeys!: ApiKeyInfoDto[];
}

const RESOURCE_TYPES = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'];
const OPERATIONS = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'];

@ApiSchema({ name: 'AclBinding' })
export class AclBindingDto {
  @ApiProperty({ enum: RESOURCE_TYPES, example: 'TOPIC' }) resourceType!: string;
  @ApiProperty({ description: 'Resource name; `*` (LITERAL) is every resource of the type; the CLUSTER is `kafka-cluster`.', example: 'acme.' }) resourceName!: string;
  @ApiProperty({ enum: ['LITERAL', 'PREFIXED'], example: 'PREFIXED' }) patternType!: string;
  @ApiProperty({ description: '`User:<name>`, or `User:*` for every principal.', example: 'User:acme.ingest' }) principal!: string;
  @ApiPropertyOptional({ description: 'Client address, or `*` (the default).', example: '*' }) host?: string;
  @ApiProperty({ enum: OPERATIONS, example: 'WRITE' }) operation!: string;
  @ApiProperty({ enum: ['ALLOW', 'DENY'], example: 'ALLOW' }) permissionType!: string;
}

@ApiSchema({ name: 'CreateAcls' })
export class CreateAclsDto {
  @ApiProperty({ type: [AclBindingDto] })
  @IsArray()
  acls!: unknown[];
}

@ApiSchema({ name: 'AclCreationResult' })
export class AclCreationResultDto {
  @ApiProperty({ type: 'string', nullable: true, description: 'null when created (or already present), else the error code.', example: null }) errorCode!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) errorMessage!: string | null;
}

@ApiSchema({ name: 'AclCreationResults' })
export class AclCreationResultsDto {
  @ApiProperty({ type: [AclCreationResultDto], description: 'One per binding, in request order.' }) results!: AclCreationResultDto[];
}

@ApiSchema({ name: 'AclList' })
export class AclListDto {
  @ApiProperty({ type: [AclBindingDto] }) acls!: AclBindingDto[];
}

@ApiSchema({ name: 'UpsertScramCredential' })
export class UpsertScramCredentialDto {
  @ApiProperty({ description: 'The SASL user name (a tenant\'s users carry its prefix: `acme.kafka-app`); its principal is `User:<user>`.', example: 'acme.kafka-app' })
  @IsString()
  user!: string;

  @ApiProperty({ enum: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], example: 'SCRAM-SHA-512' })
  @IsString()
  mechanism!: string;

  @ApiProperty({ description: 'Stored only as Kafka\'s SCRAM credential (salt, StoredKey, ServerKey); also accepted by SASL/PLAIN.', example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(1024)
  password!: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 4096, maximum: 16384, description: 'PBKDF2 iterations (default 4096, Kafka\'s minimum).' })
  @IsOptional()
  @IsInt()
  iterations?: number;
}

@ApiSchema({ name: 'ScramCredentialInfo' })
export class ScramCredentialInfoDto {
  @ApiProperty({ example: 'acme.kafka-app' }) user!: string;
  @ApiProperty({ enum: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }) mechanism!: string;
  @ApiProperty({ type: 'integer' }) iterations!: number;
}

@ApiSchema({ name: 'ScramCredentialList' })
export class ScramCredentialListDto {
  @ApiProperty({ type: [ScramCredentialInfoDto] }) credentials!: ScramCredentialInfoDto[];
}

@ApiSchema({ name: 'CreateTenant' })
export class CreateTenantDto {
  @ApiProperty({ description: 'Lowercase letters, digits and "-", starting with a letter, at most 48; it owns every name starting with `<name>.`.', example: 'acme' })
  @IsString()
  name!: string;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Most topics the tenant may have; unlimited when absent.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxTopics?: number;

  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'Most partitions over all its topics; unlimited when absent.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxPartitions?: number;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    description: 'Most bytes its topics may hold on one broker (as the usage\'s storedBytes); produces to them are refused (403 POLICY_VIOLATION, reason retained-bytes-limit) while they hold this much. Unlimited when absent.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxRetainedBytes?: number;
}

const LIMIT_CHANGE = 'A number sets the limit, null removes it (unlimited), absent keeps it.';

@ApiSchema({ name: 'UpdateTenant' })
export class UpdateTenantDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, description: `Most topics the tenant may have. ${LIMIT_CHANGE} Lowering it below the topics the tenant has deletes none: only new ones are refused.` })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxTopics?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, description: `Most partitions over all its topics. ${LIMIT_CHANGE}` })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxPartitions?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, description: `Most bytes its topics may hold on one broker; produces are refused from the next one on while they hold this much. ${LIMIT_CHANGE}` })
  @IsOptional()
  @IsInt()
  @Min(0)
  maxRetainedBytes?: number | null;
}

@ApiSchema({ name: 'Tenant' })
export class TenantDto {
  @ApiProperty({ example: 'acme' }) name!: string;
  @ApiProperty({ type: 'integer' }) createdAtMs!: number;
  @ApiProperty({ type: 'integer', nullable: true }) maxTopics!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) maxPartitions!: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) maxRetainedBytes!: number | null;
}

@ApiSchema({ name: 'TenantList' })
export class TenantListDto {
  @ApiProperty({ type: [TenantDto] }) tenants!: TenantDto[];
}

@ApiSchema({ name: 'TenantUsage' })
export class TenantUsageDto {
  @ApiProperty({ example: 'acme' }) tenant!: string;
  @ApiProperty({ type: 'integer', description: 'Bytes its principals produced since the broker started (HTTP request bodies, WebSocket produce frames, Kafka batches).' }) producedBytes!: number;
  @ApiProperty({ type: 'integer', description: 'Bytes its principals fetched since the broker started (HTTP answers, WebSocket and SSE deliveries, Kafka batches).' }) fetchedBytes!: number;
  @ApiProperty({ type: 'integer', description: 'Records its principals produced on this broker since it started (HTTP and WebSocket: records appended; Kafka: the record counts of the batches sent).' })
  producedRecords!: number;
  @ApiProperty({ type: 'integer', description: 'Records delivered to its principals on this broker since it started (HTTP fetches, WebSocket and SSE deliveries, Kafka Fetch batches).' })
  fetchedRecords!: number;
  @ApiProperty({ type: 'integer', description: 'HTTP requests of its principals since the broker started.' }) requests!: number;
  @ApiProperty({ type: 'integer', description: 'Connections its principals hold open on this broker now (Kafka connections, WebSockets, SSE streams, waiting HTTP long-polls): what max_connections counts.' })
  connections!: number;
  @ApiProperty({ type: 'integer' }) topics!: number;
  @ApiProperty({ type: 'integer' }) partitions!: number;
  @ApiProperty({ type: 'integer', description: 'Bytes its topics hold on disk now.' }) storedBytes!: number;
}

@ApiSchema({ name: 'WhoAmI' })
export class WhoAmIDto {
  @ApiProperty({ example: 'User:acme.ingest' }) principal!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'acme' }) tenant!: string | null;
  @ApiProperty({ enum: ['api-key', 'jwt', 'anonymous'], example: 'api-key' }) credentialKind!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'When the credential expires (ms since the epoch).' }) expiresAtMs!: number | null;
  @ApiProperty({ description: 'Whether this broker requires authentication (SPOOL_AUTH=on).' }) authenticationEnabled!: boolean;
}

/** Kafka's client quota keys (and Spool's request_rate, max_connections), all optional. */
@ApiSchema({ name: 'QuotaValues' })
export class QuotaValuesDto {
  @ApiPropertyOptional({ description: 'Bytes produced per second (Kafka\'s producer_byte_rate).', example: 1048576 })
  @IsOptional()
  @IsNumber()
  producer_byte_rate?: number;

  @ApiPropertyOptional({ description: 'Bytes fetched per second (Kafka\'s consumer_byte_rate).', example: 4194304 })
  @IsOptional()
  @IsNumber()
  consumer_byte_rate?: number;

  @ApiPropertyOptional({ description: 'Percent of one thread\'s time handling the client\'s requests (Kafka\'s request_percentage).' })
  @IsOptional()
  @IsNumber()
  request_percentage?: number;

  @ApiPropertyOptional({ description: 'Requests per second (Spool\'s).' })
  @IsOptional()
  @IsNumber()
  request_rate?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Open connections and streams on a node (Spool\'s).' })
  @IsOptional()
  @IsInt()
  max_connections?: number;
}

@ApiSchema({ name: 'PutQuota' })
export class PutQuotaDto {
  @ApiProperty({ enum: ['user', 'tenant'], description: 'Kafka\'s `user` entity (a principal name) or Spool\'s `tenant`.' })
  @IsIn(['user', 'tenant'])
  entityType!: 'user' | 'tenant';

  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'The principal name (`acme.ingest`) or tenant (`acme`); absent or null: the default for every user/tenant without its own.', example: 'acme.ingest' })
  @IsOptional()
  @IsString()
  name?: string | null;

  @ApiProperty({ type: QuotaValuesDto, description: 'The entity\'s quotas after the call: keys left out are removed; none at all deletes the entity\'s quotas.' })
  @ValidateNested()
  @Type(() => QuotaValuesDto)
  values!: QuotaValuesDto;
}

@ApiSchema({ name: 'Quota' })
export class QuotaDto {
  @ApiProperty({ enum: ['user', 'tenant'] }) entityType!: 'user' | 'tenant';
  @ApiProperty({ type: 'string', nullable: true, description: 'null: the default entity.' }) name!: string | null;
  @ApiProperty({ type: QuotaValuesDto }) values!: QuotaValuesDto;
}

@ApiSchema({ name: 'QuotaList' })
export class QuotaListDto {
  @ApiProperty({ type: [QuotaDto] }) quotas!: QuotaDto[];
}
