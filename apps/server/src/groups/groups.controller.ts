/** Consumer-group admin: list, describe (members, assignments, committed offsets, lag), commit, reset, delete. */
import { Body, Controller, Delete, Get, HttpCode, Param, Post, UsePipes } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../http/errors/error-envelope.dto.js';
import { ApiErrors } from '../http/openapi/api-errors.decorator.js';
import { dtoValidationPipe } from '../http/validation.pipe.js';
import { CommitGroupOffsetsDto, GroupDescriptionDto, GroupListDto, GroupOffsetsDto, GroupOffsetsResetDto, ResetGroupOffsetsDto } from './groups.dto.js';
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
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @ApiOperation({ operationId: 'listGroups', summary: 'List consumer groups' })
  @ApiOkResponse({ type: GroupListDto })
  list(): GroupListDto {
    return { groups: this.groups.list() };
  }

  @Get(':group')
  @ApiOperation({ operationId: 'describeGroup', summary: 'Describe a group: state, assignor, members, assignments, committed offsets and lag' })
  @ApiParam(GROUP_PARAM)
  @ApiOkResponse({ type: GroupDescriptionDto })
  @ApiErrors(404)
  describe(@Param('group') group: string): GroupDescriptionDto {
    return this.groups.describe(group);
  }

  @Post(':group/offsets')
  @HttpCode(200)
  @ApiOperation({ operationId: 'commitGroupOffsets', summary: 'Commit offsets for a group without members (a simple commit)' })
  @ApiParam(GROUP_PARAM)
  @ApiBody({ type: CommitGroupOffsetsDto })
  @ApiOkResponse({ type: GroupOffsetsDto })
  @ApiErrors(400, 404)
  @GroupConflict
  async commit(@Param('group') group: string, @Body() body: CommitGroupOffsetsDto): Promise<GroupOffsetsDto> {
    return { groupId: group, offsets: await this.groups.commit(group, body.offsets) };
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
  @ApiErrors(400, 404)
  @GroupConflict
  async reset(@Param('group') group: string, @Body() body: ResetGroupOffsetsDto): Promise<GroupOffsetsResetDto> {
    const dryRun = body.dryRun === true;
    return { groupId: group, dryRun, offsets: await this.groups.reset(group, parseResetTarget(body.to), body.topics, dryRun) };
  }

  @Delete(':group')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteGroup', summary: 'Delete an empty group and its committed offsets' })
  @ApiParam(GROUP_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors(404)
  @GroupConflict
  async delete(@Param('group') group: string): Promise<void> {
    await this.groups.delete(group);
  }
}
