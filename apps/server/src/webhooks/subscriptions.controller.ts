/** Push subscriptions (webhooks): create, list, describe, patch, delete, pause, resume, and the attempt log. */
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UsePipes } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SpoolError } from '@spool/common';
import { ErrorEnvelopeDto } from '../http/errors/error-envelope.dto.js';
import { ApiErrors } from '../http/openapi/api-errors.decorator.js';
import { RequireAcl } from '../security/http-auth.js';
import { dtoValidationPipe } from '../http/validation.pipe.js';
import { CreateSubscriptionDto, SubscriptionAttemptsDto, SubscriptionDto, SubscriptionListDto, UpdateSubscriptionDto } from './webhooks.dto.js';
import { WebhooksService } from './webhooks.service.js';

const NAME_PARAM = { name: 'name', description: 'Subscription name', example: 'orders-to-billing' } as const;
const NotConfigured = ApiResponse({ status: 503, type: ErrorEnvelopeDto, description: 'Push delivery is off: the broker runs without SPOOL_REDIS_URL (WEBHOOKS_NOT_CONFIGURED)' });
const NotFound = ApiResponse({ status: 404, type: ErrorEnvelopeDto, description: 'No such subscription (SUBSCRIPTION_NOT_FOUND)' });

function optionalCount(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new SpoolError('INVALID_REQUEST', `invalid request: ${field} must be a non-negative integer (got ${JSON.stringify(raw)})`, { field });
  return Number(raw);
}

@ApiTags('subscriptions')
// With authentication on, subscriptions are the operator's for now (they read any topic and send it
// out): ALTER on the cluster to change them, DESCRIBE to read them. Per-topic rules: docs/security.md.
@Controller('v1/subscriptions')
@UsePipes(dtoValidationPipe())
export class SubscriptionsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @HttpCode(201)
  @ApiOperation({ operationId: 'createSubscription', summary: 'Create a push subscription: records of its topics are POSTed to its endpoint, signed (Standard Webhooks). The answer holds the signing secret, shown only here.' })
  @ApiBody({ type: CreateSubscriptionDto })
  @ApiCreatedResponse({ type: SubscriptionDto })
  @ApiResponse({ status: 400, type: ErrorEnvelopeDto, description: 'Malformed request (INVALID_REQUEST), bad endpoint URL (INVALID_ENDPOINT) or an endpoint resolving to a refused address (ENDPOINT_NOT_ALLOWED)' })
  @ApiErrors(404)
  @ApiResponse({ status: 409, type: ErrorEnvelopeDto, description: 'A subscription of that name exists (SUBSCRIPTION_ALREADY_EXISTS)' })
  @NotConfigured
  create(@Body() body: CreateSubscriptionDto): Promise<SubscriptionDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  @ApiOperation({ operationId: 'listSubscriptions', summary: 'List push subscriptions with their offsets and delivery statistics' })
  @ApiOkResponse({ type: SubscriptionListDto })
  @NotConfigured
  list(): SubscriptionListDto {
    return { subscriptions: this.webhooks.list() };
  }

  @Get(':name')
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  @ApiOperation({ operationId: 'describeSubscription', summary: 'Describe a push subscription: settings, state, committed offsets and lag, delivery statistics and last errors' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: SubscriptionDto })
  @NotFound
  @NotConfigured
  describe(@Param('name') name: string): SubscriptionDto {
    return this.webhooks.get(name);
  }

  @Patch(':name')
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @ApiOperation({ operationId: 'updateSubscription', summary: 'Change a push subscription\'s settings (the fields given); delivery goes on from the committed offsets' })
  @ApiParam(NAME_PARAM)
  @ApiBody({ type: UpdateSubscriptionDto })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiResponse({ status: 400, type: ErrorEnvelopeDto, description: 'Malformed request (INVALID_REQUEST, INVALID_ENDPOINT, ENDPOINT_NOT_ALLOWED)' })
  @NotFound
  @NotConfigured
  update(@Param('name') name: string, @Body() body: UpdateSubscriptionDto): Promise<SubscriptionDto> {
    return this.webhooks.update(name, body);
  }

  @Delete(':name')
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteSubscription', summary: 'Delete a push subscription and its consumer group (its dead-letter topic stays)' })
  @ApiParam(NAME_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @NotFound
  @NotConfigured
  async delete(@Param('name') name: string): Promise<void> {
    await this.webhooks.delete(name);
  }

  @Post(':name/pause')
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @HttpCode(200)
  @ApiOperation({ operationId: 'pauseSubscription', summary: 'Stop delivering (what was delivered is committed; the group becomes empty, so its offsets can be reset)' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: SubscriptionDto })
  @NotFound
  @NotConfigured
  pause(@Param('name') name: string): Promise<SubscriptionDto> {
    return this.webhooks.pause(name);
  }

  @Post(':name/resume')
  @RequireAcl({ operation: 'ALTER', resourceType: 'CLUSTER' })
  @HttpCode(200)
  @ApiOperation({ operationId: 'resumeSubscription', summary: 'Deliver again from the committed offsets (a paused or disabled subscription)' })
  @ApiParam(NAME_PARAM)
  @ApiOkResponse({ type: SubscriptionDto })
  @NotFound
  @NotConfigured
  resume(@Param('name') name: string): Promise<SubscriptionDto> {
    return this.webhooks.resume(name);
  }

  @Get(':name/attempts')
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  @ApiOperation({ operationId: 'listSubscriptionAttempts', summary: 'The last delivery attempts on this broker (newest first), optionally of one partition or record' })
  @ApiParam(NAME_PARAM)
  @ApiQuery({ name: 'topic', required: false, type: String })
  @ApiQuery({ name: 'partition', required: false, type: 'integer' })
  @ApiQuery({ name: 'offset', required: false, type: 'integer', description: 'Attempts of the message holding this offset.' })
  @ApiOkResponse({ type: SubscriptionAttemptsDto })
  @ApiErrors(400)
  @NotFound
  @NotConfigured
  attempts(@Param('name') name: string, @Query('topic') topic?: string, @Query('partition') partition?: string, @Query('offset') offset?: string): SubscriptionAttemptsDto {
    const p = optionalCount(partition, 'partition');
    const o = optionalCount(offset, 'offset');
    return { name, attempts: this.webhooks.attempts(name, { ...(topic !== undefined && { topic }), ...(p !== undefined && { partition: p }), ...(o !== undefined && { offset: o }) }) };
  }
}
