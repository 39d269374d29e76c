/** GET /metrics: Prometheus text exposition format (version 0.0.4). */
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service.js';
import { RequireAcl } from '../security/http-auth.js';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  // Names every topic and tenant: with security on, DESCRIBE on the cluster (a scraper sends a bearer key).
  @RequireAcl({ operation: 'DESCRIBE', resourceType: 'CLUSTER' })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.scrape();
    reply.header('Content-Type', this.metrics.contentType).header('Cache-Control', 'no-store');
    return body;
  }
}
