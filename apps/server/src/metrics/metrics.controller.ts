/** GET /metrics: Prometheus text exposition format (version 0.0.4). */
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service.js';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.scrape();
    reply.header('Content-Type', this.metrics.contentType).header('Cache-Control', 'no-store');
    return body;
  }
}
