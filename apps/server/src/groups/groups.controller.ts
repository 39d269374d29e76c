/**
 * Consumer-group admin: list, describe (members, assignments, committed offsets, lag), commit, reset, delete.
 * In cluster mode every route works on any node: a group's routes run on its coordinator (forwarded
 * there when that is another broker), the list asks every broker (group-admin-forwarder.ts).
 */
import { Body, Controller, Delete, Get, HttpCode, Optional, Param, Post, Req, UsePipes } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { topicResource, type Identity } from '@spool/security';
import { AccessControl, DISABLED_ACCESS } from '../security/access-control.js';
import { CurrentIdentity, RequireAcl } from '../security/http-auth.js';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../http/errors/error-envelope.dto.js';
import { ApiErrors } from '../http/openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../http/validation.pipe.js';
import { CommitGroupOffsetsDto, GroupDescriptionDto, GroupListDto, GroupOffsetsDto, GroupOffsetsResetDto, ResetGroupOffsetsDto } from './groups.dto.js';
import { GroupAdminForwarder } from './group-admin-forwarder.js';
import { GroupsService, parseResetTarget } from './groups.service.js';

const GROUP_PARAM = { name: 'group', description: 'Consumer group id', example: 'dashboard' } as const;
const GroupConflict = ApiResponse({
  status: 409,
  type: ErrorEnvelopeDto,
  description: 'The group has members (NON_EMPTY_GROUP for reset/delete, UNKNOWN_MEMBER_ID for a commit from outside the group)',
});

@ApiTags('groups')
@Controller('v1/groups')
@UsePipes(dtoValidationPipe())
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly forwarder: GroupAdminForwarder,
    @Optional() private readonly access: AccessControl = DISABLED_ACCESS,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listGroups', summary: 'List consumer groups' })
  @ApiOkResponse({ type: GroupListDto, description: 'The groups the caller may describe.' })
  @ApiErrors(401)
  async list(@CurrentIdentity() identity: Identity, @Req() request: FastifyRequest): Promise<GroupListDto> {
    // Every broker lists only the groups it may show the caller (it authenticates the forwarded request again).
    const groups = await this.forwarder.list(request, () => this.groups.list());
    const visible = new Set(this.access.describable(identity, 'GROUP', groups.map((g) => g.groupId)));
    return { groups: groups.filter((g) => visible.has(g.groupId)) };
  }

  @Get(':group')
  @ApiOperation({ operationId: 'describeGroup', summary: 'Describe a group: state, assignor, members, assignments, committed offsets and lag' })
  @ApiParam(GROUP_PARAM)
  @ApiOkResponse({ type: GroupDescriptionDto })
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'GROUP', from: 'group' })
  @ApiErrors(401, 403, 404)
  describe(@Param('group') group: string, @Req() request: FastifyRequest): Promise<GroupDescriptionDto> {
    return this.forwarder.run(group, request, { createsOffsetsTopic: false }, () => this.groups.describe(group));
  }

  @Post(':group/offsets')
  @HttpCode(200)
  @ApiOperation({ operationId: 'commitGroupOffsets', summary: 'Commit offsets for a group without members (a simple commit)' })
  @ApiParam(GROUP_PARAM)
  @ApiBody({ type: CommitGroupOffsetsDto })
  @ApiOkResponse({ type: GroupOffsetsDto })
  @RequireAcl({ operation: 'READ', resourceType: 'GROUP', from: 'group' })
  @ApiErrors(400, 401, 403, 404)
  @GroupConflict
  async commit(@Param('group') group: string, @Body() body: CommitGroupOffsetsDto, @CurrentIdentity() identity: Identity, @Req() request: FastifyRequest): Promise<GroupOffsetsDto> {
    // Kafka's OffsetCommit: READ on the group (above) and on every topic committed.
    for (const topic of new Set(body.offsets.map((o) => o.topic))) this.access.check(identity, 'READ', topicResource(topic));
    return this.forwarder.run(group, request, { createsOffsetsTopic: true }, async () => ({ groupId: group, offsets: await this.groups.commit(group, body.offsets) }));
  }

  @Post(':group/offsets/reset')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resetGroupOffsets',
    summary: 'Reset committed offsets of an empty group (earliest, latest, timestamp, offset or shift), or preview the reset (dryRun)',
  })
  @ApiParam(GROUP_PARAM)
  @ApiBody({ type: ResetGroupOffsetsDto })
  @ApiOkResponse({ type: GroupOffsetsResetDto })
  @RequireAcl({ operation: 'READ', resourceType: 'GROUP', from: 'group' })
  @ApiErrors(400, 401, 403, 404)
  @GroupConflict
  reset(@Param('group') group: string, @Body() body: ResetGroupOffsetsDto, @CurrentIdentity() identity: Identity, @Req() request: FastifyRequest): Promise<GroupOffsetsResetDto> {
    const to = parseResetTarget(body.to);
    // On the coordinator, which knows the committed topics a reset without topics covers.
    return this.forwarder.run(group, request, { createsOffsetsTopic: true }, async () => {
      // Kafka's AlterConsumerGroupOffsets: READ on the group (above) and on every topic reset (a dry run too).
      for (const topic of body.topics ?? this.groups.committedTopics(group)) this.access.check(identity, 'READ', topicResource(topic));
      const dryRun = body.dryRun === true;
      return { groupId: group, dryRun, offsets: await this.groups.reset(group, to, body.topics, dryRun) };
    });
  }

  @Delete(':group')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteGroup', summary: 'Delete an empty group and its committed offsets' })
  @ApiParam(GROUP_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @RequireAcl({ operation: 'DELETE', resourceType: 'GROUP', from: 'group' })
  @ApiErrors(401, 403, 404)
  @GroupConflict
  async delete(@Param('group') group: string, @Req() request: FastifyRequest): Promise<void> {
    await this.forwarder.run(group, request, { createsOffsetsTopic: false }, () => this.groups.delete(group));
  }
}
